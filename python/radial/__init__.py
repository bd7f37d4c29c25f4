"""radial: Radial Attention (arXiv 2506.19852), static block-sparse attention for video diffusion
transformers, as PyTorch operators with CPU and CUDA kernels.

    import radial
    mask = radial.mask_for("wan2.1-t2v-14b", height=720, width=1280, num_frames=81)
    out = radial.attention(q, k, v, mask)   # q, k, v: [B, S, H, D], S == mask.seq_len
"""

from radial.functional import attention
from radial.masks import DEFAULT_BLOCK_SIZE, BlockIndex, MaskSpec, RadialMask, mask, mask_for, read_mask
from radial.presets import Preset, PresetConfig, Schedule, configure_preset, presets

__version__ = "0.1.0"

__all__ = [
    "attention",
    "mask",
    "mask_for",
    "read_mask",
    "RadialMask",
    "MaskSpec",
    "BlockIndex",
    "DEFAULT_BLOCK_SIZE",
    "presets",
    "configure_preset",
    "Preset",
    "PresetConfig",
    "Schedule",
]
