"""A style LoRA on the query and key projections, loaded the way ``pipe.load_lora_weights`` loads one
(``load_lora_adapter`` through peft): radial only replaces the attention computation, so the adapter
changes radial's output exactly as it changes the stock output. On the CPU and on CUDA (on_device.py)."""

from __future__ import annotations

import pytest

# diffusers.models, not diffusers: without the real package, this test folder itself would import as
# a namespace package named diffusers.
pytest.importorskip("diffusers.models", reason="radial.diffusers tests need diffusers >= 0.35 and peft"
                    " (pip install 'diffusers>=0.35' peft)")
pytest.importorskip("peft", reason="the LoRA tests need peft")

import torch  # noqa: E402

import on_device  # noqa: E402
import tiny_models as tm  # noqa: E402
from numerics import errors  # noqa: E402
from radial.diffusers import enable_radial_attention  # noqa: E402

FAMILY_PARAMS = [pytest.param(f, id=f.name) for f in tm.FAMILIES]
SIZE = tm.VIDEO_SIZES[2]
RANK = 4


def style_lora(model: torch.nn.Module, seed: int = 11) -> dict[str, torch.Tensor]:
    """A rank-4 LoRA state dict on every ``to_q`` and ``to_k``, keyed as a pipeline hands it over
    (``transformer.<module>.lora_A.weight``)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, module in model.named_modules():
        if name.endswith(("to_q", "to_k")) and isinstance(module, torch.nn.Linear):
            state[f"transformer.{name}.lora_A.weight"] = 0.3 * torch.randn(RANK, module.in_features, generator=g)
            state[f"transformer.{name}.lora_B.weight"] = 0.3 * torch.randn(module.out_features, RANK, generator=g)
    return state


def outputs(family: tm.Family, device: torch.device, *, radial: bool, lora: bool) -> torch.Tensor:
    height, width, latent_frames = SIZE
    model = on_device.build(family.make, device)
    if lora:
        model.load_lora_adapter(style_lora(model), adapter_name="style")
    if radial:
        enable_radial_attention(model, height=height, width=width, num_frames=family.frames_for(latent_frames),
                                dense_layers=0, dense_timesteps=0)
    inputs = family.inputs(height=height, width=width, num_frames=family.frames_for(latent_frames), batch=2)
    return tm.forward(model, on_device.inputs_on(inputs, device))


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_lora_with_all_blocks_kept_equals_stock_with_lora(family, device, all_ones_mask):
    stock = outputs(family, device, radial=False, lora=False)
    stock_lora = outputs(family, device, radial=False, lora=True)
    radial_lora = outputs(family, device, radial=True, lora=True)
    rel = on_device.assert_same_output(f"{family.name} with LoRA, all blocks kept", radial_lora, stock_lora)
    lora_effect = errors(stock_lora, stock)[1]
    print(f"the LoRA changes the output by {lora_effect:.2e}")
    # Far beyond radial's own error, or the comparison could not see an adapter radial dropped.
    assert lora_effect > max(4 * rel, 1e-3), f"the LoRA changes the output by {lora_effect:.2e} only"


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_lora_with_radial_mask_equals_reference_with_lora(family, device, monkeypatch, float64_reference):
    reference_lora = outputs(family, device, radial=True, lora=True)
    monkeypatch.undo()
    radial_lora = outputs(family, device, radial=True, lora=True)
    on_device.assert_same_output(f"{family.name} with LoRA, radial mask", radial_lora, reference_lora)
