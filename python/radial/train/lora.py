"""LoRA adapters on self-attention projections (peft), saved and read in diffusers' LoRA format.

The file diffusers writes with ``pipe.save_lora_weights`` and reads with ``pipe.load_lora_weights`` (or a
transformer's ``load_lora_adapter``): ``pytorch_lora_weights.safetensors`` holding
``transformer.<module>.lora_A.weight`` ``[r, in]`` and ``transformer.<module>.lora_B.weight`` ``[out, r]``,
and the adapter's LoraConfig as JSON (keys prefixed ``transformer.``) under the safetensors metadata
key ``lora_adapter_metadata``, so rank and alpha travel with the weights.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Iterable, Optional, Union

import torch
from peft import LoraConfig, get_peft_model_state_dict, inject_adapter_in_model, set_peft_model_state_dict
from peft.tuners.tuners_utils import BaseTunerLayer
from safetensors import safe_open
from safetensors.torch import load_file, save_file

PROJECTIONS = ("to_q", "to_k", "to_v", "to_out.0")
LORA_WEIGHT_NAME = "pytorch_lora_weights.safetensors"  # diffusers' default file name
METADATA_KEY = "lora_adapter_metadata"  # diffusers' metadata key
PREFIX = "transformer"  # diffusers' key prefix for the transformer's layers

PathLike = Union[str, Path]


def projection_names(model: torch.nn.Module, attention_modules: Iterable[torch.nn.Module]) -> list[str]:
    """Full names of the ``to_q``, ``to_k``, ``to_v``, ``to_out.0`` linear layers of the given attention
    modules (the ones a module lacks, such as HunyuanVideo's single-stream ``to_out``, are skipped)."""
    names = {id(module): name for name, module in model.named_modules()}
    found = []
    for attention in attention_modules:
        for projection in PROJECTIONS:
            if isinstance(_submodule(attention, projection), (torch.nn.Linear, BaseTunerLayer)):
                found.append(f"{names[id(attention)]}.{projection}")
    if not found:
        raise ValueError("lora: no to_q/to_k/to_v/to_out.0 linear layers in the self-attention modules")
    return found


def _submodule(module: torch.nn.Module, path: str) -> Optional[torch.nn.Module]:
    try:
        return module.get_submodule(path)
    except AttributeError:  # absent, or None (HunyuanVideo's single-stream blocks have no to_out)
        return None


def active_adapters(model: torch.nn.Module) -> list[str]:
    """Adapters active in any LoRA layer of ``model``, in order of first appearance."""
    active = []
    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            active += [a for a in module.active_adapters if a not in active]
    return active


def add_lora(model: torch.nn.Module, target_modules: list[str], *, rank: int, alpha: float,
             adapter_name: str, announce: bool = True) -> list[str]:
    """Adds a trainable LoRA adapter (float32 weights, ``lora_B`` zero so the model is unchanged) on the
    ``target_modules`` (full module names) and freezes everything else.

    Adapters that were active stay active (frozen): peft's injection alone would make the new adapter
    the only active one. Returns the adapters now active, and prints them unless ``announce`` is False.
    """
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank: expected an integer >= 1, got {rank!r}")
    if not alpha > 0:
        raise ValueError(f"alpha: expected a number > 0, got {alpha!r}")
    if adapter_name in getattr(model, "peft_config", {}):
        raise ValueError(f"adapter_name: the model already has an adapter named {adapter_name!r}")
    before = active_adapters(model)
    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(target_modules), init_lora_weights=True)
    with warnings.catch_warnings():
        # Several adapters in one model is the point here, not an accident.
        warnings.filterwarnings("ignore", message="Already found a `peft_config` attribute")
        inject_adapter_in_model(config, model, adapter_name=adapter_name)
    if hasattr(model, "_hf_peft_config_loaded"):
        model._hf_peft_config_loaded = True  # diffusers' models then list, save and unload the adapter
    active = before + [adapter_name]
    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            module.set_adapter(active)
    model.requires_grad_(False)
    for parameter in lora_parameters(model, adapter_name):
        parameter.data = parameter.data.float()
        parameter.requires_grad_(True)
    if announce:
        others = ", ".join(f"{a} (frozen)" for a in before)
        print(f"radial.train: active LoRA adapters: {others + ', ' if others else ''}{adapter_name} (training:"
              f" rank {rank}, alpha {alpha:g}, {len(target_modules)} projections)", file=sys.stderr)
    return active


