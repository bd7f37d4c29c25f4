"""How the training tests compute on each device, as radial.train does there: float32 on the CPU (its
kernels check it exactly); bf16 autocast over float32 weights on CUDA, whose kernels take bf16 and f16
only."""

from __future__ import annotations

import torch


def training_dtype(device: torch.device) -> str:
    """``TrainConfig.dtype`` for ``device``."""
    return "fp32" if device.type == "cpu" else "bf16"


def autocast(device: torch.device):
    """The compute a forward outside ``radial.train`` runs under: what training itself would use."""
    return torch.autocast(device.type, torch.bfloat16, enabled=training_dtype(device) == "bf16")
