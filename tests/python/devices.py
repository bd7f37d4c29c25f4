"""Which devices the Python tests run on and what each backend supports. A plain module (not the
conftest) so that test modules can import it whatever other conftest files pytest has loaded."""

from __future__ import annotations

import pytest
import torch

from radial._ext import _C


def cuda_available() -> bool:
    return torch.cuda.is_available() and _C.WITH_CUDA


def _cuda_skip_reason() -> str:
    if not torch.cuda.is_available():
        return "no CUDA device on this machine"
    return "radial._C was built without CUDA (RADIAL_CUDA=OFF)"


DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(not cuda_available(), reason=_cuda_skip_reason())),
]


def skip_unless_supported(device: torch.device, dtype: torch.dtype) -> None:
    if device.type == "cuda" and dtype not in (torch.bfloat16, torch.float16):
        pytest.skip(f"the CUDA kernels take bf16 and f16, not {dtype} (refusal checked in test_errors)")
