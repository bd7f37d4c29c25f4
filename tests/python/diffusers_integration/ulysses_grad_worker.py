"""One rank of the context-parallel gradient test: a tiny transformer with radial attention (its first
layer dense) under diffusers' Ulysses context parallelism over gloo runs a loss over its gathered
output forward and backward; writes the gradients of every parameter and of the latent and text
inputs, summed over the ranks as data-parallel training reduces them."""

import os
import sys

import torch
import torch.distributed as dist

from radial.diffusers import context_parallel_plan, enable_radial_attention
from radial.testing import enable_ulysses_on_cpu

sys.path.insert(0, os.path.dirname(__file__))
import tiny_models as tm  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/python
from rank_processes import exit_rank  # noqa: E402

# 128 x 192 pixels, 9 latent frames: 864 video tokens. 21 text tokens of which 13 and 5 are valid: the
# shards of the joint sequence need padding and the second element's real text lies on rank 0 only.
HEIGHT, WIDTH, LATENT_FRAMES = 128, 192, 9
TEXT = dict(text_len=21, text_valid=[13, 5])
# (family, model, plan): Wan with diffusers' own plan, the joint models with radial's. HunyuanVideo's
# radial layers span both block kinds; Mochi's last block is context-pre-only (its text output unused).
MODELS = {
    "wan": (tm.WAN, lambda: tm.tiny_wan(seed=0, layers=2), None),
    "hunyuanvideo": (tm.HUNYUAN_VIDEO, lambda: tm.tiny_hunyuan_video(seed=0, dual=1, single=2), context_parallel_plan),
    "mochi": (tm.MOCHI, lambda: tm.tiny_mochi(seed=0, layers=2), context_parallel_plan),
}
INPUTS_WITH_GRADIENTS = ("hidden_states", "encoder_hidden_states")


def make_problem(family_name: str):
    """(radial-enabled model, inputs with gradients on): the same on every rank and in the
    single-process reference. Layer 0 dense, the rest radial at decay 0.5."""
    family, make, _ = MODELS[family_name]
    video = dict(height=HEIGHT, width=WIDTH, num_frames=family.frames_for(LATENT_FRAMES))
    model = make()
    enable_radial_attention(model, **video, decay=0.5, dense_layers=1, dense_timesteps=0)
    inputs = family.inputs(**video, **TEXT, batch=2, seed=3)
    for name in INPUTS_WITH_GRADIENTS:
        inputs[name].requires_grad_(True)
    return model, inputs


def gradients(model: torch.nn.Module, inputs: dict) -> dict[str, torch.Tensor]:
    """Backward of ``sum(output * weight)``, a seeded random weight; every parameter's gradient (zeros
    where none flows, so every rank reduces the same list) and the inputs', by name."""
    out = model(**inputs, return_dict=False)[0]  # as pipelines call it
    weight = torch.randn(out.shape, generator=torch.Generator().manual_seed(11))
    (out * weight).sum().backward()
    grads = {name: p.grad if p.grad is not None else torch.zeros_like(p) for name, p in model.named_parameters()}
    grads.update({f"input.{name}": inputs[name].grad for name in INPUTS_WITH_GRADIENTS})
    return grads


def main(family_name: str, rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    model, inputs = make_problem(family_name)
    plan = MODELS[family_name][2]
    enable_ulysses_on_cpu(model, plan=None if plan is None else plan(model))
    grads = gradients(model, inputs)
    # Each rank holds the gradient of its own tokens' share of the loss: their sum is the whole.
    flat = torch.cat([g.reshape(-1) for g in grads.values()])
    dist.all_reduce(flat)
    summed = dict(zip(grads, flat.split([g.numel() for g in grads.values()])))
    if rank == 0:
        torch.save({name: g.view_as(grads[name]) for name, g in summed.items()}, os.path.join(out_dir, "grads.pt"))
    dist.barrier()  # no rank tears the group down while another's collectives are still in flight
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    exit_rank()
