"""The rectified-flow objective the Wan, HunyuanVideo and Mochi families are trained with.

A clean latent ``x0`` and Gaussian ``noise`` mix at noise level ``sigma`` in ``[0, 1]``:
``x_sigma = (1 - sigma) * x0 + sigma * noise``; the velocity ``d x_sigma / d sigma = noise - x0`` is
the regression target. Noise levels come from the scheduler's training table (``num_train_timesteps``
levels, time-shifted), indexed by ``u`` drawn uniformly or logit-normally from ``(0, 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

WEIGHTINGS = ("uniform", "logit-normal")


def shifted_sigmas(num_train_timesteps: int = 1000, shift: float = 1.0) -> torch.Tensor:
    """float32 ``[num_train_timesteps]``, descending from 1: diffusers' ``FlowMatchEulerDiscreteScheduler``
    training sigmas, ``shift * s / (1 + (shift - 1) * s)`` for ``s = 1, ..., 1 / num_train_timesteps``.
    A shift above 1 spends more of the steps at high noise, which longer and larger videos need."""
    if num_train_timesteps < 1:
        raise ValueError(f"num_train_timesteps: expected an integer >= 1, got {num_train_timesteps}")
    if not shift > 0:
        raise ValueError(f"shift: expected a number > 0, got {shift}")
    s = torch.linspace(1.0, 1.0 / num_train_timesteps, num_train_timesteps, dtype=torch.float64)
    return (shift * s / (1 + (shift - 1) * s)).float()


@dataclass(frozen=True)
class SigmaSampler:
    """Draws per-sample noise levels from the shifted table.

    ``weighting="uniform"``: every level equally likely; ``"logit-normal"``: ``u = sigmoid(N(mean, std))``,
    which concentrates training on middle noise levels (SD3's choice, common for video LoRAs).
    """

    num_train_timesteps: int = 1000
    shift: float = 1.0
    weighting: str = "uniform"
    logit_mean: float = 0.0
    logit_std: float = 1.0

    def __post_init__(self):
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting: expected one of {', '.join(WEIGHTINGS)}, got {self.weighting!r}")
        if not self.logit_std > 0:
            raise ValueError(f"logit_std: expected a number > 0, got {self.logit_std}")

    def sample(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """float32 ``[batch]`` sigmas on the generator's device, each one of the table's levels."""
        device = generator.device
        if self.weighting == "uniform":
            u = torch.rand(batch, generator=generator, device=device)
        else:
            normal = torch.randn(batch, generator=generator, device=device)
            u = torch.sigmoid(self.logit_mean + self.logit_std * normal)
        index = (u * self.num_train_timesteps).long().clamp(max=self.num_train_timesteps - 1)
        return shifted_sigmas(self.num_train_timesteps, self.shift).to(device)[index]


def noisy_latents(x0: torch.Tensor, noise: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """``(1 - sigma) * x0 + sigma * noise``; x0, noise ``[B, ...]``, sigma ``[B]``."""
    s = sigma.reshape(-1, *([1] * (x0.dim() - 1))).to(x0.dtype)
    return (1 - s) * x0 + s * noise


def velocity_target(x0: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """``noise - x0``: what the model's (sign-normalised) prediction regresses to."""
    return noise - x0
