"""The video transformers the GPU benchmarks run: real diffusers classes at full size with random
weights (or, for CPU smoke runs, tiny ones of the same classes), the cases' video sizes and a
transformer call's inputs.

Importing this module puts the checkout's ``python/`` and the git-ignored ``.ext/site`` (diffusers
packed for a GPU machine that reaches no registry, see ``pack_diffusers_ext.sh``) on ``sys.path``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / ".ext" / "site"), str(ROOT / "python")]

import torch  # noqa: E402

import radial  # noqa: E402


@dataclass(frozen=True)
class Case:
    preset: str
    height: int
    width: int
    num_frames: int
    kinds: tuple[tuple[str, int], ...]  # (block list attribute, blocks in the real model), in layer order
    text_tokens: int
    config: dict = field(default_factory=dict)  # constructor arguments over the class defaults (tiny models)

    def _preset(self) -> radial.Preset:
        return next(p for p in radial.presets() if p.name == self.preset)

    @property
    def family(self) -> str:
        """The model family: "wan", "hunyuanvideo" or "mochi"."""
        return self._preset().family

    @property
    def layers(self) -> int:
        return sum(count for _, count in self.kinds)

    def attention_shape(self) -> tuple[int, int]:
        """(heads, head dim) of the model's self-attention."""
        preset = self._preset()
        return (self.config.get("num_attention_heads", preset.heads),
                self.config.get("attention_head_dim", preset.head_dim))

    def video(self) -> dict:
        """The pipeline arguments ``enable_radial_attention`` takes."""
        return dict(height=self.height, width=self.width, num_frames=self.num_frames)


_WAN = (("blocks", 40),)
_HUNYUAN = (("transformer_blocks", 20), ("single_transformer_blocks", 40))
_MOCHI = (("transformer_blocks", 48),)
CASES = {
    "wan-720p-81f": Case("wan2.1-t2v-14b", 720, 1280, 81, _WAN, 512),
    "hunyuan-720p-117f": Case("hunyuanvideo", 720, 1280, 117, _HUNYUAN, 256),
    "hunyuan-720p-509f": Case("hunyuanvideo", 720, 1280, 509, _HUNYUAN, 256),
    "mochi-480p-163f": Case("mochi-1", 480, 848, 163, _MOCHI, 256),
}

# Tiny models of the same classes for runs on a CPU: 2 heads of 16, 128 x 192 pixels (96 tokens a
# frame), 9 latent frames (33 frames at Wan's and HunyuanVideo's 4x, 49 at Mochi's 6x): 864 video
# tokens, 7 blocks of 128; HunyuanVideo's and Mochi's 21 text tokens do not split evenly over 2 ranks.
_TINY = dict(num_attention_heads=2, attention_head_dim=16, in_channels=4, out_channels=4)
_TINY_WAN = Case("wan2.1-t2v-14b", 128, 192, 33, (("blocks", 2),), 8,
                 dict(_TINY, patch_size=(1, 2, 2), text_dim=16, freq_dim=16, ffn_dim=32, rope_max_seq_len=64))
_TINY_HUNYUAN = Case("hunyuanvideo", 128, 192, 33, (("transformer_blocks", 2), ("single_transformer_blocks", 2)),
                     21, dict(_TINY, num_refiner_layers=1, mlp_ratio=2.0, text_embed_dim=16, pooled_projection_dim=8,
                              rope_axes_dim=(4, 6, 6)))
_TINY_MOCHI = Case("mochi-1", 128, 192, 49, (("transformer_blocks", 2),), 21,
                   dict(_TINY, text_embed_dim=16, pooled_projection_dim=16, time_embed_dim=16))


def smoke_case(case: Case) -> Case:
    """The tiny model of ``case``'s class, for a run on a CPU."""
    return {"wan": _TINY_WAN, "hunyuanvideo": _TINY_HUNYUAN, "mochi": _TINY_MOCHI}[case.family]


