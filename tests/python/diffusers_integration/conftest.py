"""Fixtures for the diffusers integration tests: swap radial's mask or its sparse computation for a
test double, and count which processor path each self-attention call takes."""

from __future__ import annotations

import collections

import pytest
import torch


def pytest_configure(config):
    # diffusers' Mochi RoPE asks for float32 autocast, which the CPU declines with a warning per call.
    config.addinivalue_line("filterwarnings", "ignore:In CPU autocast, but the target dtype is not supported")


@pytest.fixture
def all_ones_mask(monkeypatch):
    """Every radial mask keeps every block: radial attention must then equal the stock processor."""
    import radial.diffusers.run as run_module
    from radial.masks import RadialMask

    def ones(grid, *, decay, sink):
        blocks = -(-grid.seq_len // 128)
        return RadialMask.from_dense(torch.ones(blocks, blocks, dtype=torch.bool), grid.seq_len)

    monkeypatch.setattr(run_module, "mask_for_grid", ones)


@pytest.fixture
def float64_reference(monkeypatch):
    """The sparse computation becomes dense attention in float64 with the token-expanded block mask."""
    import radial.diffusers.processors.base as base
    from radial.testing import reference_attention

    def reference(q, k, v, mask, *, kv_valid_len=None):
        return reference_attention(q, k, v, mask, kv_valid_len=kv_valid_len)[0].to(q.dtype)

    monkeypatch.setattr(base, "sparse_attention", reference)


@pytest.fixture
def count_calls():
    """``count_calls(model)``: a Counter that fills as the model runs (see :func:`_count_calls`)."""
    return _count_calls


def _count_calls(model: torch.nn.Module) -> collections.Counter:
    """Counter of ``("dense" | "radial", layer)`` over the calls of model's radial processors from now on."""
    from radial.diffusers import RadialProcessor

    counts = collections.Counter()
    for module in model.modules():
        processor = getattr(module, "processor", None)
        if not isinstance(processor, RadialProcessor):
            continue
        for attribute, kind in (("original", "dense"), ("radial", "radial")):
            def counted(*args, _call=getattr(processor, attribute), _key=(kind, processor.layer), **kwargs):
                counts[_key] += 1
                return _call(*args, **kwargs)

            setattr(processor, attribute, counted)
    return counts
