"""``TrainConfig(compile=True)``: every transformer block goes through ``torch.compile`` (inductor), and
training computes what eager training computes: the same LoRA gradients, the same losses, the LoRA
saved under the same names. On the CPU and (where usable) a CUDA GPU."""

from __future__ import annotations

import pytest
import torch
from lora_gradients import lora_gradients
from synthetic_data import VIDEO, write_dataset
from training_precision import training_dtype

from radial.train import DiffusersFamily, LatentDataset, TrainConfig, train
from radial.train.lora import read_lora

pytest.importorskip("diffusers.models", reason="compiling a diffusers model's blocks needs diffusers")

from radial.train.tiny import tiny_transformer  # noqa: E402

STEPS = 3


def config(tmp_path, device, compiled: bool, **video) -> TrainConfig:
    output_dir = str(tmp_path / ("compiled" if compiled else "eager"))
    return TrainConfig(**{**VIDEO, **video}, steps=STEPS, output_dir=output_dir, rank=4, learning_rate=1e-2,
                       dtype=training_dtype(device), device=str(device), progress=False, compile=compiled)


def tolerance(device) -> float:
    # Inductor fuses and reorders the float32 elementwise work around the same GEMMs and attention
    # kernels; under bf16 autocast (CUDA) those differences become bf16 rounding steps.
    return 1e-4 if training_dtype(device) == "fp32" else 3e-2


@pytest.mark.parametrize("model_name", ["tiny-wan", "tiny-hunyuanvideo", "tiny-mochi"])
def test_compiled_blocks_give_eager_gradients(tmp_path, device, model_name):
    data = LatentDataset(write_dataset(tmp_path / "batch", samples=2, seed=4, text_mask=True, pooled=True))
    # Mochi maps 6 frames to a latent frame: 61 frames are the others' 11 latent frames.
    video = dict(num_frames=61) if model_name == "tiny-mochi" else {}

    def gradients(compiled: bool):
        torch._dynamo.reset()
        model = tiny_transformer(model_name)
        family = DiffusersFamily(model)
        grads = lora_gradients(model, family, data, config(tmp_path, device, compiled, **video))
        return model, family, grads

    model, family, compiled_grads = gradients(compiled=True)
    blocks = family.family.blocks(model)
    assert blocks and all(block._compiled_call_impl is not None for block in blocks), "every block compiled"
    _, _, eager_grads = gradients(compiled=False)
    errors = [((got - want).norm() / want.norm()).item() for got, want in zip(compiled_grads, eager_grads)]
    assert max(errors) < tolerance(device), errors


def test_compiled_training_run_matches_eager(tmp_path, dataset_dir, device):
    runs = {}
    for compiled in (True, False):
        torch._dynamo.reset()
        runs[compiled] = train(tiny_transformer("tiny-wan"), LatentDataset(dataset_dir),
                               config(tmp_path, device, compiled))
    torch.testing.assert_close(runs[True].losses, runs[False].losses, rtol=tolerance(device), atol=0)
    (compiled_lora, _), (eager_lora, _) = (read_lora(runs[c].lora_path) for c in (True, False))
    assert compiled_lora.keys() == eager_lora.keys()
    assert all(torch.isfinite(w).all() for w in compiled_lora.values())
