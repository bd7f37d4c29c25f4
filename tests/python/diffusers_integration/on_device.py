"""How the tiny models run on each device, and how closely two of their outputs must agree there.

The CPU runs them as tiny_models defines them: float32 and heads of 16 (its kernels take any head dim,
and 16 keeps CI fast). The CUDA kernels take bf16 and f16 and head dims 64 and 128 only, so on a GPU the
models are built with heads of 64 and run in bf16, the stock processors too: each comparison is
between two runs in one dtype. There, self-attention is also emphasized
(:func:`tiny_models.emphasize_self_attention`), or bf16 rounding would hide what attention does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

import tiny_models as tm
from numerics import errors, record


@dataclass(frozen=True)
class Setting:
    dtype: torch.dtype
    head_dim: int
    emphasized: bool


SETTINGS = {
    "cpu": Setting(torch.float32, tm.HEAD_DIM, emphasized=False),
    "cuda": Setting(torch.bfloat16, 64, emphasized=True),
}

# Two runs of one model that differ only in how attention is computed. float32: rounding only. bf16 (the
# issue's bound): each attention rounds its output to bf16 (stock SDPA and the CUDA kernels their
# probabilities too), and a rounding that differs flips later bf16 roundings: about 3e-3 measured with
# the CPU kernels.
_TOLERANCES = {torch.float32: dict(rel=1e-5, max_abs=1e-4), torch.bfloat16: dict(rel=1e-2, max_abs=None)}


def dtype_on(device: torch.device) -> torch.dtype:
    return SETTINGS[device.type].dtype


def build(make, device: torch.device, **make_args) -> torch.nn.Module:
    """``make(head_dim=..., **make_args)`` (a tiny_models constructor) as ``device`` runs it."""
    setting = SETTINGS[device.type]
    model = make(head_dim=setting.head_dim, **make_args)
    if setting.emphasized:
        tm.emphasize_self_attention(model)
    return model.to(device, setting.dtype)


def inputs_on(inputs: dict, device: torch.device, dtype: torch.dtype | None = None) -> dict:
    """A forward's inputs on ``device``, floating ones in ``dtype`` (the device's by default) except the
    timestep, which the models embed in float32 first, as their pipelines hand it over."""
    dtype = dtype or dtype_on(device)
    return {k: v.to(device, dtype if v.is_floating_point() and k != "timestep" else v.dtype)
            for k, v in inputs.items()}


def assert_same_output(name: str, actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Relative 2-norm (and, in float32, max-abs) error within the dtype's tolerance; returns the
    relative error. Errors on a GPU are recorded for the run's summary: what the bf16 tolerance,
    the issue's bound, can be tightened to."""
    assert torch.isfinite(actual).all(), f"{name}: non-finite values"
    max_abs, rel = errors(actual, expected)
    tolerance = _TOLERANCES[expected.dtype]
    line = f"{name} ({expected.dtype}, {expected.device}): max-abs {max_abs:.2e}, rel 2-norm {rel:.2e}"
    print(line)
    if expected.device.type != "cpu":
        record(f"{line} (tolerance {tolerance['rel']:.0e})")
    assert rel <= tolerance["rel"], f"{name}: rel 2-norm {rel:.2e} > {tolerance['rel']:.0e}"
    if tolerance["max_abs"] is not None:
        assert max_abs <= tolerance["max_abs"], f"{name}: max-abs {max_abs:.2e} > {tolerance['max_abs']:.0e}"
    return rel
