"""Enabling and disabling: which processors change, what comes back, and the errors users can meet."""

from __future__ import annotations

import types

import pytest

# diffusers.models, not diffusers: without the real package, this test folder itself would import as
# a namespace package named diffusers.
pytest.importorskip("diffusers.models", reason="radial.diffusers tests need diffusers >= 0.35 and peft"
                    " (pip install 'diffusers>=0.35' peft)")

import torch  # noqa: E402
from diffusers import FlowMatchEulerDiscreteScheduler  # noqa: E402

import on_device  # noqa: E402
import tiny_models as tm  # noqa: E402
from radial.diffusers import (  # noqa: E402
    RadialProcessor,
    disable_radial_attention,
    enable_radial_attention,
    radial_run,
)

FAMILY_PARAMS = [pytest.param(f, id=f.name) for f in tm.FAMILIES]
SIZE = tm.VIDEO_SIZES[0]


def video(family: tm.Family, size=SIZE) -> dict:
    height, width, latent_frames = size
    return dict(height=height, width=width, num_frames=family.frames_for(latent_frames))


def processors(model) -> dict:
    return {name: m.processor for name, m in model.named_modules() if hasattr(m, "processor")}


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_self_attention_replaced_cross_attention_untouched_and_restored_exactly(family):
    model = family.make()
    before = processors(model)
    enable_radial_attention(model, **video(family), dense_timesteps=0)
    during = processors(model)
    replaced = {name for name in before if during[name] is not before[name]}
    assert replaced, "no processor was replaced"
    for name in replaced:
        assert isinstance(during[name], RadialProcessor) and during[name].original is before[name]
    self_attention = {n for n in before if n.endswith(("attn1", ".attn")) and "refiner" not in n
                      and "context_embedder" not in n}
    assert replaced == self_attention
    enable_radial_attention(model, **video(family), dense_timesteps=0, decay=0.5)  # again: replaces, never stacks
    assert all(processors(model)[n].original is before[n] for n in replaced)
    disable_radial_attention(model)
    after = processors(model)
    assert all(after[name] is before[name] for name in before)
    assert radial_run(model) is None and not model._forward_pre_hooks
    disable_radial_attention(model)  # a no-op when not enabled


def test_wan22_pipeline_enables_both_experts_with_the_pipeline_scheduler():
    pipe = types.SimpleNamespace(transformer=tm.tiny_wan(0), transformer_2=tm.tiny_wan(1),
                                 scheduler=FlowMatchEulerDiscreteScheduler())
    enable_radial_attention(pipe, height=720, width=1280, num_frames=81)
    for transformer in (pipe.transformer, pipe.transformer_2):
        settings = radial_run(transformer).settings
        assert settings.config.preset.name == "wan2.2-t2v-a14b"
        assert (settings.decay, settings.dense_layers, settings.dense_steps) == (0.2, 1, 12)
    disable_radial_attention(pipe)
    assert radial_run(pipe.transformer) is None and radial_run(pipe.transformer_2) is None


@pytest.mark.parametrize("family, frames, expected", [
    (tm.WAN, 81, (0.2, 1, 12)), (tm.WAN, 321, (1.0, 2, 2)),
    (tm.HUNYUAN_VIDEO, 117, (0.95, 0, 12)), (tm.HUNYUAN_VIDEO, 509, (1.0, 2, 2)),
    (tm.MOCHI, 163, None), (tm.MOCHI, 649, None),
], ids=["wan-1x", "wan-4x", "hunyuan-1x", "hunyuan-4x", "mochi-1x", "mochi-4x"])
def test_schedule_defaults_come_from_the_preset_at_this_length(family, frames, expected):
    import radial

    model = family.make()
    enable_radial_attention(model, height=480, width=848 if family is tm.MOCHI else 832, num_frames=frames,
                            scheduler=FlowMatchEulerDiscreteScheduler())
    settings = radial_run(model).settings
    preset = settings.config.preset
    schedule = preset.extended if frames > preset.default_frames else preset.base
    assert (settings.decay, settings.dense_layers, settings.dense_steps) == (
        expected or (schedule.decay, schedule.dense_layers, schedule.dense_steps))
    assert settings.config.extended_length == (frames > preset.default_frames)
    assert preset.name in {p.name for p in radial.presets()}


