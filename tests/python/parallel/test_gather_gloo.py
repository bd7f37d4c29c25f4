"""The replicated all-gather over 2 and 3 CPU processes (gloo): every rank gets all pieces in rank
order, and each piece's gradient is its own slice of the (replicated) gathered gradient."""

import os
import socket
import subprocess
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from gather_worker import piece, weight  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("world", [2, 3])
def test_all_gather_replicated(world, tmp_path):
    seed = int(torch.randint(1, 2**31 - 1, ()).item())
    print(f"seed {seed}")
    port = free_port()
    worker = os.path.join(os.path.dirname(__file__), "gather_worker.py")
    procs = [subprocess.Popen([sys.executable, worker, str(r), str(world), str(port), str(seed), str(tmp_path)])
             for r in range(world)]
    for p in procs:
        assert p.wait(timeout=300) == 0, "a rank failed"

    expected = torch.cat([piece(seed, r) for r in range(world)], dim=1)  # (2, 3 * world, 4)
    grads = weight(seed, world).chunk(world, dim=1)
    for rank in range(world):
        result = torch.load(tmp_path / f"rank{rank}.pt")
        torch.testing.assert_close(result["gathered"], expected, rtol=0, atol=0)  # data moves, exactly
        torch.testing.assert_close(result["grad"], grads[rank], rtol=0, atol=0)
