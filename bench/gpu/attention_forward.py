"""Block-sparse attention forward on one GPU, side by side: ours (radial's CUDA kernel: the sm_90a one on
Hopper, and the portable sm_80+ one for reference), cuDNN SDPA
dense, FlashAttention-2 SDPA dense, and FlexAttention (torch.compile) with the same block mask, at the
anchor shapes (the paper's model sizes and lengths) (batch 1, head dim 128, bf16) with their radial masks.

Effective TFLOP/s counts the kept blocks only: 4 * S^2 * d * H * density / time (the anchors' rule);
dense baselines count all of S^2. Speedup is over cuDNN dense. Prints a markdown table and writes it
to --out. Ours runs through the Python package's operator torch.ops.radial.attention_forward
(--impl package: radial._C built on the GPU machine by scripts/device/build_package.sh) or through the
ctypes shim (--impl shim: RADIAL_SHIM, scripts/device/build_shim.sh); both call the same library.
"""
import argparse
import functools
import math
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

import radial_cuda
from gpu_clocks import ClockMonitor, describe

# name, frames, tokens per frame, text tokens, decay, sink, heads
ANCHORS = [
    ("Wan2.1 720p 81 f", 21, 3600, 0, 0.2, True, 40),
    ("Wan2.1 768p 69 f", 18, 3840, 0, 0.2, True, 40),
    ("HunyuanVideo 720p 117 f", 30, 3600, 0, 0.95, False, 24),
    ("Wan2.1 720p 321 f (4x)", 81, 3600, 0, 1.0, True, 40),
    ("HunyuanVideo 720p 509 f (4x)", 128, 3600, 0, 1.0, False, 24),
]


TIMING = "queued"  # set by --timing
CLOCKS: Optional[ClockMonitor] = None  # set while main() runs: what the GPU ran at during each timing


@dataclass
class Timing:
    median_ms: float
    times_ms: list
    clocks: Optional[dict]  # gpu_clocks.ClockMonitor.summary over the timed calls, None without a monitor


def time_ms(fn, min_reps=3, max_reps=20, budget_s=1.5) -> Timing:
    """Median of per-call CUDA-event times after one warm-up call, and the GPU's clocks meanwhile.

    "queued" (the default): the calls are enqueued back to back and synchronised once at the end, as a
    model's layers are: the host's launch work for a call overlaps the GPU's previous call, and each
    event pair brackets one call's GPU time. "synced": the host waits for every call before launching
    the next, so each time also holds the host's launch work (the method of the results before
    2026-11-24 evening). The number of calls fits budget_s of GPU time, within [min_reps, max_reps].
    """
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    reps = int(min(max_reps, max(min_reps, budget_s * 1e3 / max(start.elapsed_time(end), 1e-3))))
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
    t0 = time.monotonic()
    for start, end in events:
        start.record()
        fn()
        end.record()
        if TIMING == "synced":
            end.synchronize()
    torch.cuda.synchronize()
    t1 = time.monotonic()
    times = [start.elapsed_time(end) for start, end in events]
    return Timing(statistics.median(times), times, CLOCKS.summary(t0, t1) if CLOCKS else None)


def clock_table(rows: list, columns: list) -> list:
    """Markdown lines: per case, the median SM clock, power and power-capped share during each timing
    (columns: (result key, heading)); nothing where no clocks were read."""
    columns = [(key, heading) for key, heading in columns if any(r.get(f"clocks_{key}") for r in rows)]
    if not columns:
        return []
    return [
        "",
        "GPU clocks during the timed calls (nvidia-smi every 20 ms: median SM clock, median power, share of"
        " samples with the power cap active):",
        "",
        "| case | " + " | ".join(heading for _, heading in columns) + " |",
        "|---|" + "---|" * len(columns),
        *(f"| {r['case']} | " + " | ".join(describe(r.get(f"clocks_{key}")) for key, _ in columns) + " |"
          for r in rows),
    ]


def flex_block_mask(layout, s):
    from torch.nn.attention.flex_attention import BlockMask

    dense = layout.dense_bool()
    full = dense.clone()
    if s % 128:  # the last key block is partial: Flex must mask inside it
        full[:, -1] = False
    partial = dense & ~full

    def to_blocks(m):
        counts = m.sum(dim=1, dtype=torch.int32)
        indices = torch.argsort((~m).to(torch.int8), dim=1, stable=True).to(torch.int32)
        return counts[None, None], indices[None, None]

    def in_sequence(b, h, q_idx, kv_idx):
        return kv_idx < s

    kv_num, kv_idx = to_blocks(partial)
    full_num, full_idx = to_blocks(full)
    return BlockMask.from_kv_blocks(kv_num, kv_idx, full_num, full_idx, BLOCK_SIZE=128, mask_mod=in_sequence,
                                    seq_lengths=(s, s))


