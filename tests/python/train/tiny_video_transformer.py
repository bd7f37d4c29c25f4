"""A tiny video transformer for the training tests, with no diffusers: its blocks' self-attention
(``blocks[i].attn1``, with ``to_q``, ``to_k``, ``to_v``, ``to_out.0`` named as diffusers names them, so
the same LoRA targeting applies) calls :func:`radial.attention`, and a :class:`TinyFamily` trains it.

Geometry as Wan's: latents ``(B, 4, F, H/8, W/8)`` of a ``H x W`` video, 2x2 patches, frame-major tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

import radial
from radial.train import TrainingFamily
from radial.train.lora import projection_names

LATENT_CHANNELS, TEXT_DIM = 4, 16
HEADS, HEAD_DIM = 2, 64  # a head dim the CUDA kernels are built for
DIM = HEADS * HEAD_DIM
PATCH = 2
PRESET = "wan2.1-t2v-14b"  # its geometry (16 pixels a token side, 4 frames a latent frame) and schedule


def sparse_attention(q, k, v, mask):
    """q, k, v ``[B, S, H, D]`` -> ``[B, S, H, D]``; a module attribute so tests can swap in a reference."""
    return radial.attention(q, k, v, mask)


class SelfAttention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.to_q, self.to_k, self.to_v = (torch.nn.Linear(DIM, DIM) for _ in range(3))
        self.to_out = torch.nn.ModuleList([torch.nn.Linear(DIM, DIM), torch.nn.Dropout(0.0)])

    def forward(self, x: torch.Tensor, mask) -> torch.Tensor:
        """x ``[B, S, DIM]`` -> ``[B, S, DIM]``; ``mask`` None runs dense attention."""
        q, k, v = (proj(x).unflatten(2, (HEADS, HEAD_DIM)) for proj in (self.to_q, self.to_k, self.to_v))  # (B, S, H, D)
        if mask is None:
            out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)).transpose(1, 2)
        else:
            out = sparse_attention(q, k, v, mask)
        out = out.flatten(2).type_as(x)  # (B, S, DIM)
        return self.to_out[1](self.to_out[0](out))


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = torch.nn.LayerNorm(DIM), torch.nn.LayerNorm(DIM)
        self.attn1 = SelfAttention()
        self.ff = torch.nn.Sequential(torch.nn.Linear(DIM, 2 * DIM), torch.nn.GELU(), torch.nn.Linear(2 * DIM, DIM))

    def forward(self, x: torch.Tensor, condition: torch.Tensor, mask) -> torch.Tensor:
        """x ``[B, S, DIM]``, condition ``[B, DIM]`` (time and text)."""
        x = x + self.attn1(self.norm1(x) + condition[:, None], mask)
        return x + self.ff(self.norm2(x))


class TinyVideoTransformer(torch.nn.Module):
    def __init__(self, layers: int = 2, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.patch_embed = torch.nn.Linear(LATENT_CHANNELS * PATCH * PATCH, DIM)
        self.time_embed = torch.nn.Sequential(torch.nn.Linear(1, DIM), torch.nn.SiLU(), torch.nn.Linear(DIM, DIM))
        self.text_embed = torch.nn.Linear(TEXT_DIM, DIM)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(layers))
        self.norm_out = torch.nn.LayerNorm(DIM)
        self.proj_out = torch.nn.Linear(DIM, LATENT_CHANNELS * PATCH * PATCH)
        self.masks = [None] * layers  # per block: a RadialMask, or None for dense
        self.gradient_checkpointing = False

    def enable_gradient_checkpointing(self) -> None:
        self.gradient_checkpointing = True

    def forward(self, latents: torch.Tensor, timestep: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """latents ``[B, C, F, H, W]``, timestep ``[B]`` in [0, 1000], text ``[B, N, TEXT_DIM]`` ->
        ``[B, C, F, H, W]``."""
        b, c, f, h, w = latents.shape
        patches = latents.reshape(b, c, f, h // PATCH, PATCH, w // PATCH, PATCH)
        tokens = patches.permute(0, 2, 3, 5, 1, 4, 6).reshape(b, f * (h // PATCH) * (w // PATCH), -1)  # (B, S, C*P*P)
        x = self.patch_embed(tokens)  # (B, S, DIM)
        condition = self.time_embed(timestep[:, None].to(x.dtype) / 1000) + self.text_embed(text).mean(1)  # (B, DIM)
        for block, mask in zip(self.blocks, self.masks):
            if self.gradient_checkpointing and torch.is_grad_enabled():
                x = checkpoint(block, x, condition, mask, use_reentrant=False)
            else:
                x = block(x, condition, mask)
        out = self.proj_out(self.norm_out(x))  # (B, S, C*P*P)
        out = out.reshape(b, f, h // PATCH, w // PATCH, c, PATCH, PATCH).permute(0, 4, 1, 2, 5, 3, 6)
        return out.reshape(b, c, f, h, w)


class TinyFamily(TrainingFamily):
    def self_attention_projections(self, transformer):
        return projection_names(transformer, (block.attn1 for block in transformer.blocks))

    def enable_radial(self, transformer, *, height, width, num_frames, decay, dense_layers):
        config = radial.configure_preset(PRESET, height=height, width=width, num_frames=num_frames)
        mask = radial.mask(frames=config.frames, tokens_per_frame=config.tokens_per_frame,
                           decay=config.schedule.decay if decay is None else decay, sink=config.sink)
        dense = config.schedule.dense_layers if dense_layers is None else dense_layers
        transformer.masks = [None if layer < dense else mask for layer in range(len(transformer.blocks))]

    def predict_velocity(self, transformer, noisy, sigma, batch):
        return transformer(noisy, sigma * 1000, batch["prompt_embeds"])
