"""Comparisons against the float64 reference: max-abs and relative 2-norm errors, with tolerances
of the form epsilon(dtype) x magnitude (the output dtype's rounding sets the floor); and measurements
recorded for the run's summary."""

from __future__ import annotations

import torch

# Multiples of the dtype's epsilon that the kernels' errors stay under; the relative 2-norm bound is
# the tighter one (max-abs errors are single elements, 2-norm errors are averages).
_REL_FACTOR = {torch.float32: 64.0, torch.bfloat16: 2.0, torch.float16: 2.0, torch.float64: 1e3}
_ABS_FACTOR = {torch.float32: 256.0, torch.bfloat16: 8.0, torch.float16: 8.0, torch.float64: 1e4}

# Errors measured on an accelerator against the tests' tolerances: the conftest prints them at the end
# of the run, passed or not, so the run's log records how much margin each tolerance leaves there.
MEASUREMENTS: list[str] = []


def record(line: str) -> None:
    MEASUREMENTS.append(line)


def errors(actual: torch.Tensor, expected: torch.Tensor) -> tuple[float, float]:
    diff = actual.double().cpu() - expected.double().cpu()
    max_abs = diff.abs().max().item() if diff.numel() else 0.0
    rel = (diff.norm() / expected.double().cpu().norm().clamp_min(1e-30)).item()
    return max_abs, rel


def assert_close(name: str, actual: torch.Tensor, expected: torch.Tensor, dtype: torch.dtype, factor: float = 1.0):
    assert torch.isfinite(actual).all(), f"{name}: non-finite values (an element the kernel did not write?)"
    max_abs, rel = errors(actual, expected)
    eps = torch.finfo(dtype).eps
    magnitude = expected.double().abs().max().item()
    rel_tol = factor * _REL_FACTOR[dtype] * eps
    abs_tol = factor * _ABS_FACTOR[dtype] * eps * max(magnitude, 1e-30)
    print(f"{name}: max-abs {max_abs:.3e} (tol {abs_tol:.3e}), rel 2-norm {rel:.3e} (tol {rel_tol:.3e})")
    assert rel <= rel_tol and max_abs <= abs_tol, (
        f"{name}: max-abs {max_abs:.3e} (tol {abs_tol:.3e}), rel 2-norm {rel:.3e} (tol {rel_tol:.3e})"
    )
