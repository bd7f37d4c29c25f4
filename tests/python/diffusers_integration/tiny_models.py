"""Tiny random-weight transformers of each family, text- and image-to-video (real diffusers classes,
2 heads of 16 by default; ``head_dim`` 64 for the CUDA kernels, see on_device.py), and their forward
inputs, at video sizes whose sequences span several 128-token blocks.

Video sizes are pipeline arguments: pixels and frames. Every family maps 16 pixels to one token side
(VAE 8x, patch 2); Wan and HunyuanVideo map 4 frames to one latent frame, Mochi 6.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

import torch
from diffusers import HunyuanVideoTransformer3DModel, MochiTransformer3DModel, WanTransformer3DModel

HEADS, HEAD_DIM = 2, 16
LATENT_CHANNELS = 4
TEXT_DIM = 16
INPUT_SCALE = 1.5  # non-unit, so a scale mistake cannot hide


def tiny_wan(seed: int = 0, layers: int = 2, head_dim: int = HEAD_DIM) -> WanTransformer3DModel:
    torch.manual_seed(seed)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=HEADS, attention_head_dim=head_dim, in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS, text_dim=TEXT_DIM, freq_dim=16, ffn_dim=32, num_layers=layers,
        rope_max_seq_len=64,
    ).eval()


def tiny_hunyuan_video(seed: int = 0, dual: int = 1, single: int = 1, image_condition_type=None,
                       head_dim: int = HEAD_DIM) -> HunyuanVideoTransformer3DModel:
    torch.manual_seed(seed)
    # The rotary axes (frames, rows, columns) split the head dim 2:3:3, as the full model's 16, 56, 56 of
    # 128 roughly do; they must add up to it.
    rope_axes = (head_dim // 4, 3 * head_dim // 8, 3 * head_dim // 8)
    return HunyuanVideoTransformer3DModel(
        in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, num_attention_heads=HEADS,
        attention_head_dim=head_dim, num_layers=dual, num_single_layers=single, num_refiner_layers=1,
        mlp_ratio=2.0, patch_size=2, patch_size_t=1, guidance_embeds=False, text_embed_dim=TEXT_DIM,
        pooled_projection_dim=8, rope_axes_dim=rope_axes, image_condition_type=image_condition_type,
    ).eval()


def tiny_wan_i2v(seed: int = 0, head_dim: int = HEAD_DIM) -> WanTransformer3DModel:
    """Wan's image-to-video transformer: image tokens through cross-attention's added key/value."""
    torch.manual_seed(seed)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=HEADS, attention_head_dim=head_dim,
        in_channels=2 * LATENT_CHANNELS, out_channels=LATENT_CHANNELS, text_dim=TEXT_DIM, freq_dim=16,
        ffn_dim=32, num_layers=2, rope_max_seq_len=64, image_dim=TEXT_DIM, added_kv_proj_dim=HEADS * head_dim,
    ).eval()


def wan_i2v_inputs(*, height, width, num_frames, batch=1, seed=0, timestep=500.0, **_):
    """Latent and image condition stacked on channels; Wan's cross-attention assumes 512 text tokens."""
    g = torch.Generator().manual_seed(seed + 1)
    frames = 1 + (num_frames - 1) // 4
    video, image = latent(batch, frames, height, width, seed), latent(batch, frames, height, width, seed + 2)
    return dict(
        hidden_states=torch.cat([video, image], dim=1),
        timestep=torch.full((batch,), timestep),
        encoder_hidden_states=torch.randn(batch, 512, TEXT_DIM, generator=g),
        encoder_hidden_states_image=torch.randn(batch, 5, TEXT_DIM, generator=g),
    )


def tiny_mochi(seed: int = 0, layers: int = 2, head_dim: int = HEAD_DIM) -> MochiTransformer3DModel:
    torch.manual_seed(seed)
    model = MochiTransformer3DModel(
        patch_size=2, num_attention_heads=HEADS, attention_head_dim=head_dim, num_layers=layers,
        pooled_projection_dim=16, in_channels=LATENT_CHANNELS, text_embed_dim=TEXT_DIM, time_embed_dim=16,
        max_sequence_length=32,
    ).eval()
    with torch.no_grad():  # zeros by default: rotary would be the identity and go untested
        model.pos_frequencies.normal_(0, 0.5)
    return model


# The self-attention modules radial replaces: Wan's and Mochi's attn1, HunyuanVideo's dual- and
# single-stream attn (not its text refiner's).
SELF_ATTENTION = re.compile(r"(blocks|transformer_blocks|single_transformer_blocks)\.\d+\.attn1?")


