"""One rank of the joint-attention context-parallel test: a tiny HunyuanVideo or Mochi transformer
with radial attention, sharded by radial's plan over a gloo Ulysses mesh; writes the outputs of a dense
step and of a radial step (whose first layer stays dense)."""

import os
import sys
from types import SimpleNamespace

import torch
import torch.distributed as dist

from radial.diffusers import context_parallel_plan, enable_radial_attention
from radial.testing import enable_ulysses_on_cpu

sys.path.insert(0, os.path.dirname(__file__))
import tiny_models as tm  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/python
from rank_processes import exit_rank  # noqa: E402

# 96 tokens a frame, 9 latent frames: 864 video tokens (7 blocks with the text). 21 text tokens: 11 a
# rank over 2 ranks, so the last shard carries one padding token; the valid lengths differ per element
# and the second one's real text lies on rank 0 only.
HEIGHT, WIDTH, LATENT_FRAMES = 128, 192, 9
TEXT = dict(text_len=21, text_valid=[13, 5])
# Layer 0 dense; the rest radial (HunyuanVideo: dual, single, single; Mochi: the last block's text is
# context-pre-only).
MODELS = {
    "hunyuanvideo": (tm.HUNYUAN_VIDEO, lambda: tm.tiny_hunyuan_video(seed=0, dual=2, single=2)),
    "mochi": (tm.MOCHI, lambda: tm.tiny_mochi(seed=0, layers=3)),
}


def main(family_name: str, rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    family, make = MODELS[family_name]
    video = dict(height=HEIGHT, width=WIDTH, num_frames=family.frames_for(LATENT_FRAMES))
    model = make()
    scheduler = SimpleNamespace(step_index=0)
    enable_radial_attention(model, **video, decay=0.5, dense_layers=1, dense_timesteps=1, scheduler=scheduler)
    if world > 1:
        enable_ulysses_on_cpu(model, plan=context_parallel_plan(model))
    inputs = family.inputs(**video, **TEXT, batch=2, seed=3)
    outputs = {}
    with torch.no_grad():
        for step in (0, 1):  # step 0 dense, step 1 radial
            scheduler.step_index = step
            outputs[step] = model(**inputs, return_dict=False)[0]  # as pipelines call it
    torch.save(outputs, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.barrier()  # no rank tears the group down while another's collectives are still in flight
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    exit_rank()
