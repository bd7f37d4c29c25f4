"""The dense-steps rule follows the scheduler's step (classifier-free guidance's two calls per step, or
one call on a doubled batch, are one step) and the dense-layers rule the block index, counted over
real (tiny) diffusers pipelines, on the CPU and on CUDA (on_device.py)."""

from __future__ import annotations

import collections

import pytest

# diffusers.models, not diffusers: without the real package, this test folder itself would import as
# a namespace package named diffusers.
pytest.importorskip("diffusers.models", reason="radial.diffusers tests need diffusers >= 0.35 and peft"
                    " (pip install 'diffusers>=0.35' peft)")

import torch  # noqa: E402
from diffusers import (  # noqa: E402
    AutoencoderKLWan,
    FlowMatchEulerDiscreteScheduler,
    HunyuanVideoPipeline,
    MochiPipeline,
    WanPipeline,
)

import on_device  # noqa: E402
import tiny_models as tm  # noqa: E402
from radial.diffusers import enable_radial_attention  # noqa: E402

STEPS = 4
HEIGHT = WIDTH = 128


def expected_counts(*, layers: int, dense_layers: int, dense_steps: int, calls_per_step: int) -> collections.Counter:
    counts = collections.Counter()
    for step in range(STEPS):
        for layer in range(layers):
            kind = "dense" if layer < dense_layers or step < dense_steps else "radial"
            counts[(kind, layer)] += calls_per_step
    return counts


def tiny_wan_vae(device: torch.device) -> AutoencoderKLWan:
    """Unused with latent output, but the pipeline reads its configuration."""
    return AutoencoderKLWan(base_dim=8, z_dim=tm.LATENT_CHANNELS, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True]).to(device)


def text(device: torch.device, batch_tokens: int = 8) -> torch.Tensor:
    """Prompt embeddings on the transformer's device and in its dtype, as a text encoder would give them
    (pipelines leave given ones where they are, and Mochi's takes its latents' dtype from them)."""
    embeddings = torch.randn(1, batch_tokens, tm.TEXT_DIM, generator=torch.Generator().manual_seed(7))
    return embeddings.to(device, on_device.dtype_on(device))


def test_wan_guidance_calls_twice_per_step(device, count_calls):
    pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=tiny_wan_vae(device),
                       transformer=on_device.build(tm.tiny_wan, device, layers=3),
                       scheduler=FlowMatchEulerDiscreteScheduler())
    enable_radial_attention(pipe, height=HEIGHT, width=WIDTH, num_frames=33, dense_layers=1, dense_timesteps=2)
    counts = count_calls(pipe.transformer)
    pipe(prompt_embeds=text(device), negative_prompt_embeds=text(device), height=HEIGHT, width=WIDTH, num_frames=33,
         num_inference_steps=STEPS, guidance_scale=5.0, output_type="latent")
    assert counts == expected_counts(layers=3, dense_layers=1, dense_steps=2, calls_per_step=2)


def test_wan22_two_experts_share_the_step(device, count_calls):
    pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=tiny_wan_vae(device),
                       transformer=on_device.build(tm.tiny_wan, device, seed=0),
                       transformer_2=on_device.build(tm.tiny_wan, device, seed=1),
                       scheduler=FlowMatchEulerDiscreteScheduler(), boundary_ratio=0.5)
    enable_radial_attention(pipe, height=HEIGHT, width=WIDTH, num_frames=33, dense_layers=1, dense_timesteps=1)
    first, second = count_calls(pipe.transformer), count_calls(pipe.transformer_2)
    pipe(prompt_embeds=text(device), negative_prompt_embeds=text(device), height=HEIGHT, width=WIDTH, num_frames=33,
         num_inference_steps=STEPS, guidance_scale=5.0, guidance_scale_2=3.0, output_type="latent")
    assert first and second, "the boundary should hand some steps to each expert"
    assert first + second == expected_counts(layers=2, dense_layers=1, dense_steps=1, calls_per_step=2)


