"""Where a training step's GPU time goes: one profiled step (after a warm-up) of the stack that
``train_step.py`` times, per variant (dense cuDNN, radial), kernels summed into attention, GEMM and
everything else (norms, modulation, rotary embedding, residuals, LoRA casts, optimizer), with the
largest kernels of the last kind listed.

    python3 bench/gpu/train_step_profile.py --length 4x --layers 2 [--compile] [--out FILE]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

import train_step
from report import publish
from radial.diffusers import enable_radial_attention
from radial.train import DiffusersFamily
from radial.train.lora import lora_parameters

ATTENTION_WORDS = ("sdpa", "fmha", "flash", "attention", "radial")
GEMM_WORDS = ("gemm", "nvjet", "cutlass", "xmma", "cublas")


def category(kernel: str) -> str:
    name = kernel.lower()
    if any(w in name for w in ATTENTION_WORDS):
        return "attention"
    if any(w in name for w in GEMM_WORDS):
        return "GEMM"
    return "other"


def kernel_times_ms(model, family, batch, optimizer, dense: bool) -> dict[str, float]:
    """GPU time per kernel name over one step, after an unprofiled warm-up step."""
    sigma, noise = train_step.step_inputs(batch)
    train_step.training_step(model, family, batch, optimizer, sigma, noise, dense)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        train_step.training_step(model, family, batch, optimizer, sigma, noise, dense)
        torch.cuda.synchronize()
    times: dict[str, float] = defaultdict(float)
    for event in prof.events():
        if event.device_type == torch.autograd.DeviceType.CUDA:
            times[event.name] += event.time_range.elapsed_us() / 1e3
    return times


def report(label: str, times: dict[str, float], top: int) -> list[str]:
    by_category: dict[str, float] = defaultdict(float)
    for name, ms in times.items():
        by_category[category(name)] += ms
    total = sum(by_category.values())
    lines = [f"#### {label}: {total:.0f} ms of kernels in one step", "",
             "| kind | ms | share |", "|---|---|---|"]
    lines += [f"| {kind} | {ms:.0f} | {100 * ms / total:.0f} % |" for kind, ms in sorted(by_category.items())]
    lines += ["", "Largest kernels (attention, then the others outside GEMM):", "", "| ms | kernel |", "|---|---|"]
    for kind, count in (("attention", 3), ("other", top)):
        largest = sorted(((ms, name) for name, ms in times.items() if category(name) == kind), reverse=True)
        lines += [f"| {ms:.1f} | `{name[:110]}` |" for ms, name in largest[:count]]
    return lines + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", choices=sorted(train_step.LENGTHS), required=True)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--top", type=int, default=15, help="kernels listed outside attention and GEMM")
    parser.add_argument("--out", default=None, help="append the markdown here")
    args = parser.parse_args()
    num_frames = train_step.LENGTHS[args.length]
    model = train_step.build_model(args.layers, args.rank)
    family = DiffusersFamily(model)
    if args.compile:
        family.compile_blocks(model)
    batch = train_step.make_batch(num_frames, model)
    optimizer = torch.optim.AdamW(lora_parameters(model, train_step.ADAPTER), lr=1e-4)
    flags = f"--length {args.length} --layers {args.layers}{' --compile' if args.compile else ''}"
    lines = [f"### Kernel time of one training step ({torch.cuda.get_device_name()}, commit"
             f" {train_step.commit()}): `python3 bench/gpu/train_step_profile.py {flags}`", ""]
    lines += report("cuDNN SDPA, dense", kernel_times_ms(model, family, batch, optimizer, dense=True), args.top)
    enable_radial_attention(model, height=train_step.HEIGHT, width=train_step.WIDTH, num_frames=num_frames,
                            dense_layers=0, dense_timesteps=0)
    lines += report("radial, every layer", kernel_times_ms(model, family, batch, optimizer, dense=False), args.top)
    publish(lines, args.out)


if __name__ == "__main__":
    main()
