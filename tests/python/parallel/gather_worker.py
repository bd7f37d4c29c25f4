"""One rank of the replicated all-gather test: gathers its piece, back-propagates a gradient that is
the same on every rank (as when every rank goes on with the same computation), saves both."""

import os
import sys

import torch
import torch.distributed as dist

from radial.parallel.gather import AllGatherReplicated

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/python
from rank_processes import exit_rank  # noqa: E402


def piece(seed: int, rank: int) -> torch.Tensor:
    """Rank ``rank``'s piece ``[2, 3, 4]``, at a non-unit scale."""
    return 1.5 * torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(seed + rank), dtype=torch.float64)


def weight(seed: int, world: int) -> torch.Tensor:
    """The gradient of the gathered ``[2, 3 * world, 4]``, the same on every rank."""
    return torch.randn(2, 3 * world, 4, generator=torch.Generator().manual_seed(seed - 1), dtype=torch.float64)


def main(rank: int, world: int, port: int, seed: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    x = piece(seed, rank).requires_grad_(True)
    gathered = AllGatherReplicated.apply(x, 1, dist.group.WORLD)  # (2, 3 * world, 4)
    gathered.backward(weight(seed, world))
    torch.save({"gathered": gathered.detach(), "grad": x.grad}, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    exit_rank()
