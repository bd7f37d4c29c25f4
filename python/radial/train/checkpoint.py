"""Checkpoints: ``OUTPUT/checkpoint-000100/`` holds the LoRA in diffusers' format
(``pytorch_lora_weights.safetensors``, loadable as it is) and ``trainer_state.pt`` (optimizer, step,
random number generator states, loss history), which is everything a resumed run needs to continue
exactly where this one stopped."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from radial.train.lora import restore_lora_weights, save_lora

STATE_NAME = "trainer_state.pt"
PREFIX = "checkpoint-"


@dataclass
class TrainerState:
    step: int  # optimizer steps done
    losses: list[float]  # one per step done


def checkpoint_dir(output_dir: Path, step: int) -> Path:
    return Path(output_dir) / f"{PREFIX}{step:06d}"


def latest_checkpoint(output_dir: Path) -> Optional[Path]:
    """The complete checkpoint with the highest step in ``output_dir``, or None."""
    found = [p for p in Path(output_dir).glob(f"{PREFIX}*") if (p / STATE_NAME).is_file()]
    return max(found, key=lambda p: int(p.name[len(PREFIX):]), default=None)


def save_checkpoint(output_dir: Path, model: torch.nn.Module, adapter_name: str, optimizer: torch.optim.Optimizer,
                    generator: torch.Generator, state: TrainerState, config: dict) -> Path:
    directory = checkpoint_dir(output_dir, state.step)
    save_lora(directory, model, adapter_name)
    payload = {
        "step": state.step,
        "losses": list(state.losses),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "python_rng": random.getstate(),
        "config": config,
    }
    # Written last and renamed into place: a checkpoint without its state file is never picked.
    partial = directory / (STATE_NAME + ".partial")
    torch.save(payload, partial)
    partial.replace(directory / STATE_NAME)
    return directory


def load_checkpoint(directory: Path, model: torch.nn.Module, adapter_name: str, optimizer: torch.optim.Optimizer,
                    generator: torch.Generator) -> TrainerState:
    """Restores the LoRA weights, the optimizer and the generators saved in ``directory``."""
    payload = torch.load(Path(directory) / STATE_NAME, map_location="cpu", weights_only=False)
    restore_lora_weights(model, directory, adapter_name)
    optimizer.load_state_dict(payload["optimizer"])
    generator.set_state(payload["generator"])
    torch.set_rng_state(payload["torch_rng"])
    if payload["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(payload["cuda_rng"])
    random.setstate(payload["python_rng"])
    return TrainerState(payload["step"], payload["losses"])