def emphasize_self_attention(model: torch.nn.Module, *, sharpen: float = 2.0, value_gain: float = 4.0):
    """Makes self-attention shape the output, as it does in trained models. At random initialization
    attention is nearly uniform and its output, an average of many random values, small: removing it
    changes these models' output by 1 to 2 %, about what bf16 rounding does, so a bf16 comparison could
    not tell a right mask from a wrong one. Scaling the q/k norms' weights sharpens the scores (by
    sharpen squared); scaling the value projections raises attention's share of the output."""
    with torch.no_grad():
        for name, attention in model.named_modules():
            if not SELF_ATTENTION.fullmatch(name):
                continue
            for child_name, child in attention.named_children():
                if child_name in ("norm_q", "norm_k", "norm_added_q", "norm_added_k"):
                    child.weight.mul_(sharpen)
                elif child_name in ("to_v", "add_v_proj"):
                    child.weight.mul_(value_gain)
                    if child.bias is not None:
                        child.bias.mul_(value_gain)
    return model


def latent(batch: int, frames: int, height: int, width: int, seed: int) -> torch.Tensor:
    """(B, C, F, H, W) latent of a video of ``frames`` latent frames at ``height x width`` pixels."""
    g = torch.Generator().manual_seed(seed)
    return INPUT_SCALE * torch.randn(batch, LATENT_CHANNELS, frames, height // 8, width // 8, generator=g)


def text_mask(valid: list[int], text_len: int) -> torch.Tensor:
    """int64 ``[B, N]``: 1 on each element's first ``valid[b]`` text tokens (a tokenizer's padding)."""
    return (torch.arange(text_len)[None, :] < torch.tensor(valid)[:, None]).long()


def wan_inputs(*, height, width, num_frames, batch=1, seed=0, timestep=500.0, **_):
    g = torch.Generator().manual_seed(seed + 1)
    return dict(
        hidden_states=latent(batch, 1 + (num_frames - 1) // 4, height, width, seed),
        timestep=torch.full((batch,), timestep),
        encoder_hidden_states=torch.randn(batch, 8, TEXT_DIM, generator=g),
    )


def hunyuan_video_inputs(*, height, width, num_frames, batch=1, seed=0, timestep=500.0, text_valid=None,
                         text_len=20, **_):
    g = torch.Generator().manual_seed(seed + 1)
    valid = text_valid or [text_len] * batch
    return dict(
        hidden_states=latent(batch, 1 + (num_frames - 1) // 4, height, width, seed),
        timestep=torch.full((batch,), timestep),
        encoder_hidden_states=torch.randn(batch, text_len, TEXT_DIM, generator=g),
        encoder_attention_mask=text_mask(valid, text_len),
        pooled_projections=torch.randn(batch, 8, generator=g),
    )


def mochi_inputs(*, height, width, num_frames, batch=1, seed=0, timestep=500.0, text_valid=None, text_len=20,
                 **_):
    g = torch.Generator().manual_seed(seed + 1)
    valid = text_valid or [text_len] * batch
    return dict(
        hidden_states=latent(batch, 1 + (num_frames - 1) // 6, height, width, seed),
        encoder_hidden_states=torch.randn(batch, text_len, TEXT_DIM, generator=g),
        timestep=torch.full((batch,), timestep),
        encoder_attention_mask=text_mask(valid, text_len),
    )


@dataclass(frozen=True)
class Family:
    name: str
    make: Callable[..., torch.nn.Module]
    inputs: Callable[..., dict]
    temporal_factor: int

    def frames_for(self, latent_frames: int) -> int:
        """Pipeline frame count that gives ``latent_frames`` latent frames."""
        return 1 + (latent_frames - 1) * self.temporal_factor


WAN = Family("wan", tiny_wan, wan_inputs, 4)
HUNYUAN_VIDEO = Family("hunyuanvideo", tiny_hunyuan_video, hunyuan_video_inputs, 4)
MOCHI = Family("mochi", tiny_mochi, mochi_inputs, 6)
FAMILIES = (WAN, HUNYUAN_VIDEO, MOCHI)
# Image-to-video transformers: the same classes, the same self-attention.
WAN_I2V = Family("wan-i2v", tiny_wan_i2v, wan_i2v_inputs, 4)
HUNYUAN_VIDEO_I2V = Family("hunyuanvideo-i2v",
                           functools.partial(tiny_hunyuan_video, image_condition_type="token_replace"),
                           hunyuan_video_inputs, 4)

# (height, width, latent frames): tokens per frame 64 (a block holds two frames), 48 (blocks straddle
# frames), 112 (the sparsest here: about 0.25 of the blocks kept) and 160 (a frame spans two blocks).
VIDEO_SIZES = ((128, 128, 9), (96, 128, 12), (144, 224, 8), (128, 320, 5))


def forward(model: torch.nn.Module, inputs: dict) -> torch.Tensor:
    with torch.no_grad():
        return model(**inputs, return_dict=False)[0]
