"""Whole tiny models, stock vs radial, on the CPU and on CUDA (on_device.py: how each runs them): with
every block kept radial must be the stock processor; with the radial mask it must be dense attention
under the token-expanded mask (float64 reference, rounded to the model's dtype)."""

from __future__ import annotations

import pytest

# diffusers.models, not diffusers: without the real package, this test folder itself would import as
# a namespace package named diffusers.
pytest.importorskip("diffusers.models", reason="radial.diffusers tests need diffusers >= 0.35 and peft"
                    " (pip install 'diffusers>=0.35' peft)")

import torch  # noqa: E402

import on_device  # noqa: E402
import tiny_models as tm  # noqa: E402
from numerics import errors  # noqa: E402
from radial.diffusers import disable_radial_attention, enable_radial_attention  # noqa: E402

FAMILY_PARAMS = [pytest.param(f, id=f.name) for f in tm.FAMILIES]
SIZE_PARAMS = [pytest.param(s, id=f"{s[0]}x{s[1]}x{s[2]}f") for s in tm.VIDEO_SIZES]
CPU = torch.device("cpu")


def video(family: tm.Family, size) -> dict:
    height, width, latent_frames = size
    return dict(height=height, width=width, num_frames=family.frames_for(latent_frames))


def batch_inputs(family: tm.Family, size, device: torch.device, **extra) -> dict:
    """Batch 2; the text families get each element its own padding (20 and 7 real tokens of 20)."""
    text = {} if family.name.startswith("wan") else dict(text_valid=[20, 7], text_len=20)
    return on_device.inputs_on(family.inputs(**video(family, size), batch=2, seed=3, **text, **extra), device)


def all_radial(model, family, size) -> None:
    enable_radial_attention(model, **video(family, size), dense_layers=0, dense_timesteps=0)


@pytest.mark.parametrize("size", SIZE_PARAMS)
@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_all_blocks_kept_equals_stock(family, size, device, all_ones_mask):
    model = on_device.build(family.make, device)
    inputs = batch_inputs(family, size, device)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    on_device.assert_same_output(f"{family.name} {size} all blocks kept", tm.forward(model, inputs), stock)


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_all_blocks_kept_equals_stock_cpu_bf16(family, all_ones_mask):
    """The CPU kernels' bf16 path (on CUDA the test above runs in bf16)."""
    size = tm.VIDEO_SIZES[0]
    model = family.make().to(torch.bfloat16)
    inputs = on_device.inputs_on(batch_inputs(family, size, CPU), CPU, torch.bfloat16)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    on_device.assert_same_output(f"{family.name} all blocks kept", tm.forward(model, inputs), stock)


@pytest.mark.parametrize("size", SIZE_PARAMS)
@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_radial_mask_equals_dense_masked_reference(family, size, device, monkeypatch, float64_reference):
    model = on_device.build(family.make, device)
    inputs = batch_inputs(family, size, device)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    reference = tm.forward(model, inputs)  # float64_reference is in place
    monkeypatch.undo()  # radial's own kernels from here on
    radial_out = tm.forward(model, inputs)
    rel = on_device.assert_same_output(f"{family.name} {size} radial mask", radial_out, reference)
    mask_effect = errors(reference, stock)[1]
    print(f"the mask changes the output by {mask_effect:.2e}")
    # The mask must matter at these sizes, well beyond radial's own error and the float32 tolerance:
    # a processor that ignored it would be exactly as far from the reference as the stock output is.
    assert mask_effect > max(4 * rel, 1e-4), f"the mask changes the output by {mask_effect:.2e} only"


@pytest.mark.parametrize("family", [pytest.param(f, id=f.name) for f in (tm.WAN_I2V, tm.HUNYUAN_VIDEO_I2V)])
def test_image_to_video_transformers(family, device, all_ones_mask):
    size = tm.VIDEO_SIZES[0]
    model = on_device.build(family.make, device)
    inputs = batch_inputs(family, size, device)
    stock = tm.forward(model, inputs)
    all_radial(model, family, size)
    on_device.assert_same_output(f"{family.name} all blocks kept", tm.forward(model, inputs), stock)


def test_mochi_scattered_text_padding_equals_stock(device, all_ones_mask):
    """The stock Mochi processor keeps each element's valid text tokens wherever they are; so does radial."""
    size = tm.VIDEO_SIZES[0]
    model = on_device.build(tm.MOCHI.make, device)
    scattered = torch.zeros(2, 20, dtype=torch.long)
    scattered[0, ::3] = 1
    scattered[1, [1, 2, 9, 19]] = 1
    inputs = tm.MOCHI.inputs(**video(tm.MOCHI, size), batch=2, seed=5)
    inputs = on_device.inputs_on(dict(inputs, encoder_attention_mask=scattered), device)
    stock = tm.forward(model, inputs)
    all_radial(model, tm.MOCHI, size)
    on_device.assert_same_output("mochi scattered text", tm.forward(model, inputs), stock)


def test_hunyuan_video_padded_text_stays_finite_and_per_batch(device):
    """Each batch element its own valid length: element 1 alone gives what it gives inside the batch."""
    size = tm.VIDEO_SIZES[0]
    model = on_device.build(tm.HUNYUAN_VIDEO.make, device)
    all_radial(model, tm.HUNYUAN_VIDEO, size)
    inputs = batch_inputs(tm.HUNYUAN_VIDEO, size, device)
    together = tm.forward(model, inputs)
    alone = tm.forward(model, {k: v[1:] for k, v in inputs.items()})
    assert torch.isfinite(together).all()
    on_device.assert_same_output("hunyuanvideo element 1 in the batch", together[1:], alone)
    disable_radial_attention(model)