def lora_parameters(model: torch.nn.Module, adapter_name: str) -> list[torch.nn.Parameter]:
    """The adapter's ``lora_A`` and ``lora_B`` weights, in module order."""
    marks = (f".lora_A.{adapter_name}.", f".lora_B.{adapter_name}.")
    return [p for name, p in model.named_parameters() if any(m in name for m in marks)]


def lora_state_dict(model: torch.nn.Module, adapter_name: str) -> dict[str, torch.Tensor]:
    """The adapter's weights keyed as diffusers keys a pipeline's transformer LoRA, float32, on the CPU."""
    state = get_peft_model_state_dict(model, adapter_name=adapter_name)
    return {f"{PREFIX}.{key}": value.detach().float().cpu().contiguous() for key, value in state.items()}


def save_lora(directory: PathLike, model: torch.nn.Module, adapter_name: str) -> Path:
    """Writes ``directory/pytorch_lora_weights.safetensors``; returns its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = model.peft_config[adapter_name].to_dict()
    config = {f"{PREFIX}.{k}": sorted(v) if isinstance(v, set) else v for k, v in config.items()}
    path = directory / LORA_WEIGHT_NAME
    save_file(lora_state_dict(model, adapter_name), str(path),
              metadata={"format": "pt", METADATA_KEY: json.dumps(config, indent=2, sort_keys=True, default=str)})
    return path


def _weights_file(path: PathLike) -> Path:
    path = Path(path)
    return path / LORA_WEIGHT_NAME if path.is_dir() else path


def read_lora(path: PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """(weights without the ``transformer.`` prefix, the saved LoraConfig fields) of a file or directory."""
    file = _weights_file(path)
    with safe_open(str(file), framework="pt") as f:
        metadata = f.metadata() or {}
    if METADATA_KEY not in metadata:
        raise ValueError(f"{file}: expected the LoRA config under the safetensors metadata key {METADATA_KEY!r}")
    config = {k.removeprefix(f"{PREFIX}."): v for k, v in json.loads(metadata[METADATA_KEY]).items()}
    weights = {k.removeprefix(f"{PREFIX}."): v for k, v in load_file(str(file)).items()}
    return weights, config


def restore_lora_weights(model: torch.nn.Module, path: PathLike, adapter_name: str) -> None:
    """Copies saved weights into the model's existing adapter ``adapter_name``; ValueError on any key that
    does not match."""
    weights, _ = read_lora(path)
    expected = set(get_peft_model_state_dict(model, adapter_name=adapter_name))
    if set(weights) != expected:
        missing, extra = sorted(expected - set(weights)), sorted(set(weights) - expected)
        raise ValueError(f"{_weights_file(path)}: LoRA keys do not match adapter {adapter_name!r}: missing"
                         f" {missing[:4]}, unexpected {extra[:4]}")
    with torch.no_grad():
        set_peft_model_state_dict(model, weights, adapter_name=adapter_name)


def load_lora(model: torch.nn.Module, path: PathLike, adapter_name: str) -> list[str]:
    """Loads a saved LoRA, frozen, into any ``nn.Module`` (diffusers' models can use
    ``load_lora_adapter`` instead), keeping the active adapters active. Returns the adapters now active."""
    _, config = read_lora(path)
    add_lora(model, config["target_modules"], rank=int(config["r"]), alpha=float(config["lora_alpha"]),
             adapter_name=adapter_name, announce=False)
    restore_lora_weights(model, path, adapter_name)
    for parameter in lora_parameters(model, adapter_name):
        parameter.requires_grad_(False)
    return active_adapters(model)
