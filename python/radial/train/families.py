"""How each kind of transformer is trained: which projections get LoRA, how attention turns radial, and
how a noisy latent and a noise level become the transformer's inputs and a velocity prediction.

Wan, HunyuanVideo and Mochi (diffusers' classes) are built in; any other model trains through a
:class:`TrainingFamily` of its own (the tests define one for a tiny transformer).
"""

from __future__ import annotations

import sys
from typing import Optional

import torch

from radial.train.lora import projection_names

# Wan, HunyuanVideo and Mochi all embed the timestep as sigma * 1000 (Mochi as (1 - sigma) * 1000).
TIMESTEP_SCALE = 1000.0


class TrainingFamily:
    """The interface the trainer uses."""

    def self_attention_projections(self, transformer: torch.nn.Module) -> list[str]:
        """Full module names of the self-attention ``to_q``, ``to_k``, ``to_v``, ``to_out.0`` layers."""
        raise NotImplementedError

    def enable_radial(self, transformer: torch.nn.Module, *, height: int, width: int, num_frames: int,
                      decay: Optional[float], dense_layers: Optional[int]) -> None:
        """Makes self-attention radial for videos of this size; ``None`` takes the preset's schedule at
        this length. Training has no denoising steps: every noise level runs radial."""
        raise NotImplementedError

    def predict_velocity(self, transformer: torch.nn.Module, noisy: torch.Tensor, sigma: torch.Tensor,
                         batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The model's estimate of ``noise - x0``: noisy ``[B, C, F, H, W]``, sigma ``[B]`` ->
        ``[B, C, F, H, W]``. ``batch`` holds the sample tensors (docs/training.md), on the device."""
        raise NotImplementedError

    def compile_blocks(self, transformer: torch.nn.Module) -> None:
        """Puts each transformer block through ``torch.compile`` in place (regional compilation: the
        blocks of one kind share one compiled graph; parameter names do not change, so saved LoRAs do
        not either)."""
        raise NotImplementedError(f"compile: {type(self).__name__} does not say which blocks to compile"
                                  " (implement TrainingFamily.compile_blocks)")


class DiffusersFamily(TrainingFamily):
    """Wan2.1/2.2, HunyuanVideo and Mochi 1 transformers, radial through :mod:`radial.diffusers`."""

    def __init__(self, transformer: torch.nn.Module, *, embedded_guidance: float = 6.0):
        from radial.diffusers.families import family_of

        self.family = family_of(transformer)
        self.embedded_guidance = embedded_guidance

    @property
    def name(self) -> str:
        return self.family.name

    def self_attention_projections(self, transformer):
        return projection_names(transformer, (module for _, module in self.family.self_attention(transformer)))

    def enable_radial(self, transformer, *, height, width, num_frames, decay, dense_layers):
        from radial.diffusers import enable_radial_attention, radial_run

        enable_radial_attention(transformer, height=height, width=width, num_frames=num_frames, decay=decay,
                                dense_layers=dense_layers, dense_timesteps=0)
        settings = radial_run(transformer).settings
        config = settings.config
        length = "extended-length" if config.extended_length else "default-length"
        print(f"radial.train: {config.preset.name} at {height}x{width}, {num_frames} frames ({length} schedule):"
              f" {config.frames} latent frames of {config.tokens_per_frame} tokens, decay {settings.decay:g},"
              f" dense layers {settings.dense_layers}", file=sys.stderr)

    def compile_blocks(self, transformer):
        for block in self.family.blocks(transformer):
            block.compile()

    def predict_velocity(self, transformer, noisy, sigma, batch):
        inputs = dict(hidden_states=noisy, encoder_hidden_states=batch["prompt_embeds"])
        if self.name == "mochi":
            # Mochi runs time backwards (1000 at the clean end) and predicts x0 - noise.
            inputs.update(timestep=(1 - sigma) * TIMESTEP_SCALE,
                          encoder_attention_mask=_required(batch, "prompt_attention_mask", "Mochi"))
            return -transformer(**inputs, return_dict=False)[0]
        inputs.update(timestep=sigma * TIMESTEP_SCALE)
        if self.name == "hunyuanvideo":
            inputs.update(encoder_attention_mask=_required(batch, "prompt_attention_mask", "HunyuanVideo"),
                          pooled_projections=_required(batch, "pooled_prompt_embeds", "HunyuanVideo"))
            if transformer.config.guidance_embeds:
                # The distilled guidance the pipeline embeds (its guidance_scale, times 1000).
                inputs.update(guidance=torch.full_like(sigma, self.embedded_guidance * TIMESTEP_SCALE))
        return transformer(**inputs, return_dict=False)[0]


def _required(batch: dict, key: str, model: str) -> torch.Tensor:
    if key not in batch:
        raise ValueError(f"data: {model} needs {key!r} in every sample file (see docs/training.md)")
    return batch[key]
