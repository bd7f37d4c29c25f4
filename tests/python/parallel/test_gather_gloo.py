"""The replicated all-gather over 2 and 3 CPU processes (gloo): every rank gets all pieces in rank
order, and each piece's gradient is its own slice of the (replicated) gathered gradient."""

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
from gather_worker import piece, weight  # noqa: E402
from rank_processes import run_ranks  # noqa: E402


@pytest.mark.parametrize("world", [2, 3])
def test_all_gather_replicated(world, tmp_path):
    seed = int(torch.randint(1, 2**31 - 1, ()).item())
    print(f"seed {seed}")
    worker = os.path.join(os.path.dirname(__file__), "gather_worker.py")
    run_ranks(world, lambda rank, port: [worker, str(rank), str(world), str(port), str(seed), str(tmp_path)])

    expected = torch.cat([piece(seed, r) for r in range(world)], dim=1)  # (2, 3 * world, 4)
    grads = weight(seed, world).chunk(world, dim=1)
    for rank in range(world):
        result = torch.load(tmp_path / f"rank{rank}.pt")
        torch.testing.assert_close(result["gathered"], expected, rtol=0, atol=0)  # data moves, exactly
        torch.testing.assert_close(result["grad"], grads[rank], rtol=0, atol=0)
