"""LoRA on self-attention projections only, float32 adapter weights, already loaded adapters kept
active, a saved LoRA that reloads (ours, and diffusers' own loaders) to identical outputs under radial
attention, and a trained LoRA beside a style LoRA. On the CPU and, computing as training does there
(training_precision.py), on CUDA."""

from __future__ import annotations

import pytest
import torch
from synthetic_data import LATENT_SCALE, LATENT_SHAPE, TEXT_DIM, TEXT_TOKENS, VIDEO
from tiny_video_transformer import TinyFamily, TinyVideoTransformer
from training_precision import autocast, training_dtype

from numerics import errors, record
from radial.train import active_adapters, add_lora, load_lora, save_lora
from radial.train.lora import LORA_WEIGHT_NAME, lora_parameters

CPU = torch.device("cpu")


def inputs(device: torch.device = CPU, seed: int = 3):
    g = torch.Generator().manual_seed(seed)
    latents = LATENT_SCALE * torch.randn(2, *LATENT_SHAPE, generator=g)
    text = torch.randn(2, TEXT_TOKENS, TEXT_DIM, generator=g)
    return latents.to(device), torch.tensor([250.0, 800.0], device=device), text.to(device)


def randomize(model, adapter: str, seed: int) -> None:
    """Non-zero weights for an adapter (a fresh one has lora_B = 0, which would hide mistakes)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in lora_parameters(model, adapter):
            p.copy_(0.2 * torch.randn(p.shape, generator=g))


def radial_tiny(device: torch.device = CPU, seed: int = 0) -> TinyVideoTransformer:
    model = TinyVideoTransformer(seed=seed).to(device)
    TinyFamily().enable_radial(model, **VIDEO, decay=None, dense_layers=0)
    return model.eval()


def tiny_outputs(model: TinyVideoTransformer, device: torch.device) -> torch.Tensor:
    with torch.no_grad(), autocast(device):
        return model(*inputs(device))


def test_targets_are_the_self_attention_projections():
    model = TinyVideoTransformer()
    assert TinyFamily().self_attention_projections(model) == [
        f"blocks.{i}.attn1.{p}" for i in range(2) for p in ("to_q", "to_k", "to_v", "to_out.0")]


def test_lora_weights_are_float32_on_a_bf16_model_and_nothing_else_trains():
    model = TinyVideoTransformer().to(torch.bfloat16)
    add_lora(model, TinyFamily().self_attention_projections(model), rank=4, alpha=8, adapter_name="length")
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_A.length." in n or ".lora_B.length." in n for n in trainable)
    assert len(trainable) == 16  # A and B on 8 projections
    assert all(p.dtype == torch.float32 for p in lora_parameters(model, "length"))
    assert model.blocks[0].attn1.to_q.base_layer.weight.dtype == torch.bfloat16


def test_adding_keeps_active_adapters_active_and_says_so(capsys):
    model = radial_tiny()
    add_lora(model, ["blocks.0.attn1.to_q", "blocks.1.attn1.to_v"], rank=2, alpha=2, adapter_name="style",
             announce=False)
    randomize(model, "style", seed=1)
    with torch.no_grad():
        with_style = model(*inputs())
    add_lora(model, TinyFamily().self_attention_projections(model), rank=4, alpha=4, adapter_name="length")
    assert active_adapters(model) == ["style", "length"]
    assert "active LoRA adapters: style (frozen), length (training" in capsys.readouterr().err
    assert not any(p.requires_grad for p in lora_parameters(model, "style"))
    with torch.no_grad():  # the new adapter starts at zero: the style adapter alone still shapes the output
        assert torch.equal(model(*inputs()), with_style)


def test_saved_lora_reloads_to_identical_outputs(tmp_path, device):
    model = radial_tiny(device)
    add_lora(model, TinyFamily().self_attention_projections(model), rank=4, alpha=8, adapter_name="length")
    randomize(model, "length", seed=2)
    path = save_lora(tmp_path, model, "length")
    assert path.name == LORA_WEIGHT_NAME
    reloaded = radial_tiny(device)
    assert load_lora(reloaded, tmp_path, "length") == ["length"]
    trained, again = tiny_outputs(model, device), tiny_outputs(reloaded, device)
    assert torch.equal(trained, again)
    base = tiny_outputs(radial_tiny(device), device)
    assert not torch.allclose(trained, base, atol=1e-2), "the LoRA should change the output"


# diffusers' own loaders, on a tiny real Wan transformer with radial self-attention.

def radial_wan(device: torch.device) -> torch.nn.Module:
    """A fresh tiny Wan (the same weights every time) on ``device``, all self-attention radial."""
    pytest.importorskip("diffusers.models", reason="diffusers' LoRA loaders need diffusers")
    from radial.diffusers import enable_radial_attention
    from radial.train.tiny import tiny_transformer

    model = tiny_transformer("tiny-wan").eval().to(device)
    enable_radial_attention(model, **VIDEO, dense_layers=0, dense_timesteps=0)
    return model


def wan_outputs(model, device: torch.device) -> torch.Tensor:
    g = torch.Generator().manual_seed(4)
    latents = LATENT_SCALE * torch.randn(1, *LATENT_SHAPE, generator=g)
    text = torch.randn(1, TEXT_TOKENS, TEXT_DIM, generator=g)
    with torch.no_grad(), autocast(device):
        return model(hidden_states=latents.to(device), timestep=torch.tensor([500.0], device=device),
                     encoder_hidden_states=text.to(device), return_dict=False)[0]


@pytest.fixture
def trained_wan_lora(tmp_path, device):
    """(outputs of a tiny Wan with a random LoRA on its self-attention, the directory it is saved in)."""
    from radial.train import DiffusersFamily

    model = radial_wan(device)
    add_lora(model, DiffusersFamily(model).self_attention_projections(model), rank=4, alpha=2, adapter_name="length")
    assert all(".attn1." in name for name in model.peft_config["length"].target_modules)
    randomize(model, "length", seed=5)
    save_lora(tmp_path, model, "length")
    return wan_outputs(model, device), tmp_path


def test_transformer_load_lora_adapter_reads_it_back(trained_wan_lora, device):
    expected, directory = trained_wan_lora
    model = radial_wan(device)
    model.load_lora_adapter(str(directory), weight_name=LORA_WEIGHT_NAME, prefix="transformer", adapter_name="length")
    assert model.peft_config["length"].r == 4 and model.peft_config["length"].lora_alpha == 2
    assert torch.equal(wan_outputs(model, device), expected)


def test_pipeline_load_lora_weights_reads_it_back(trained_wan_lora, device):
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    expected, directory = trained_wan_lora
    pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=None, scheduler=FlowMatchEulerDiscreteScheduler(),
                       transformer=radial_wan(device))
    pipe.load_lora_weights(str(directory), adapter_name="length")
    assert torch.equal(wan_outputs(pipe.transformer, device), expected)


# A style LoRA's layers: self-attention projections the length LoRA adapts too, and a cross-attention
# one, which radial leaves alone.
STYLE_TARGETS = ["blocks.0.attn1.to_q", "blocks.1.attn1.to_v", "blocks.1.attn2.to_k"]


# diffusers' own loader warns whenever a second adapter joins a model.
@pytest.mark.filterwarnings("ignore:Already found a `peft_config` attribute")
def test_trained_lora_combines_with_a_style_lora_on_reload(tmp_path, device):
    """Trained on top of a style LoRA (both active), saved, then both loaded into a fresh model the
    diffusers way: the same outputs as the model they were trained in."""
    from radial.train import DiffusersFamily

    model = radial_wan(device)
    add_lora(model, STYLE_TARGETS, rank=2, alpha=2, adapter_name="style", announce=False)
    randomize(model, "style", seed=6)
    save_lora(tmp_path / "style", model, "style")
    add_lora(model, DiffusersFamily(model).self_attention_projections(model), rank=4, alpha=4, adapter_name="length")
    randomize(model, "length", seed=7)
    save_lora(tmp_path / "length", model, "length")
    expected = wan_outputs(model, device)

    fresh = radial_wan(device)
    for name in ("style", "length"):
        fresh.load_lora_adapter(str(tmp_path / name), weight_name=LORA_WEIGHT_NAME, prefix="transformer",
                                adapter_name=name)
    fresh.set_adapters(["style", "length"])
    assert torch.equal(wan_outputs(fresh, device), expected)
    fresh.set_adapters(["length"])
    assert not torch.allclose(wan_outputs(fresh, device), expected, atol=1e-2), "the style LoRA should count"


@pytest.mark.filterwarnings("ignore:Already found a `peft_config` attribute")
def test_trained_lora_with_a_style_lora_under_radial_equals_the_dense_masked_reference(tmp_path, dataset_dir,
                                                                                       device, monkeypatch):
    """A length LoRA trained (briefly) with radial.train, loaded beside a style LoRA and both active:
    each adapter counts, and radial attention gives what the dense masked reference gives with both."""
    import radial.diffusers.processors.base as processors
    from radial.testing import reference_attention
    from radial.train import LatentDataset, TrainConfig, train
    from radial.train.tiny import tiny_transformer

    # A high learning rate, so that three steps move the adapter well clear of bf16 rounding.
    train(tiny_transformer("tiny-wan"), LatentDataset(dataset_dir),
          TrainConfig(**VIDEO, steps=3, output_dir=str(tmp_path / "length"), rank=4, learning_rate=5e-2,
                      dtype=training_dtype(device), device=str(device), dense_layers=0, progress=False))
    style = radial_wan(device)
    add_lora(style, STYLE_TARGETS, rank=2, alpha=2, adapter_name="style", announce=False)
    randomize(style, "style", seed=6)
    save_lora(tmp_path / "style", style, "style")

    model = radial_wan(device)
    for name in ("length", "style"):
        model.load_lora_adapter(str(tmp_path / name), weight_name=LORA_WEIGHT_NAME, prefix="transformer",
                                adapter_name=name)
    outputs = {}
    for active in (["length"], ["style"], ["length", "style"]):
        model.set_adapters(active)
        outputs["+".join(active)] = wan_outputs(model, device)

    def reference(q, k, v, mask, *, kv_valid_len=None):
        return reference_attention(q, k, v, mask, kv_valid_len=kv_valid_len)[0].to(q.dtype)

    monkeypatch.setattr(processors, "sparse_attention", reference)
    both = outputs["length+style"]
    error = errors(both, wan_outputs(model, device))[1]
    # float32: rounding only; bf16: attention's bf16 probabilities (the reference keeps float64) and
    # the bf16 roundings that follow them, under 1e-3 with the CPU's bf16 kernels.
    tolerance = 1e-5 if training_dtype(device) == "fp32" else 1e-2
    line = f"trained + style LoRA under radial ({training_dtype(device)}, {device}): vs reference {error:.2e}"
    print(line)
    if device.type != "cpu":
        record(f"{line} (tolerance {tolerance:.0e})")
    assert error <= tolerance, line
    for alone in ("length", "style"):
        effect = errors(both, outputs[alone])[1]
        print(f"{alone} alone differs from both by {effect:.2e}")
        # Far beyond radial's own error: an adapter the radial path dropped could not hide in it.
        assert effect > max(4 * error, 1e-3), f"{alone} alone differs from both by only {effect:.2e}"
