"""LoRA on self-attention projections only, float32 adapter weights, already loaded adapters kept
active, and a saved LoRA that reloads (ours, and diffusers' own loaders) to identical outputs."""

from __future__ import annotations

import pytest
import torch
from synthetic_data import LATENT_SCALE, LATENT_SHAPE, TEXT_DIM, TEXT_TOKENS, VIDEO
from tiny_video_transformer import TinyFamily, TinyVideoTransformer

from radial.train import active_adapters, add_lora, load_lora, save_lora
from radial.train.lora import LORA_WEIGHT_NAME, lora_parameters


def inputs(seed: int = 3):
    g = torch.Generator().manual_seed(seed)
    return (LATENT_SCALE * torch.randn(2, *LATENT_SHAPE, generator=g), torch.tensor([250.0, 800.0]),
            torch.randn(2, TEXT_TOKENS, TEXT_DIM, generator=g))


def randomize(model, adapter: str, seed: int) -> None:
    """Non-zero weights for an adapter (a fresh one has lora_B = 0, which would hide mistakes)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in lora_parameters(model, adapter):
            p.copy_(0.2 * torch.randn(p.shape, generator=g))


def radial_tiny(seed: int = 0) -> TinyVideoTransformer:
    model = TinyVideoTransformer(seed=seed)
    TinyFamily().enable_radial(model, **VIDEO, decay=None, dense_layers=0)
    return model.eval()


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


def test_saved_lora_reloads_to_identical_outputs(tmp_path):
    model = radial_tiny()
    add_lora(model, TinyFamily().self_attention_projections(model), rank=4, alpha=8, adapter_name="length")
    randomize(model, "length", seed=2)
    path = save_lora(tmp_path, model, "length")
    assert path.name == LORA_WEIGHT_NAME
    reloaded = radial_tiny()
    assert load_lora(reloaded, tmp_path, "length") == ["length"]
    with torch.no_grad():
        trained, again, base = model(*inputs()), reloaded(*inputs()), radial_tiny()(*inputs())
    assert torch.equal(trained, again)
    assert not torch.allclose(trained, base, atol=1e-3), "the LoRA should change the output"


# diffusers' own loaders, on a tiny real Wan transformer.

def wan_outputs(model) -> torch.Tensor:
    g = torch.Generator().manual_seed(4)
    latents = LATENT_SCALE * torch.randn(1, *LATENT_SHAPE, generator=g)
    text = torch.randn(1, TEXT_TOKENS, TEXT_DIM, generator=g)
    with torch.no_grad():
        return model(hidden_states=latents, timestep=torch.tensor([500.0]), encoder_hidden_states=text,
                     return_dict=False)[0]


@pytest.fixture
def trained_wan_lora(tmp_path):
    """(outputs of a tiny Wan with a random LoRA on its self-attention, the directory it is saved in)."""
    pytest.importorskip("diffusers.models", reason="diffusers' LoRA loaders need diffusers")
    from radial.train import DiffusersFamily
    from radial.train.tiny import tiny_transformer

    model = tiny_transformer("tiny-wan").eval()
    add_lora(model, DiffusersFamily(model).self_attention_projections(model), rank=4, alpha=2, adapter_name="length")
    assert all(".attn1." in name for name in model.peft_config["length"].target_modules)
    randomize(model, "length", seed=5)
    save_lora(tmp_path, model, "length")
    return wan_outputs(model), tmp_path


def test_transformer_load_lora_adapter_reads_it_back(trained_wan_lora):
    from radial.train.tiny import tiny_transformer

    expected, directory = trained_wan_lora
    model = tiny_transformer("tiny-wan").eval()
    model.load_lora_adapter(str(directory), weight_name=LORA_WEIGHT_NAME, prefix="transformer", adapter_name="length")
    assert model.peft_config["length"].r == 4 and model.peft_config["length"].lora_alpha == 2
    assert torch.equal(wan_outputs(model), expected)


def test_pipeline_load_lora_weights_reads_it_back(trained_wan_lora):
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    from radial.train.tiny import tiny_transformer

    expected, directory = trained_wan_lora
    pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=None, scheduler=FlowMatchEulerDiscreteScheduler(),
                       transformer=tiny_transformer("tiny-wan").eval())
    pipe.load_lora_weights(str(directory), adapter_name="length")
    assert torch.equal(wan_outputs(pipe.transformer), expected)


# diffusers' own loader warns whenever a second adapter joins a model.
@pytest.mark.filterwarnings("ignore:Already found a `peft_config` attribute")
def test_trained_lora_combines_with_a_style_lora_on_reload(tmp_path):
    """Trained on top of a style LoRA (both active), saved, then both loaded into a fresh model the
    diffusers way: the same outputs as the model they were trained in."""
    pytest.importorskip("diffusers.models", reason="diffusers' LoRA loaders need diffusers")
    from radial.train import DiffusersFamily
    from radial.train.tiny import tiny_transformer

    model = tiny_transformer("tiny-wan").eval()
    add_lora(model, ["blocks.0.attn1.to_q", "blocks.1.attn2.to_k"], rank=2, alpha=2, adapter_name="style",
             announce=False)
    randomize(model, "style", seed=6)
    save_lora(tmp_path / "style", model, "style")
    add_lora(model, DiffusersFamily(model).self_attention_projections(model), rank=4, alpha=4, adapter_name="length")
    randomize(model, "length", seed=7)
    save_lora(tmp_path / "length", model, "length")
    expected = wan_outputs(model)

    fresh = tiny_transformer("tiny-wan").eval()
    for name in ("style", "length"):
        fresh.load_lora_adapter(str(tmp_path / name), weight_name=LORA_WEIGHT_NAME, prefix="transformer",
                                adapter_name=name)
    fresh.set_adapters(["style", "length"])
    assert torch.equal(wan_outputs(fresh), expected)
    fresh.set_adapters(["length"])
    assert not torch.allclose(wan_outputs(fresh), expected, atol=1e-4), "the style LoRA should count"
