"""The gradients of a LoRA's weights for one fixed batch, as the trainer computes them."""

from __future__ import annotations

import torch

from radial.train import training_loss
from radial.train.dataset import batch_at
from radial.train.trainer import prepare


def lora_gradients(model, family, data, cfg) -> list[torch.Tensor]:
    """Gradients of the adapter's weights for one batch, with lora_B made non-zero first (lora_A's
    gradient is zero through a zero B)."""
    parameters = prepare(model, family, cfg)
    g = torch.Generator().manual_seed(9)
    with torch.no_grad():
        for p in parameters:
            p.copy_(0.1 * torch.randn(p.shape, generator=g))
    batch = {k: v.to(cfg.device) for k, v in batch_at(data, 0, 2, seed=0).items()}
    sigma = torch.tensor([0.3, 0.8], device=cfg.device)
    noise = torch.randn(batch["latents"].shape, generator=g).to(cfg.device)
    with torch.autocast(torch.device(cfg.device).type, torch.bfloat16, enabled=cfg.dtype == "bf16"):
        loss = training_loss(family, model, batch, sigma, noise, cfg.compute_dtype)
    loss.backward()
    return [p.grad.cpu() for p in parameters]
