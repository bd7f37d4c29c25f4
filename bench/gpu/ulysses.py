"""Ulysses sequence parallelism at P ranks, one GPU each: radial attention alone, and one denoising
step of a full-size transformer under diffusers' context parallelism with radial attention.

Run once per world size under torchrun; ``bench/gpu/ulysses_scaling.sh`` runs P = 1, 2, 4, 8 (as many
as the machine has) and writes the scaling table:

    torchrun --nproc-per-node 4 bench/gpu/ulysses.py --case hunyuan-720p-509f --json out.jsonl
    torchrun --nproc-per-node 2 bench/gpu/ulysses.py --smoke --case wan-720p-81f    # CPU, gloo, tiny model

Attention: every rank holds S / P tokens of all heads (no text, as in docs/anchors.md); the time is
the median of CUDA-event times after a barrier, covering both all-to-alls and the attention itself.

Step: the case's transformer (``end_to_end.py``'s cases: real diffusers classes, random weights, bf16,
batch 1) with ``radial.diffusers.enable_radial_attention`` under
``enable_parallelism(config=ContextParallelConfig(ulysses_degree=P))``, HunyuanVideo with
``cp_plan=radial.diffusers.context_parallel_plan(transformer)``, Wan with diffusers' own plan.
diffusers refuses ``ulysses_degree=1``, so P = 1 is the plain radial transformer on one GPU, the
baseline the efficiency is measured against. Times come as in ``end_to_end.py``: marks around every
block in a run with every self-attention dense (a dense step) and one with every self-attention
radial; a step under the preset's schedule is the time outside the blocks plus each of the real
model's blocks at its kind's dense time (the first ``dense_layers``) or radial time, and the N-step
total is ``dense_steps`` dense steps plus the rest radial. At 4x length only ``--layers`` blocks of each
kind are built (default 2) and the step is extrapolated per block. Dense self-attention runs through
cuDNN SDPA where a stock processor computes it (Wan at every P, HunyuanVideo at P = 1) and through
radial's Ulysses path with an all-ones mask where radial's plan needs it (HunyuanVideo, P > 1). Per
measure, the slowest rank's median.

Efficiency against linear scaling: time(1) / (P * time(P)).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from types import SimpleNamespace

# full_size first: it puts the checkout's radial and the packed diffusers on sys.path.
from full_size import CASES, Case, blocks_to_build, build_model, drop_text_mask, make_inputs, smoke_case
from provenance import commit
from step_timing import RunTimes, elapsed_ms, mark, step_ms, timed_run

import torch
import torch.distributed as dist
from torch.nn.attention import SDPBackend

import radial
from radial.parallel import ShardLayout, shard_sequence, ulysses_attention

SCALING_CASES = ("hunyuan-720p-509f", "wan-720p-81f")


def slowest(values: list[float], device: torch.device) -> list[float]:
    """Each value's maximum over the ranks: the slowest rank sets the pace."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.tolist()


def time_attention(case: Case, iters: int, device: torch.device, dtype: torch.dtype) -> dict:
    """Ulysses radial attention over this rank's shard of the video, all heads, median of ``iters``."""
    rank, world = dist.get_rank(), dist.get_world_size()
    heads, head_dim = case.attention_shape()
    mask = radial.mask_for(case.preset, **case.video(), text_tokens=0)
    layout = ShardLayout(mask.seq_len, 0, world)
    g = torch.Generator(device=device).manual_seed(1234)  # the same full tensors on every rank
    q, k, v = (shard_sequence(torch.randn(1, mask.seq_len, heads, head_dim, generator=g, device=device, dtype=dtype),
                              layout, rank) for _ in range(3))
    mask = mask.to(device)
    for _ in range(2):
        ulysses_attention(q, k, v, mask, layout=layout)
    times = []
    for _ in range(iters):
        dist.barrier()
        start = mark(device)
        ulysses_attention(q, k, v, mask, layout=layout)
        times.append(elapsed_ms(start, mark(device)))
    [ms] = slowest([statistics.median(times)], device)
    return dict(what="attention", ms=ms, seq_len=mask.seq_len, heads=heads, density=mask.density)


def parallelize(model, case: Case, device: torch.device) -> str:
    """Puts ``model`` under diffusers' Ulysses context parallelism over every rank; says how."""
    world = dist.get_world_size()
    if world == 1:
        return "plain radial (diffusers' ContextParallelConfig refuses ulysses_degree=1)"
    from diffusers import ContextParallelConfig

    from radial.diffusers import context_parallel_plan
    from radial.testing import enable_ulysses_on_cpu

    plan = None if case.family == "wan" else context_parallel_plan(model)
    if device.type == "cpu":
        enable_ulysses_on_cpu(model, plan=plan)  # diffusers' own call needs GPUs
    else:
        model.enable_parallelism(config=ContextParallelConfig(ulysses_degree=world), cp_plan=plan)
    owner = "diffusers' own" if plan is None else "radial's"
    return f"enable_parallelism(ContextParallelConfig(ulysses_degree={world})), {owner} cp_plan"