def blocks_to_build(case: Case, per_kind: int | None) -> tuple[dict[str, int], bool]:
    """(blocks of each kind to build, whether that is fewer than the real model has): ``per_kind`` of
    each, by default all of them, but 2 beyond the model's default length (HunyuanVideo at 4x), whose
    dense step would take minutes per block kind (the rest is extrapolated per block)."""
    extended = radial.configure_preset(case.preset, **case.video()).extended_length
    subset = per_kind or (2 if extended else None)
    blocks = {kind: min(subset or count, count) for kind, count in case.kinds}
    return blocks, any(blocks[kind] < count for kind, count in case.kinds)


def build_model(case: Case, blocks: dict[str, int], device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """The transformer with ``blocks[kind]`` blocks of each kind, random weights (seeded, so every rank
    builds the same), in ``dtype`` (the modules diffusers keeps in float32 in float32), built directly
    on ``device``."""
    from diffusers import HunyuanVideoTransformer3DModel, MochiTransformer3DModel, WanTransformer3DModel

    torch.manual_seed(0)
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            if case.family == "wan":
                model = WanTransformer3DModel(num_layers=blocks["blocks"], **case.config)
            elif case.family == "hunyuanvideo":
                model = HunyuanVideoTransformer3DModel(num_layers=blocks["transformer_blocks"],
                                                       num_single_layers=blocks["single_transformer_blocks"],
                                                       **case.config)
            else:
                model = MochiTransformer3DModel(num_layers=blocks["transformer_blocks"], **case.config)
    finally:
        torch.set_default_dtype(default_dtype)
    keep = getattr(model, "_keep_in_fp32_modules", None) or []
    for name, param in model.named_parameters():
        if any(k in name for k in keep):
            param.data = param.data.float()
    return model.eval().requires_grad_(False)


def make_inputs(case: Case, model, device: torch.device, dtype: torch.dtype) -> dict:
    """One transformer call's arguments, batch 1, seeded: the same on every rank, as context
    parallelism needs."""
    config = radial.configure_preset(case.preset, **case.video())
    c = model.config
    g = torch.Generator(device).manual_seed(0)
    latent = torch.randn(1, c.in_channels, config.frames, case.height // 8, case.width // 8,
                         generator=g, device=device, dtype=dtype)
    text_dim = c.text_dim if case.family == "wan" else c.text_embed_dim
    text = torch.randn(1, case.text_tokens, text_dim, generator=g, device=device, dtype=dtype)
    inputs = dict(hidden_states=latent, timestep=torch.tensor([900.0], device=device), encoder_hidden_states=text)
    if case.family != "wan":  # every text token valid: a prompt that fills the padded length
        inputs.update(encoder_attention_mask=torch.ones(1, case.text_tokens, device=device, dtype=torch.int64))
    if case.family == "hunyuanvideo":
        inputs.update(pooled_projections=torch.randn(1, c.pooled_projection_dim, generator=g, device=device,
                                                     dtype=dtype),
                      guidance=torch.tensor([6000.0], device=device))
    return inputs


def block_modules(model, case: Case) -> dict[str, torch.nn.Module]:
    return {f"{kind}.{i}": block for kind, _ in case.kinds for i, block in enumerate(getattr(model, kind))}


def self_attention_modules(model) -> dict[str, torch.nn.Module]:
    return {name: m for name, m in model.named_modules()
            if name.endswith((".attn1", ".attn")) and "context_embedder" not in name}


def drop_text_mask(model, case: Case) -> list:
    """The inputs have no text padding (batch 1, an all-ones text mask), so HunyuanVideo's key mask is
    all true: None means the same and lets FA2, which takes no mask, run. Returns the hook handles.
    Wan's self-attention has no mask; Mochi's keeps it, since its processors use it only to pick the
    valid text tokens and give SDPA no mask."""
    if case.family != "hunyuanvideo":
        return []

    def hook(module, args, kwargs):
        if "attention_mask" in kwargs:  # HunyuanVideo passes it by keyword
            kwargs["attention_mask"] = None
        return args, kwargs

    return [m.register_forward_pre_hook(hook, with_kwargs=True) for m in self_attention_modules(model).values()]