def measure(args, baselines: set) -> list:
    """Times every selected anchor: one result dict per case."""
    rows = []
    for name, frames, tpf, text, decay, sink, heads in ANCHORS:
        if args.only and not re.search(args.only, name):
            continue
        d = args.head_dim
        heads = heads * 128 // d
        if args.impl == "package":
            import radial

            package_mask = radial.mask(frames=frames, tokens_per_frame=tpf, text_tokens=text, decay=decay,
                                       sink=sink).to("cuda")
            layout = radial_cuda.Layout(package_mask.row_offsets, package_mask.col_indices, package_mask.seq_len)
            schedule = package_mask.forward_schedule

            def ours(two_pass=True):
                torch.ops.radial.attention_forward(q, k, v, *package_mask.index, None, scale, package_mask.block_size,
                                                   schedule if two_pass else None)
        else:
            layout = radial_cuda.Layout.radial(frames, tpf, text, decay, sink)
            schedule = radial_cuda.radial_schedule(frames, tpf, text, decay, sink)

            def ours(two_pass=True):
                radial_cuda.forward(q, k, v, layout, scale, out=out, lse=lse, schedule=schedule if two_pass else None)
        s = layout.seq_len
        if args.memory == "bhsd":  # each head's tokens contiguous: (B, S, H, D) views of (B, H, S, D) storage
            q, k, v = (torch.randn(1, heads, s, d, device="cuda", dtype=torch.bfloat16).transpose(1, 2)
                       for _ in range(3))
        else:
            q, k, v = (torch.randn(1, s, heads, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        scale = 1.0 / math.sqrt(d)
        dense_flops = 4.0 * s * s * d * heads
        eff_flops = dense_flops * layout.density
        out = torch.empty_like(q)
        lse = torch.empty(1, heads, s, device="cuda", dtype=torch.float32)
        result = {"case": name, "S": s, "H": heads, "density": layout.density}
        # "auto": the Hopper kernel given the mask's forward schedule (it runs two passes where one head's K/V
        # outgrow the L2); "one-pass": without it.
        keys = {"auto": "ours", "one-pass": "one pass", "portable": "portable"}
        for family in args.families.split(","):  # in the order given: the first timing runs on a cooler card
            key = keys[family]
            os.environ["RADIAL_CUDA_FORWARD"] = "portable" if family == "portable" else "auto"
            run = functools.partial(ours, two_pass=family == "auto")
            timing = time_ms(run, max_reps=args.max_reps, budget_s=args.budget_s)
            result[key], result[f"clocks_{key}"] = timing.median_ms, timing.clocks
            print(f"{name}: {key} {result[key]:.1f} ms ({eff_flops / result[key] / 1e9:.0f} eff TF/s;"
                  f" {describe(timing.clocks)})", flush=True)
        os.environ["RADIAL_CUDA_FORWARD"] = "auto"
        qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, S, D) views
        if "cudnn" in baselines:
            with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                timing = time_ms(lambda: F.scaled_dot_product_attention(qt, kt, vt, scale=scale), min_reps=2)
            result["cudnn"], result["clocks_cudnn"] = timing.median_ms, timing.clocks
            print(f"  cudnn {result['cudnn']:.1f} ms ({describe(timing.clocks)})", flush=True)
        if "fa2" in baselines and s <= args.fa2_max_seq:
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                result["fa2"] = time_ms(lambda: F.scaled_dot_product_attention(qt, kt, vt, scale=scale),
                                        min_reps=2).median_ms
            print(f"  fa2 {result['fa2']:.1f} ms", flush=True)
        if "flex" in baselines:
            from torch.nn.attention.flex_attention import flex_attention

            flex = torch.compile(flex_attention, dynamic=False)
            bm = flex_block_mask(layout, s)
            ref = flex(qt, kt, vt, block_mask=bm, scale=scale).transpose(1, 2)
            if args.impl == "package":
                out, lse = torch.ops.radial.attention_forward(q, k, v, *package_mask.index, None, scale, 128, schedule)
            else:
                radial_cuda.forward(q, k, v, layout, scale, out=out, lse=lse, schedule=schedule)
            result["agree"] = ((out.float() - ref.float()).norm() / ref.float().norm()).item()
            timing = time_ms(lambda: flex(qt, kt, vt, block_mask=bm, scale=scale))
            result["flex"], result["clocks_flex"] = timing.median_ms, timing.clocks
            print(f"  flex {result['flex']:.1f} ms (ours vs flex rel {result['agree']:.1e})", flush=True)
            del bm, ref
        result["eff_flops"] = eff_flops
        result["dense_flops"] = dense_flops
        rows.append(result)
        del q, k, v, out, lse, qt, kt, vt
        torch.cuda.empty_cache()
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None, help="write the markdown table here")
    parser.add_argument("--baselines", default="cudnn,fa2,flex", help="comma list of cudnn, fa2, flex, none")
    parser.add_argument("--fa2-max-seq", type=int, default=120_000, help="skip FA2 dense above this length")
    parser.add_argument("--impl", choices=("package", "shim"), default="shim",
                        help="call our kernel through the radial package's operator or the ctypes shim")
    parser.add_argument("--families", default="auto,one-pass,portable",
                        help="our kernels to time: auto (sm_90a on Hopper, given the forward schedule),"
                             " one-pass (sm_90a, one pass over the CSR), portable (sm_80+)")
    parser.add_argument("--only", default=None, help="regular expression selecting anchor names")
    parser.add_argument("--timing", choices=("queued", "synced"), default="queued",
                        help="calls enqueued back to back (default) or each waited for (see time_ms)")
    parser.add_argument("--budget-s", type=float, default=1.5,
                        help="seconds of GPU time for timing ours (at most --max-reps calls, at least 3)")
    parser.add_argument("--max-reps", type=int, default=20, help="the most timed calls of ours")
    parser.add_argument("--memory", choices=("bshd", "bhsd"), default="bshd",
                        help="storage order of q, k, v: (B, S, H, D) as the projections write it, or each head's"
                             " tokens contiguous (the kernels take either through strides)")
    parser.add_argument("--head-dim", type=int, choices=(64, 128), default=128,
                        help="64: the same model width in twice the heads (the anchors use 128)")
    args = parser.parse_args()
    global TIMING
    TIMING = args.timing
    baselines = set(args.baselines.split(","))
    torch.manual_seed(0)
    dev = torch.cuda.get_device_name()
    print(f"device {dev}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}", flush=True)
    global CLOCKS
    with ClockMonitor() as monitor:
        CLOCKS = monitor
        rows = measure(args, baselines)

    def cell(r, key, flops):
        if key not in r:
            return "—"
        return f"{r[key]:.1f} ms ({flops / r[key] / 1e9:.0f})"

    lines = [
        f"device: {dev}; torch {torch.__version__}; cuDNN {torch.backends.cudnn.version()};"
        f" bf16, head dim {args.head_dim}, batch 1, q/k/v stored {args.memory}; ours through the {args.impl};"
        f" timing {args.timing}",
        "",
        "| case | S | H | density | ours (eff. TF/s) | ours, one pass | ours, portable kernel | cuDNN dense (TF/s)"
        " | FA2 dense (TF/s) | Flex + block mask (eff.) | ours vs cuDNN | ours vs Flex | ideal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        vs_cudnn = f"{r['cudnn'] / r['ours']:.2f}x" if "cudnn" in r else "—"
        vs_flex = f"{r['flex'] / r['ours']:.2f}x" if "flex" in r else "—"
        lines.append(
            f"| {r['case']} | {r['S']:,} | {r['H']} | {r['density']:.3f} | {cell(r, 'ours', r['eff_flops'])}"
            f" | {cell(r, 'one pass', r['eff_flops'])} | {cell(r, 'portable', r['eff_flops'])}"
            f" | {cell(r, 'cudnn', r['dense_flops'])}"
            f" | {cell(r, 'fa2', r['dense_flops'])} | {cell(r, 'flex', r['eff_flops'])}"
            f" | {vs_cudnn} | {vs_flex} | {1 / r['density']:.2f}x |")
    lines += clock_table(rows, [("ours", "ours"), ("one pass", "ours, one pass"), ("portable", "ours, portable"),
                                ("cudnn", "cuDNN dense"), ("flex", "Flex + block mask")])
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