@pytest.mark.parametrize("family", FAMILY_PARAMS)
def test_latent_that_does_not_match_the_arguments_is_an_error(family):
    model = family.make()
    enable_radial_attention(model, **video(family), dense_timesteps=0)
    height, width, latent_frames = SIZE
    with pytest.raises(ValueError, match=r"received a latent of 5 latent frames of 8x8 tokens.*num_frames"):
        tm.forward(model, family.inputs(height=height, width=width, num_frames=family.frames_for(5)))
    with pytest.raises(ValueError, match=r"of 9 latent frames of 8x12 tokens"):
        tm.forward(model, family.inputs(height=height, width=192, num_frames=family.frames_for(latent_frames)))


def test_argument_errors():
    model = tm.tiny_wan()
    with pytest.raises(TypeError, match="WanTransformer3DModel"):
        enable_radial_attention(torch.nn.Linear(2, 2), height=128, width=128, num_frames=33)
    with pytest.raises(ValueError, match="dense_timesteps=12 needs the denoising step"):
        enable_radial_attention(model, height=720, width=1280, num_frames=81)
    with pytest.raises(ValueError, match="height"):
        enable_radial_attention(model, height=100, width=128, num_frames=33, dense_timesteps=0)
    with pytest.raises(ValueError, match="num_frames"):
        enable_radial_attention(model, height=128, width=128, num_frames=34, dense_timesteps=0)
    with pytest.raises(ValueError, match="decay"):
        enable_radial_attention(model, height=128, width=128, num_frames=33, dense_timesteps=0, decay=0.0)
    with pytest.raises(ValueError, match="dense_layers"):
        enable_radial_attention(model, height=128, width=128, num_frames=33, dense_timesteps=0, dense_layers=-1)
    assert radial_run(model) is None


def test_attention_backend_setting_reaches_the_stock_processor_and_survives_disable():
    model = tm.tiny_wan()
    enable_radial_attention(model, **video(tm.WAN), dense_timesteps=0)
    model.set_attention_backend("native")
    radial_processor = model.blocks[1].attn1.processor
    assert isinstance(radial_processor, RadialProcessor)
    assert radial_processor._attention_backend == "native" == radial_processor.original._attention_backend
    disable_radial_attention(model)
    assert model.blocks[1].attn1.processor._attention_backend == "native"


def test_wan_fused_qkv_projections(device, all_ones_mask):
    model = on_device.build(tm.tiny_wan, device)
    model.fuse_qkv_projections()
    assert model.blocks[0].attn1.fused_projections
    inputs = on_device.inputs_on(tm.WAN.inputs(**video(tm.WAN), seed=2), device)
    stock = tm.forward(model, inputs)
    enable_radial_attention(model, **video(tm.WAN), dense_layers=0, dense_timesteps=0)
    on_device.assert_same_output("wan fused qkv, all blocks kept", tm.forward(model, inputs), stock)


@pytest.mark.parametrize("family, text, decay, sink", [
    (tm.WAN, 0, 0.2, True), (tm.HUNYUAN_VIDEO, 20, 0.95, False), (tm.MOCHI, 20, 1.0, False),
], ids=["wan", "hunyuanvideo", "mochi"])
def test_mask_is_the_presets_for_the_latent_and_text_received(family, text, decay, sink):
    from radial.masks import MaskSpec

    model = family.make()
    enable_radial_attention(model, **video(family), dense_timesteps=0)
    tm.forward(model, family.inputs(**video(family)))
    height, width, latent_frames = SIZE
    assert radial_run(model).mask.spec == MaskSpec(latent_frames, (height // 16) * (width // 16), text, decay, sink)


def test_a_video_too_small_for_128_token_blocks_is_an_error():
    # 64 x 128 pixels: 4 x 8 = 32 tokens a frame; no block survives the reference's reduction, so the
    # transformer would silently output zeros for every self-attention: refuse instead.
    model = tm.tiny_wan()
    enable_radial_attention(model, height=64, width=128, num_frames=45, dense_layers=0, dense_timesteps=0)
    with pytest.raises(ValueError, match="keeps no key block for 3 of 3 query blocks"):
        tm.forward(model, tm.wan_inputs(height=64, width=128, num_frames=45))
