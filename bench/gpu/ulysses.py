"""Ulysses sequence-parallel radial attention: time per forward at P ranks, one GPU each.

Run once per world size under torchrun; `bench/gpu/ulysses_scaling.sh` runs P = 1, 2, 4, 8 (as many
as the machine has) and prints the scaling table:

    torchrun --nproc-per-node 4 bench/gpu/ulysses.py --case hunyuan-4x --json out.json

Each rank holds S / P tokens of all heads; times are CUDA-event medians on rank 0 after a barrier,
covering both all-to-alls and the attention itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

import torch
import torch.distributed as dist

import radial
from radial.parallel import ShardLayout, shard_sequence, ulysses_attention

# (preset, height, width, frames, heads) at the anchor shapes; text left out as in docs/anchors.md.
CASES = {
    "wan-720p-81f": ("wan2.1-t2v-14b", 720, 1280, 81, 40),
    "hunyuan-4x": ("hunyuanvideo", 720, 1280, 509, 24),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), default="hunyuan-4x")
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--json", help="append this run's result (rank 0) to a JSON-lines file")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank)))
    preset, height, width, frames, heads = CASES[args.case]
    mask = radial.mask_for(preset, height=height, width=width, num_frames=frames, text_tokens=0)
    layout = ShardLayout(mask.seq_len, 0, world)
    g = torch.Generator(device="cuda").manual_seed(1234)  # the same full tensors on every rank
    full = [torch.randn(1, mask.seq_len, heads, 128, generator=g, device="cuda", dtype=torch.bfloat16)
            for _ in range(3)]
    q, k, v = (shard_sequence(t, layout, rank) for t in full)
    del full
    mask = mask.to(q.device)

    for _ in range(2):
        ulysses_attention(q, k, v, mask, layout=layout)
    times = []
    for _ in range(args.iters):
        dist.barrier()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        ulysses_attention(q, k, v, mask, layout=layout)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    median = torch.tensor([statistics.median(times)], device="cuda")
    dist.all_reduce(median, op=dist.ReduceOp.MAX)  # the slowest rank sets the pace
    if rank == 0:
        result = {"case": args.case, "world": world, "ms": median.item(), "seq_len": mask.seq_len,
                  "heads": heads, "density": mask.density, "device": torch.cuda.get_device_name()}
        print(json.dumps(result))
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(result) + "\n")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
