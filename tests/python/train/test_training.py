"""Training end to end, on the CPU and (where usable) a CUDA GPU: the loss falls, gradients through
radial attention equal a float64 dense masked reference's, and a resumed run continues exactly as an
uninterrupted one."""

from __future__ import annotations

import json

import pytest
import torch
from synthetic_data import VIDEO, write_dataset
from png_decoding import decode
from lora_gradients import lora_gradients
from tiny_video_transformer import TinyFamily, TinyVideoTransformer
from training_precision import training_dtype

import tiny_video_transformer
from numerics import record
from radial.testing import reference_attention
from radial.train import LatentDataset, TrainConfig, train
from radial.train.lora import read_lora


def config(tmp_path, **overrides) -> TrainConfig:
    settings = dict(VIDEO, steps=30, output_dir=str(tmp_path / "out"), rank=4, learning_rate=1e-2, dtype="fp32",
                    shift=3.0, progress=False)
    return TrainConfig(**{**settings, **overrides})


def falls(losses: list[float]) -> bool:
    return sum(losses[-5:]) / 5 < 0.9 * sum(losses[:5]) / 5


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_loss_falls_on_a_tiny_transformer(tmp_path, dataset_dir, dtype, device):
    if dtype != training_dtype(device) and dtype == "fp32":
        pytest.skip("the CUDA kernels take bf16 and f16: float32 training runs on the CPU")
    result = train(TinyVideoTransformer(), LatentDataset(dataset_dir), config(tmp_path, dtype=dtype, device=str(device)),
                   TinyFamily())
    assert len(result.losses) == 30 and falls(result.losses), result.losses
    assert json.loads((tmp_path / "out" / "losses.json").read_text()) == result.losses
    assert decode(result.loss_curve.read_bytes())[:2] == (640, 360)


def test_loss_falls_on_a_tiny_wan(tmp_path, dataset_dir, device):
    pytest.importorskip("diffusers.models", reason="training a diffusers model needs diffusers")
    from radial.train.tiny import tiny_transformer

    result = train(tiny_transformer("tiny-wan"), LatentDataset(dataset_dir),
                   config(tmp_path, dtype="bf16", device=str(device)))
    assert falls(result.losses), result.losses


def assert_gradients_match(name: str, radial_grads, reference_grads, cfg: TrainConfig):
    # float32: the kernels' accumulation order only; bf16: attention's output rounded to bf16, as the
    # reference's is, but its probabilities too, where the reference keeps float64. 3e-2 is a first
    # allowance (about 2e-3 with the CPU's bf16 kernels); the run's summary records the GPU's worst.
    tolerance = 1e-5 if cfg.dtype == "fp32" else 3e-2
    errors = [((got - want).norm() / want.norm()).item() for got, want in zip(radial_grads, reference_grads)]
    line = f"{name} LoRA gradients ({cfg.dtype}, {cfg.device}): worst relative 2-norm error {max(errors):.2e}"
    print(line)
    if cfg.device != "cpu":
        record(f"{line} (tolerance {tolerance:.0e})")
    assert max(errors) < tolerance, line


def test_gradients_through_radial_equal_dense_masked_reference(tmp_path, monkeypatch, device):
    data = LatentDataset(write_dataset(tmp_path / "batch", samples=2, seed=4))
    cfg = config(tmp_path, dense_layers=0, gradient_checkpointing=True, device=str(device),
                 dtype=training_dtype(device))
    radial_grads = lora_gradients(TinyVideoTransformer(), TinyFamily(), data, cfg)

    def reference(q, k, v, mask):
        return reference_attention(q, k, v, mask)[0].to(q.dtype)

    monkeypatch.setattr(tiny_video_transformer, "sparse_attention", reference)
    assert_gradients_match("tiny transformer", radial_grads,
                           lora_gradients(TinyVideoTransformer(), TinyFamily(), data, cfg), cfg)
    dense = lora_gradients(TinyVideoTransformer(), TinyFamily(), data,
                           config(tmp_path, dense_layers=2, device=str(device), dtype=cfg.dtype))
    assert (radial_grads[0] - dense[0]).norm() > 1e-2 * dense[0].norm(), "the mask should matter"


def test_wan_gradients_through_radial_equal_dense_masked_reference(tmp_path, monkeypatch, device):
    pytest.importorskip("diffusers.models", reason="training a diffusers model needs diffusers")
    import radial.diffusers.processors.base as processors
    from radial.train import DiffusersFamily
    from radial.train.tiny import tiny_transformer

    data = LatentDataset(write_dataset(tmp_path / "batch", samples=2, seed=4))
    cfg = config(tmp_path, dense_layers=0, device=str(device), dtype=training_dtype(device))

    def grads():
        model = tiny_transformer("tiny-wan")
        return lora_gradients(model, DiffusersFamily(model), data, cfg)

    radial_grads = grads()
    calls = []

    def reference(q, k, v, mask, *, kv_valid_len=None):
        calls.append(mask.density)
        return reference_attention(q, k, v, mask)[0].to(q.dtype)

    monkeypatch.setattr(processors, "sparse_attention", reference)
    assert_gradients_match("tiny wan", radial_grads, grads(), cfg)
    assert calls and all(density < 0.7 for density in calls), "every self-attention should run radial"


@pytest.fixture
def deterministic():
    """Deterministic kernels (the CUDA backward otherwise sums dK and dV in any order)."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    yield
    torch.use_deterministic_algorithms(before)


def test_resumed_run_continues_identically(tmp_path, dataset_dir, device, deterministic):
    data = LatentDataset(dataset_dir)
    # Every layer radial: a dense layer's SDPA backward may run cuDNN's kernel, which has no
    # deterministic mode on CUDA and made the bitwise comparison flaky there.
    common = dict(gradient_accumulation=2, weighting="logit-normal", device=str(device), dtype=training_dtype(device),
                  dense_layers=0)
    whole = train(TinyVideoTransformer(), data, config(tmp_path / "whole", steps=6, save_every=3, **common),
                  TinyFamily())
    assert (tmp_path / "whole" / "out" / "checkpoint-000003" / "trainer_state.pt").is_file()
    interrupted = dict(output_dir=str(tmp_path / "split"), **common)
    first = train(TinyVideoTransformer(), data, config(tmp_path, steps=3, **interrupted), TinyFamily())
    resumed = train(TinyVideoTransformer(), data, config(tmp_path, steps=6, resume=True, **interrupted),
                    TinyFamily())
    assert first.losses == whole.losses[:3]
    assert resumed.losses == whole.losses
    whole_weights, _ = read_lora(whole.lora_path)
    resumed_weights, _ = read_lora(resumed.lora_path)
    assert whole_weights.keys() == resumed_weights.keys()
    assert all(torch.equal(whole_weights[k], resumed_weights[k]) for k in whole_weights)
