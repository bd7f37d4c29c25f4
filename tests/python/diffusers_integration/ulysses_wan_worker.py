"""One rank of the diffusers context-parallel test: a tiny Wan transformer with radial attention,
sharded by diffusers' own Wan context-parallel plan over a gloo Ulysses mesh."""

import os
import sys

import torch
import torch.distributed as dist

from radial.diffusers import enable_radial_attention
from radial.testing import enable_ulysses_on_cpu

sys.path.insert(0, os.path.dirname(__file__))
from tiny_models import tiny_wan, wan_inputs  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/python
from rank_processes import exit_rank  # noqa: E402

# 128 x 192 pixels -> 8 x 12 = 96 tokens a frame; 33 frames -> 9 latent frames: 864 tokens, 7 blocks,
# radial density 0.49 at decay 0.5
VIDEO = dict(height=128, width=192, num_frames=33)


def main(rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    model = tiny_wan(seed=0)
    enable_radial_attention(model, **VIDEO, decay=0.5, dense_layers=0, dense_timesteps=0)
    if world > 1:
        enable_ulysses_on_cpu(model)
    with torch.no_grad():
        out = model(**wan_inputs(**VIDEO, batch=2, seed=3), return_dict=False)[0]  # as pipelines call it
    torch.save(out, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.barrier()  # no rank tears the group down while another's collectives are still in flight
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    exit_rank()
