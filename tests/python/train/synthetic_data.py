"""The video size every training test uses and a writer of synthetic sample directories."""

from __future__ import annotations

import torch

from radial.train import write_sample

# 128x256 pixels, 41 frames: 11 latent frames of 8x16 tokens, 1408 tokens in 11 blocks, 62 % of them
# kept by Wan's mask: sparse enough that a wrong mask would show. (Frames under 128 tokens make the
# reference's mask leave whole query blocks empty, which radial.diffusers refuses.)
VIDEO = dict(height=128, width=256, num_frames=41)
LATENT_SHAPE = (4, 11, 16, 32)  # (C, F, H/8, W/8)
TEXT_TOKENS, TEXT_DIM, POOLED_DIM = 8, 16, 8
LATENT_SCALE = 1.5  # non-unit, so a scale mistake cannot hide


def write_dataset(directory, samples: int = 2, seed: int = 0, *, text_mask: bool = False, pooled: bool = False):
    """``samples`` sample files in ``directory``: latents a learnable level per channel plus random
    detail (pure noise latents leave a LoRA little to learn in a few steps); optional text masks (the
    last 2 tokens padding) and pooled embeddings, for HunyuanVideo and Mochi."""
    directory.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    levels = torch.linspace(-1, 1, LATENT_SHAPE[0])[:, None, None, None]  # (C, 1, 1, 1)
    for i in range(samples):
        extra = {}
        if text_mask:
            extra["prompt_attention_mask"] = (torch.arange(TEXT_TOKENS) < TEXT_TOKENS - 2).long()
        if pooled:
            extra["pooled_prompt_embeds"] = torch.randn(POOLED_DIM, generator=g)
        write_sample(directory / f"sample-{i:03d}.safetensors",
                     latents=LATENT_SCALE * (levels + 0.1 * torch.randn(*LATENT_SHAPE, generator=g)),
                     prompt_embeds=torch.randn(TEXT_TOKENS, TEXT_DIM, generator=g), **extra)
    return directory
