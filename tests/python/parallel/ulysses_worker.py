"""One rank of the multi-process Ulysses test: runs its shard forward and backward, saves results."""

import os
import sys

import torch
import torch.distributed as dist

import radial
from radial.parallel import ShardLayout, shard_sequence, ulysses_attention

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/python
from rank_processes import exit_rank  # noqa: E402


def make_problem(seed: int, world: int):
    """The same random problem on every rank (and in the single-process check)."""
    g = torch.Generator().manual_seed(seed)
    frames, per_frame, text, heads, dim = 5, 70, 37, 4, 64
    video = frames * per_frame
    shape = (2, video + text, heads, dim)
    q, k, v, grad_out = (torch.randn(shape, generator=g) * 1.5 for _ in range(4))
    mask = radial.mask(frames=frames, tokens_per_frame=per_frame, text_tokens=text, decay=0.5, sink=True)
    kv_valid_len = torch.tensor([video + text, video + text - 20], dtype=torch.int32)
    return q, k, v, grad_out, mask, kv_valid_len, ShardLayout(video, text, world)


def main(rank: int, world: int, port: int, seed: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    q, k, v, grad_out, mask, kv_valid_len, layout = make_problem(seed, world)
    shards = [shard_sequence(t, layout, rank).requires_grad_(True) for t in (q, k, v)]
    out = ulysses_attention(*shards, mask, layout=layout, kv_valid_len=kv_valid_len, scale=0.11)
    out.backward(shard_sequence(grad_out, layout, rank))
    torch.save({"out": out.detach(), "dq": shards[0].grad, "dk": shards[1].grad, "dv": shards[2].grad},
               os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:5]), sys.argv[5])
    exit_rank()
