"""Shared by the training tests: skip without peft or safetensors; a synthetic data set; one thread."""

from __future__ import annotations

import pytest

pytest.importorskip("peft", reason="radial.train needs peft (pip install peft, or scripts/setup-python-env --extras)")
pytest.importorskip("safetensors", reason="radial.train needs safetensors (installed with peft)")

import torch  # noqa: E402
from synthetic_data import write_dataset  # noqa: E402


@pytest.fixture
def dataset_dir(tmp_path):
    return write_dataset(tmp_path / "data")


def pytest_configure(config):
    # Wan keeps its q/k RMSNorm weights in float32; under bf16 autocast PyTorch says it cannot fuse that.
    config.addinivalue_line("filterwarnings", "ignore:Mismatch dtype between input and weight")
    # diffusers' Mochi RoPE asks for float32 autocast, which the CPU declines with a warning per call.
    config.addinivalue_line("filterwarnings", "ignore:In CPU autocast, but the target dtype is not supported")


@pytest.fixture(autouse=True, scope="package")
def one_thread():
    """One CPU thread: these models are far too small to gain from more, and on a shared machine
    OpenMP threads that spin-wait for each other make a run many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