def test_mochi_guidance_as_one_doubled_batch(device, count_calls):
    pipe = MochiPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=None, text_encoder=None, tokenizer=None,
                         transformer=on_device.build(tm.tiny_mochi, device, layers=2))
    enable_radial_attention(pipe, height=HEIGHT, width=WIDTH, num_frames=49, dense_layers=1, dense_timesteps=1)
    counts = count_calls(pipe.transformer)
    mask = tm.text_mask([20], 20).to(device)
    pipe(prompt_embeds=text(device, 20), prompt_attention_mask=mask, negative_prompt_embeds=text(device, 20),
         negative_prompt_attention_mask=tm.text_mask([5], 20).to(device), height=HEIGHT, width=WIDTH, num_frames=49,
         num_inference_steps=STEPS, guidance_scale=4.5, output_type="latent")
    assert counts == expected_counts(layers=2, dense_layers=1, dense_steps=1, calls_per_step=1)


def test_hunyuan_video_numbers_single_stream_blocks_after_dual_stream(device, count_calls):
    pipe = HunyuanVideoPipeline(text_encoder=None, tokenizer=None, text_encoder_2=None, tokenizer_2=None, vae=None,
                                transformer=on_device.build(tm.tiny_hunyuan_video, device, dual=2, single=2),
                                scheduler=FlowMatchEulerDiscreteScheduler())
    enable_radial_attention(pipe, height=HEIGHT, width=WIDTH, num_frames=33, dense_layers=3, dense_timesteps=1)
    assert pipe.transformer.single_transformer_blocks[0].attn.processor.layer == 2
    counts = count_calls(pipe.transformer)
    pipe(prompt_embeds=text(device, 20), pooled_prompt_embeds=torch.randn(1, 8).to(device),
         prompt_attention_mask=tm.text_mask([11], 20).to(device), height=HEIGHT, width=WIDTH, num_frames=33,
         num_inference_steps=STEPS, output_type="latent")
    assert counts == expected_counts(layers=4, dense_layers=3, dense_steps=1, calls_per_step=1)


def test_bare_transformer_reads_the_given_scheduler(device, count_calls):
    model = on_device.build(tm.tiny_wan, device, layers=2)
    scheduler = FlowMatchEulerDiscreteScheduler()
    enable_radial_attention(model, height=HEIGHT, width=WIDTH, num_frames=33, dense_layers=0, dense_timesteps=3,
                            scheduler=scheduler)
    counts = count_calls(model)
    scheduler.set_timesteps(STEPS)
    inputs = on_device.inputs_on(tm.WAN.inputs(height=HEIGHT, width=WIDTH, num_frames=33), device)
    latents = inputs["hidden_states"]
    for t in scheduler.timesteps:
        out = tm.forward(model, dict(inputs, hidden_states=latents, timestep=t.expand(1).to(device)))
        latents = scheduler.step(out, t, latents, return_dict=False)[0]
    assert counts == expected_counts(layers=2, dense_layers=0, dense_steps=3, calls_per_step=1)


def test_model_cpu_offload_hooks_leave_radial_unchanged(device, count_calls):
    """accelerate's offload hooks replace the transformer's forward and move it to the device for each
    call; radial's pre-hook and processors still see every call (on the CPU, offloading to itself)."""
    latents = []
    for offload in (False, True):
        pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=tiny_wan_vae(device),
                           transformer=on_device.build(tm.tiny_wan, device, layers=2),
                           scheduler=FlowMatchEulerDiscreteScheduler())
        if offload:
            pipe.enable_model_cpu_offload(device=device)
        enable_radial_attention(pipe, height=HEIGHT, width=WIDTH, num_frames=33, dense_layers=0, dense_timesteps=1)
        counts = count_calls(pipe.transformer)
        latents.append(pipe(prompt_embeds=text(device), negative_prompt_embeds=text(device), height=HEIGHT, width=WIDTH,
                            num_frames=33, num_inference_steps=STEPS, guidance_scale=5.0, output_type="latent",
                            generator=torch.Generator().manual_seed(0)).frames)
        assert counts == expected_counts(layers=2, dense_layers=0, dense_steps=1, calls_per_step=2)
    torch.testing.assert_close(latents[1], latents[0], rtol=0, atol=0)