def reduce_times(times: RunTimes, device: torch.device) -> RunTimes:
    kinds = list(times.block_ms)
    values = slowest([times.step_ms, times.outside_ms, *(times.block_ms[k] for k in kinds),
                      *(times.attention_ms[k] for k in kinds)], device)
    n = len(kinds)
    return RunTimes(dict(zip(kinds, values[2:2 + n])), dict(zip(kinds, values[2 + n:])), values[0], values[1])


def time_step(case: Case, layers: int | None, reps: int, steps: int, device: torch.device,
              dtype: torch.dtype) -> dict:
    """One denoising step of ``case``'s transformer under context parallelism, composed per block
    from a dense and a radial run (module docstring)."""
    from radial.diffusers import enable_radial_attention

    blocks, extrapolated = blocks_to_build(case, layers)
    model = build_model(case, blocks, device, dtype)
    inputs = make_inputs(case, model, device, dtype)
    drop_text_mask(model, case)  # all true at batch 1 without padding: lets cuDNN take the dense calls
    # Step 0 of this scheduler is dense in every layer, step 1 radial in every layer; the preset's
    # schedule is composed from the two.
    scheduler = SimpleNamespace(step_index=0)
    enable_radial_attention(model, **case.video(), dense_layers=0, dense_timesteps=1, scheduler=scheduler)
    path = parallelize(model, case, device)
    backend = SDPBackend.CUDNN_ATTENTION if device.type == "cuda" else None
    runs = []
    for step_index in (0, 1):
        scheduler.step_index = step_index
        runs.append(reduce_times(timed_run(model, case, inputs, reps, backend, device, before_rep=dist.barrier),
                                 device))
    dense, sparse = runs
    schedule = radial.configure_preset(case.preset, **case.video()).schedule
    radial_step = step_ms(case, dense, sparse, schedule.dense_layers)
    dense_step = step_ms(case, dense, dense, case.layers)
    return dict(what="step", path=path, blocks=blocks, layers=case.layers, extrapolated=extrapolated,
                dense_layers=schedule.dense_layers, dense_steps=schedule.dense_steps, steps=steps,
                radial_step_ms=radial_step, dense_step_ms=dense_step,
                total_ms=schedule.dense_steps * dense_step + (steps - schedule.dense_steps) * radial_step,
                radial_forward_ms=sparse.step_ms, dense_forward_ms=dense.step_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=SCALING_CASES, default="hunyuan-720p-509f")
    parser.add_argument("--only", choices=("attention", "step"), help="run one part (default: both)")
    parser.add_argument("--layers", type=int, default=None,
                        help="blocks of each kind to build for the step (default: all, but 2 at 4x length);"
                             " the rest is extrapolated per block")
    parser.add_argument("--iters", type=int, default=10, help="timed attention calls")
    parser.add_argument("--reps", type=int, default=2, help="timed forwards per variant, after one warm-up")
    parser.add_argument("--steps", type=int, default=50, help="denoising steps of the total")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny model of the case's class on the CPU under gloo: checks the script, times nothing real")
    parser.add_argument("--json", help="append this run's results (rank 0) to a JSON-lines file")
    args = parser.parse_args()

    case = smoke_case(CASES[args.case]) if args.smoke else CASES[args.case]
    if args.smoke:
        device, dtype, device_name = torch.device("cpu"), torch.float32, "CPU (smoke: tiny model)"
        dist.init_process_group("gloo")
    else:
        device, dtype = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))), torch.bfloat16
        torch.cuda.set_device(device)
        device_name = torch.cuda.get_device_name()
        dist.init_process_group("nccl", device_id=device)
    rank, world = dist.get_rank(), dist.get_world_size()
    common = dict(case=args.case, world=world, device=device_name, torch=torch.__version__, commit=commit(),
                  smoke=args.smoke)

    results = []
    if args.only in (None, "attention"):
        results.append(time_attention(case, 3 if args.smoke else args.iters, device, dtype))
        if device.type == "cuda":
            torch.cuda.empty_cache()
    if args.only in (None, "step"):
        results.append(time_step(case, args.layers, args.reps, args.steps, device, dtype))
    if rank == 0:
        for result in results:
            line = json.dumps({**common, **result})
            print(line)
            if result["what"] == "step" and result["extrapolated"]:
                print(f"step: built {result['blocks']} blocks per kind, extrapolated per block to the real"
                      f" model's {result['layers']} layers")
            if args.json:
                with open(args.json, "a") as f:
                    f.write(line + "\n")
    dist.barrier()  # no rank tears the group down while another's collectives are still in flight
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
