"""Tiny random-weight diffusers transformers, for trying the command line and for tests: ``--model
tiny-wan``, ``tiny-hunyuanvideo`` or ``tiny-mochi``. 2 heads of 64 (a head dim the CUDA kernels are
built for), 2 blocks (1 dual + 1 single for
HunyuanVideo); their samples have 4 latent channels and 16-wide text embeddings (8 for HunyuanVideo's
pooled embedding)."""

from __future__ import annotations

import torch

LATENT_CHANNELS = 4
TEXT_DIM = 16
HEAD_DIM = 64
POOLED_DIM = 8
TINY_MODELS = ("tiny-wan", "tiny-hunyuanvideo", "tiny-mochi")


def tiny_transformer(name: str, seed: int = 0) -> torch.nn.Module:
    """A freshly initialised tiny transformer (the same weights for the same seed)."""
    import diffusers

    torch.manual_seed(seed)
    if name == "tiny-wan":
        return diffusers.WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=HEAD_DIM, in_channels=LATENT_CHANNELS,
            out_channels=LATENT_CHANNELS, text_dim=TEXT_DIM, freq_dim=16, ffn_dim=32, num_layers=2,
            rope_max_seq_len=64)
    if name == "tiny-hunyuanvideo":
        return diffusers.HunyuanVideoTransformer3DModel(
            in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, num_attention_heads=2, attention_head_dim=HEAD_DIM,
            num_layers=1, num_single_layers=1, num_refiner_layers=1, mlp_ratio=2.0, patch_size=2, patch_size_t=1,
            guidance_embeds=False, text_embed_dim=TEXT_DIM, pooled_projection_dim=POOLED_DIM, rope_axes_dim=(16, 24, 24))
    if name == "tiny-mochi":
        return diffusers.MochiTransformer3DModel(
            patch_size=2, num_attention_heads=2, attention_head_dim=HEAD_DIM, num_layers=2, pooled_projection_dim=16,
            in_channels=LATENT_CHANNELS, text_embed_dim=TEXT_DIM, time_embed_dim=16, max_sequence_length=32)
    raise ValueError(f"model: expected a diffusers model directory or one of {', '.join(TINY_MODELS)}, got {name!r}")
