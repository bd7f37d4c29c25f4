"""``python -m radial.train``: LoRA length-extension fine-tuning of a diffusers video transformer with
radial attention, on pre-encoded samples (docs/training.md).

    python -m radial.train --model Wan2.1-T2V-14B-Diffusers --data latents/ --output lora-321f/ \\
        --height 720 --width 1280 --num-frames 321 --rank 64 --steps 2000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

import torch

from radial.train.config import DTYPES, TrainConfig
from radial.train.dataset import LatentDataset
from radial.train.families import DiffusersFamily
from radial.train.flow_matching import WEIGHTINGS
from radial.train.lora import active_adapters
from radial.train.tiny import TINY_MODELS, tiny_transformer
from radial.train.trainer import train


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m radial.train", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="LoRA length-extension fine-tuning of a diffusers video transformer with radial attention,"
                    " on pre-encoded samples (docs/training.md).")
    p.add_argument("--model", required=True,
                   help=f"a diffusers pipeline or transformer directory, or one of {', '.join(TINY_MODELS)}")
    p.add_argument("--data", required=True, help="directory of .safetensors samples (docs/training.md)")
    p.add_argument("--output", required=True, help="directory for checkpoints, the LoRA and loss.png")
    p.add_argument("--height", type=int, required=True, help="video height in pixels")
    p.add_argument("--width", type=int, required=True, help="video width in pixels")
    p.add_argument("--num-frames", type=int, required=True, help="video frames (pipeline num_frames)")
    p.add_argument("--steps", type=int, required=True, help="optimizer steps")
    p.add_argument("--rank", type=int, default=16, help="LoRA rank")
    p.add_argument("--alpha", type=float, default=None, help="LoRA alpha (default: the rank)")
    p.add_argument("--lr", type=float, default=1e-4, help="AdamW learning rate")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay")
    p.add_argument("--max-grad-norm", type=float, default=1.0, help="gradient clipping norm")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--gradient-accumulation", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--dtype", choices=list(DTYPES), default="bf16",
                   help="compute dtype (LoRA weights and optimizer state are always float32)")
    p.add_argument("--no-gradient-checkpointing", action="store_true")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile each transformer block: faster steps and less memory after a first"
                        " step that compiles")
    p.add_argument("--shift", type=float, default=None,
                   help="noise schedule shift (default: the pipeline scheduler's shift/flow_shift, else 1)")
    p.add_argument("--weighting", choices=WEIGHTINGS, default="uniform", help="how noise levels are drawn")
    p.add_argument("--logit-mean", type=float, default=0.0)
    p.add_argument("--logit-std", type=float, default=1.0)
    p.add_argument("--decay", type=float, default=None, help="override the preset's mask decay")
    p.add_argument("--dense-layers", type=int, default=None, help="override the preset's dense layers")
    p.add_argument("--embedded-guidance", type=float, default=6.0,
                   help="HunyuanVideo's distilled guidance scale, for models that embed it")
    p.add_argument("--lora", action="append", default=[], metavar="NAME=PATH",
                   help="a LoRA to load first (kept active and frozen while training); repeatable")
    p.add_argument("--adapter-name", default="radial_length", help="name of the trained adapter")
    p.add_argument("--save-every", type=int, default=0, help="checkpoint every N steps (0: at the end only)")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --output")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def load_transformer(model: str, dtype: torch.dtype) -> torch.nn.Module:
    """A tiny test model by name (float32: autocast runs it in bf16), or the transformer of a diffusers
    pipeline or transformer directory in ``dtype`` (the modules diffusers keeps in float32 stay so)."""
    if model in TINY_MODELS:
        return tiny_transformer(model)
    import diffusers

    path = Path(model)
    subfolder = "transformer" if (path / "model_index.json").is_file() else None
    config_file = path / (subfolder or "") / "config.json"
    if not config_file.is_file():
        raise ValueError(f"model: expected a diffusers pipeline or transformer directory, or one of"
                         f" {', '.join(TINY_MODELS)}; no {config_file}")
    class_name = json.loads(config_file.read_text())["_class_name"]
    return getattr(diffusers, class_name).from_pretrained(str(path), subfolder=subfolder, torch_dtype=dtype)


def scheduler_shift(model: str) -> float:
    """The shift of the pipeline's flow-matching scheduler (``shift`` or, for UniPC, ``flow_shift``)."""
    config_file = Path(model) / "scheduler" / "scheduler_config.json"
    if not config_file.is_file():
        return 1.0
    config = json.loads(config_file.read_text())
    return float(config.get("shift", config.get("flow_shift", 1.0)))


def load_loras(transformer: torch.nn.Module, specs: Sequence[str]) -> None:
    names = []
    for spec in specs:
        name, separator, path = spec.partition("=")
        if not separator or not name or not path:
            raise ValueError(f"--lora: expected NAME=PATH, got {spec!r}")
        path = Path(path)
        directory, weight_name = (path.parent, path.name) if path.is_file() else (path, None)
        transformer.load_lora_adapter(str(directory), weight_name=weight_name, use_safetensors=True,
                                      prefix="transformer", adapter_name=name)
        names.append(name)
    if names:
        transformer.set_adapters(names)
        print(f"radial.train: loaded LoRA adapters {', '.join(names)}; active: {', '.join(active_adapters(transformer))}",
              file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status (2 and a one-line error for bad arguments or data)."""
    p = parser()
    args = p.parse_args(argv)
    try:
        run(args)
    except ValueError as error:
        print(f"{p.prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> None:
    config = TrainConfig(
        height=args.height, width=args.width, num_frames=args.num_frames, steps=args.steps, output_dir=args.output,
        rank=args.rank, alpha=args.alpha, learning_rate=args.lr, weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm, batch_size=args.batch_size,
        gradient_accumulation=args.gradient_accumulation, dtype=args.dtype,
        gradient_checkpointing=not args.no_gradient_checkpointing, compile=args.compile,
        shift=scheduler_shift(args.model) if args.shift is None else args.shift, weighting=args.weighting,
        logit_mean=args.logit_mean, logit_std=args.logit_std, seed=args.seed, save_every=args.save_every,
        resume=args.resume, adapter_name=args.adapter_name, decay=args.decay, dense_layers=args.dense_layers,
        device=args.device, progress=not args.no_progress)
    data = LatentDataset(args.data)
    transformer = load_transformer(args.model, config.compute_dtype)
    load_loras(transformer, args.lora)
    family = DiffusersFamily(transformer, embedded_guidance=args.embedded_guidance)
    result = train(transformer, data, config, family)
    print(f"radial.train: {len(result.losses)} steps, loss {result.losses[0]:.4f} -> {result.losses[-1]:.4f};"
          f" LoRA {result.lora_path}, loss curve {result.loss_curve}", file=sys.stderr)
