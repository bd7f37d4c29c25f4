"""Which forward schedule reads least from DRAM? The Hopper forward's two passes, swept over their shape.

The library's forward schedule (include/radial/two_pass_plans.hpp) runs a row's near key blocks (frame
distance up to near_frames, the sink, text) in row order, then its far blocks with the rows taken position
first within groups of group_frames frames, merged through the log-sum-exp. This times our forward with
plans of several (near_frames, group_frames), and in one pass, at the anchor shapes, the two passes forced
on (RADIAL_CUDA_FORWARD_SCHEDULE=always) so that the 1x shapes are timed with them too. The variants are
timed in rounds, each round in a rotated order, because the first timing after a pause runs on a cooler
card; the table gives each variant's median over the rounds, with its clock (gpu_clocks). Each plan's
output is checked against the one-pass output.

    RADIAL_SHIM=... python3 forward_schedule_sweep.py [--plans 1:16,7:32] [--only REGEX] [--rounds 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys

import torch

import attention_forward
import radial_cuda
from gpu_clocks import ClockMonitor, describe
from provenance import commit
from report import publish


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", default="1:16,3:32,7:16,7:32,15:32",
                        help="comma list of near_frames:group_frames")
    parser.add_argument("--only", default=None, help="regular expression selecting anchor names")
    parser.add_argument("--rounds", type=int, default=2, help="timing rounds, each in a rotated order")
    parser.add_argument("--budget-s", type=float, default=1.5, help="GPU seconds per timing")
    parser.add_argument("--out", default=None, help="append the markdown table here")
    args = parser.parse_args()
    plans = [tuple(int(x) for x in p.split(":")) for p in args.plans.split(",")]
    variants = ["one pass"] + [f"near {n}, groups of {g}" for n, g in plans]
    os.environ["RADIAL_CUDA_FORWARD_SCHEDULE"] = "always"
    torch.manual_seed(0)
    rows = []
    with ClockMonitor() as monitor:
        attention_forward.CLOCKS = monitor
        for name, frames, tpf, text, decay, sink, heads in attention_forward.ANCHORS:
            if args.only and not re.search(args.only, name):
                continue
            layout = radial_cuda.Layout.radial(frames, tpf, text, decay, sink)
            schedules = [None] + [radial_cuda.radial_schedule(frames, tpf, text, decay, sink, n, g) for n, g in plans]
            s, d = layout.seq_len, 128
            q, k, v = (torch.randn(1, s, heads, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
            out = torch.empty_like(q)
            lse = torch.empty(1, heads, s, device="cuda", dtype=torch.float32)
            scale = 1.0 / math.sqrt(d)
            eff_flops = 4.0 * s * s * d * heads * layout.density

            def run(schedule):
                radial_cuda.forward(q, k, v, layout, scale, out=out, lse=lse, schedule=schedule)

            run(None)
            reference = out.float().clone()
            agree = []
            for schedule in schedules[1:]:
                out.fill_(float("nan"))
                run(schedule)
                agree.append(((out.float() - reference).norm() / reference.norm()).item())
            timings = {i: [] for i in range(len(schedules))}
            for round_index in range(args.rounds):
                order = list(range(len(schedules)))
                shift = round_index % len(order)
                for i in order[shift:] + order[:shift]:
                    timing = attention_forward.time_ms(lambda: run(schedules[i]), budget_s=args.budget_s)
                    timings[i].append(timing)
                    print(f"{name}: {variants[i]} {timing.median_ms:.1f} ms"
                          f" ({eff_flops / timing.median_ms / 1e9:.0f} eff TF/s; {describe(timing.clocks)})",
                          flush=True)
            cells = []
            for i in range(len(schedules)):
                ms = statistics.median(t.median_ms for t in timings[i])
                clocks = [t.clocks["mhz"] for t in timings[i] if t.clocks]
                clock = f", {statistics.median(clocks):.0f} MHz" if clocks else ""
                cells.append(f"{ms:.1f} ms ({eff_flops / ms / 1e9:.0f}{clock})")
            rows.append(f"| {name} | " + " | ".join(cells) + " | " + ", ".join(f"{a:.1e}" for a in agree) + " |")
            del q, k, v, out, lse, schedules
            torch.cuda.empty_cache()
    lines = [
        f"device: {torch.cuda.get_device_name()}; torch {torch.__version__}; commit {commit()}; bf16, head dim 128,"
        f" batch 1; {args.rounds} rounds in rotated order, median; eff. TF/s and median SM clock",
        "",
        "| case | " + " | ".join(variants) + " | plans vs one pass (rel) |",
        "|---|" + "---|" * (len(variants) + 1),
        *rows,
    ]
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
