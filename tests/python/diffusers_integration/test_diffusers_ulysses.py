"""diffusers' own context parallelism (Wan's plan, Ulysses over gloo) with radial processors gives
the single-process radial output; ring attention is refused."""

import os
import socket
import subprocess
import sys

import pytest
import torch

pytest.importorskip("diffusers.models", reason="diffusers is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(world: int, out_dir) -> list[torch.Tensor]:
    worker = os.path.join(os.path.dirname(__file__), "ulysses_wan_worker.py")
    port = free_port()
    procs = [subprocess.Popen([sys.executable, worker, str(r), str(world), str(port), str(out_dir)])
             for r in range(world)]
    assert all(p.wait(timeout=300) == 0 for p in procs), "a rank failed"
    return [torch.load(out_dir / f"rank{r}.pt") for r in range(world)]


def test_wan_context_parallel_ulysses_equals_single_process(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    [single] = run_ranks(1, tmp_path / "one")
    gathered = run_ranks(2, tmp_path / "two")
    for out in gathered:  # the plan gathers the output on every rank
        torch.testing.assert_close(out, single, rtol=1e-5, atol=1e-5)


def test_ring_attention_is_refused():
    from types import SimpleNamespace

    from radial.diffusers.processors.base import RadialProcessor

    processor = RadialProcessor.__new__(RadialProcessor)
    processor.original = SimpleNamespace(_parallel_config=SimpleNamespace(
        context_parallel_config=SimpleNamespace(ulysses_degree=1, ring_degree=2, ulysses_anything=False)))
    with pytest.raises(ValueError, match="ring_degree"):
        processor.ulysses_group()
