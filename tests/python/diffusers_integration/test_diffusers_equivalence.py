"""Whole tiny models, stock vs radial: with every block kept radial must be the stock processor; with
the radial mask it must be dense attention under the token-expanded mask (float64 reference)."""

from __future__ import annotations

import pytest

# diffusers.models, not diffusers: without the real package, this test folder itself would import as
# a namespace package named diffusers.
pytest.importorskip("diffusers.models", reason="radial.diffusers tests need diffusers >= 0.35 and peft"
                    " (pip install 'diffusers>=0.35' peft)")

import torch  # noqa: E402

import tiny_models as tm  # noqa: E402
from numerics import errors  # noqa: E402
from radial.diffusers import disable_radial_attention, enable_radial_attention  # noqa: E402

FAMILY_PARAMS = [pytest.param(f, id=f.name) for f in tm.FAMILIES]
SIZE_PARAMS = [pytest.param(s, id=f"{s[0]}x{s[1]}x{s[2]}f") for s in tm.VIDEO_SIZES]


def video(family: tm.Family, size) -> dict:
    height, width, latent_frames = size
    return dict(height=height, width=width, num_frames=family.frames_for(latent_frames))


def batch_inputs(family: tm.Family, size, **extra) -> dict:
    """Batch 2; the text families get each element its own padding (20 and 7 real tokens of 20)."""
    text = {} if family.name.startswith("wan") else dict(text_valid=[20, 7], text_len=20)
    return family.inputs(**video(family, size), batch=2, seed=3, **text, **extra)


def all_radial(model, family, size) -> None:
    enable_radial_attention(model, **video(family, size), dense_layers=0, dense_timesteps=0)


def to_dtype(inputs: dict, dtype: torch.dtype) -> dict:
    return {k: v.to(dtype) if v.is_floating_point() and k != "timestep" else v for k, v in inputs.items()}


@pytest.mark.parametrize("size", SIZE_PARAMS)
@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_all_blocks_kept_equals_stock_fp32(family, size, all_ones_mask):
    model = family.make()
    inputs = batch_inputs(family, size)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    radial_out = tm.forward(model, inputs)
    max_abs, rel = errors(radial_out, stock)
    print(f"{family.name} {size}: max-abs {max_abs:.2e} rel {rel:.2e}")
    assert torch.isfinite(radial_out).all()
    assert rel < 1e-5 and max_abs < 1e-4


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_all_blocks_kept_equals_stock_bf16(family, all_ones_mask):
    size = tm.VIDEO_SIZES[0]
    model = family.make().to(torch.bfloat16)
    inputs = to_dtype(batch_inputs(family, size), torch.bfloat16)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    radial_out = tm.forward(model, inputs)
    max_abs, rel = errors(radial_out, stock)
    print(f"{family.name} bf16: max-abs {max_abs:.2e} rel {rel:.2e}")
    assert rel <= 1e-2


@pytest.mark.parametrize("size", SIZE_PARAMS)
@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_radial_mask_equals_dense_masked_reference(family, size, monkeypatch, float64_reference):
    model = family.make()
    inputs = batch_inputs(family, size)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    reference = tm.forward(model, inputs)  # float64_reference is in place
    monkeypatch.undo()  # radial's own kernels from here on
    radial_out = tm.forward(model, inputs)
    max_abs, rel = errors(radial_out, reference)
    mask_effect = errors(reference, stock)[1]
    print(f"{family.name} {size}: vs reference max-abs {max_abs:.2e} rel {rel:.2e};"
          f" the mask changes the output by {mask_effect:.2e}")
    assert rel < 1e-5 and max_abs < 1e-4
    # The mask must matter at these sizes, or this test would not see a processor that ignores it.
    assert mask_effect > 1e-4


@pytest.mark.parametrize("family", [pytest.param(f, id=f.name) for f in (tm.WAN_I2V, tm.HUNYUAN_VIDEO_I2V)])
def test_image_to_video_transformers(family, all_ones_mask):
    size = tm.VIDEO_SIZES[0]
    model = family.make()
    inputs = batch_inputs(family, size)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    max_abs, rel = errors(tm.forward(model, inputs), stock)
    assert rel < 1e-5 and max_abs < 1e-4


def test_mochi_scattered_text_padding_equals_stock(all_ones_mask):
    """The stock Mochi processor keeps each element's valid text tokens wherever they are; so does radial."""
    size = tm.VIDEO_SIZES[0]
    model = tm.MOCHI.make()
    inputs = tm.MOCHI.inputs(**video(tm.MOCHI, size), batch=2, seed=5)
    scattered = torch.zeros(2, 20, dtype=torch.long)
    scattered[0, ::3] = 1
    scattered[1, [1, 2, 9, 19]] = 1
    inputs["encoder_attention_mask"] = scattered
    stock = tm.forward(model, inputs)
    all_radial(model, tm.MOCHI, size)
    max_abs, rel = errors(tm.forward(model, inputs), stock)
    assert rel < 1e-5 and max_abs < 1e-4


def test_hunyuan_video_padded_text_stays_finite_and_per_batch():
    """Each batch element its own valid length: element 1 alone gives what it gives inside the batch."""
    size = tm.VIDEO_SIZES[0]
    model = tm.HUNYUAN_VIDEO.make()
    all_radial(model, tm.HUNYUAN_VIDEO, size)
    inputs = batch_inputs(tm.HUNYUAN_VIDEO, size)
    together = tm.forward(model, inputs)
    alone = tm.forward(model, {k: v[1:] for k, v in inputs.items()})
    assert torch.isfinite(together).all()
    max_abs, rel = errors(together[1:], alone)
    assert rel < 1e-5 and max_abs < 1e-4
    disable_radial_attention(model)
