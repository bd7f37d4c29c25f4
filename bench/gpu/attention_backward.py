"""Block-sparse attention backward on one GPU, side by side: ours (radial's CUDA backward) in up to four
variants -- the default mode as autograd calls it (on Hopper: the fused sm_90a dK/dV kernel adding dQ
up with bulk reduce-adds, given the mask's backward schedule, which it follows in two passes once one
head's Q and dO outgrow the L2), the same in one pass (no schedule), the deterministic mode (sm_90a dK/dV,
then sm_90a dQ per query block) and the portable sm_80+ kernels (RADIAL_CUDA_BACKWARD=portable) -- against cuDNN SDPA dense backward and
FlexAttention (torch.compile) backward with the same block mask, at the anchor shapes of
docs/anchors.md (batch 1, head dim 128, bf16) with their radial masks.

Effective TFLOP/s counts the kept blocks only, the backward as 2.5x the forward:
2.5 * 4 * S^2 * d * H * density / time; dense baselines count all of S^2. Our out and lse come from our
forward; the gradients are checked against Flex's (relative 2-norm). Also prints where our time goes
(per kernel, from the profiler). Prints a markdown table and writes it to --out. Needs RADIAL_SHIM
(scripts/device/build_backward_shim.sh).
"""
import argparse
import math
import os
import re
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

import radial_cuda
import radial_cuda_backward
import attention_forward
from attention_forward import clock_table, flex_block_mask, time_ms
from gpu_clocks import ClockMonitor

# name, frames, tokens per frame, text tokens, decay, sink, heads (as bench/gpu/attention_forward.py)
ANCHORS = [
    ("Wan2.1 720p 81 f", 21, 3600, 0, 0.2, True, 40),
    ("HunyuanVideo 720p 117 f", 30, 3600, 0, 0.95, False, 24),
    ("Wan2.1 720p 321 f (4x)", 81, 3600, 0, 1.0, True, 40),
    ("HunyuanVideo 720p 509 f (4x)", 128, 3600, 0, 1.0, False, 24),
]


def relative(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def kernel_split(fn):
    """Device milliseconds per kernel name of one call of fn."""
    from torch.profiler import ProfilerActivity, profile

    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    split = {}
    for e in prof.key_averages():
        if e.device_type.name == "CUDA" and e.self_device_time_total > 0:
            name = re.sub(r"<.*", "", e.key).split("::")[-1]
            split[name] = split.get(name, 0.0) + e.self_device_time_total / 1e3
    return split


def measure(args, baselines: set) -> list:
    """Times every selected anchor: one result dict per case."""
    rows = []
    for name, frames, tpf, text, decay, sink, heads in ANCHORS:
        if args.only and not re.search(args.only, name):
            continue
        d = args.head_dim
        heads = heads * 128 // d
        layout = radial_cuda.Layout.radial(frames, tpf, text, decay, sink)
        columns = radial_cuda_backward.Columns(layout)
        schedule = radial_cuda.radial_schedule(frames, tpf, text, decay, sink, backward=True)
        variants = set(args.variants.split(","))
        s = layout.seq_len
        q, k, v, dout = (torch.randn(1, s, heads, d, device="cuda", dtype=torch.bfloat16) for _ in range(4))
        scale = 1.0 / math.sqrt(d)
        dense_flops = 2.5 * 4.0 * s * s * d * heads
        eff_flops = dense_flops * layout.density
        out, lse = radial_cuda.forward(q, k, v, layout, scale)
        grads = tuple(torch.empty_like(t) for t in (q, k, v))
        result = {"case": name, "S": s, "H": heads, "density": layout.density}

        def ours(deterministic=False, two_pass=True):
            return radial_cuda_backward.backward(dout, q, k, v, out, lse, layout, columns, scale,
                                                 deterministic=deterministic, grads=grads,
                                                 schedule=schedule if two_pass else None)

        timing = time_ms(ours)
        result["ours"], result["clocks_ours"] = timing.median_ms, timing.clocks
        result["split"] = kernel_split(ours)
        print(f"{name}: ours {result['ours']:.1f} ms ({eff_flops / result['ours'] / 1e9:.0f} eff TF/s); kernels "
              + ", ".join(f"{k} {v:.1f} ms" for k, v in result["split"].items()), flush=True)
        ours()
        mine = tuple(g.clone() for g in grads)
        if "one-pass" in variants:
            timing = time_ms(lambda: ours(two_pass=False))
            result["one pass"], result["clocks_one pass"] = timing.median_ms, timing.clocks
            result["agree_one pass"] = max(relative(a, b) for a, b in zip(grads, mine))
            print(f"  one pass {result['one pass']:.1f} ms (vs default rel {result['agree_one pass']:.1e})", flush=True)
        if "deterministic" in variants:
            result["deterministic"] = time_ms(lambda: ours(deterministic=True)).median_ms
            result["split_deterministic"] = kernel_split(lambda: ours(deterministic=True))
            result["agree_deterministic"] = max(relative(a, b) for a, b in zip(grads, mine))
            print(f"  deterministic {result['deterministic']:.1f} ms (vs default rel {result['agree_deterministic']:.1e})",
                  flush=True)
        if "portable" in variants:
            os.environ["RADIAL_CUDA_BACKWARD"] = "portable"
            result["portable"] = time_ms(ours).median_ms
            result["agree_portable"] = max(relative(a, b) for a, b in zip(grads, mine))
            del os.environ["RADIAL_CUDA_BACKWARD"]
            print(f"  portable {result['portable']:.1f} ms (rel {result['agree_portable']:.1e})", flush=True)
        qt, kt, vt = (t.transpose(1, 2).detach().requires_grad_() for t in (q, k, v))  # (B, H, S, D) leaves
        dout_t = dout.transpose(1, 2)
        if "cudnn" in baselines:
            with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                o = F.scaled_dot_product_attention(qt, kt, vt, scale=scale)
                timing = time_ms(lambda: torch.autograd.grad(o, (qt, kt, vt), dout_t, retain_graph=True), min_reps=2)
            result["cudnn"], result["clocks_cudnn"] = timing.median_ms, timing.clocks
            del o
            print(f"  cudnn dense backward {result['cudnn']:.1f} ms", flush=True)
        if "flex" in baselines:
            from torch.nn.attention.flex_attention import flex_attention

            flex = torch.compile(flex_attention, dynamic=False)
            bm = flex_block_mask(layout, s)
            o = flex(qt, kt, vt, block_mask=bm, scale=scale)
            ref = torch.autograd.grad(o, (qt, kt, vt), dout_t, retain_graph=True)
            result["agree"] = max(relative(m, r.transpose(1, 2)) for m, r in zip(mine, ref))
            del ref
            timing = time_ms(lambda: torch.autograd.grad(o, (qt, kt, vt), dout_t, retain_graph=True))
            result["flex"], result["clocks_flex"] = timing.median_ms, timing.clocks
            print(f"  flex backward {result['flex']:.1f} ms (ours vs flex, worst of dq/dk/dv: rel {result['agree']:.1e})",
                  flush=True)
            del bm, o
        result["eff_flops"] = eff_flops
        result["dense_flops"] = dense_flops
        rows.append(result)
        del q, k, v, dout, out, lse, grads, mine, qt, kt, vt, dout_t
        torch.cuda.empty_cache()
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None, help="write the markdown table here")
    parser.add_argument("--baselines", default="cudnn,flex", help="comma list of cudnn, flex, none")
    parser.add_argument("--only", default="^(Wan2.1 720p 81 f|HunyuanVideo 720p 117 f)$",
                        help="regular expression selecting anchor names")
    parser.add_argument("--timing", choices=("queued", "synced"), default="queued",
                        help="calls enqueued back to back (default) or each waited for (attention_forward.time_ms)")
    parser.add_argument("--variants", default="one-pass,deterministic,portable",
                        help="our variants timed beside the default mode: comma list of one-pass, deterministic,"
                             " portable (or none)")
    parser.add_argument("--head-dim", type=int, choices=(64, 128), default=128,
                        help="64: the same model width in twice the heads (the anchors use 128)")
    args = parser.parse_args()
    attention_forward.TIMING = args.timing
    baselines = set(args.baselines.split(","))
    torch.manual_seed(0)
    dev = torch.cuda.get_device_name()
    print(f"device {dev}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}", flush=True)
    with ClockMonitor() as monitor:
        attention_forward.CLOCKS = monitor
        rows = measure(args, baselines)

    def cell(r, key, flops):
        return f"{r[key]:.1f} ms ({flops / r[key] / 1e9:.0f})" if key in r else "—"

    lines = [
        f"device: {dev}; torch {torch.__version__}; cuDNN {torch.backends.cudnn.version()}; bf16, head dim {args.head_dim}, batch 1; "
        f"backward FLOPs = 2.5x forward; timing {args.timing}",
        "",
        "| case | S | H | density | ours (eff. TF/s) | ours, one pass | ours deterministic | portable "
        "| cuDNN dense bwd (TF/s) | Flex + block mask bwd (eff.) | ours vs cuDNN | ours vs Flex | ideal "
        "| ours vs Flex grads (rel) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        vs_cudnn = f"{r['cudnn'] / r['ours']:.2f}x" if "cudnn" in r else "—"
        vs_flex = f"{r['flex'] / r['ours']:.2f}x" if "flex" in r else "—"
        agree = f"{r['agree']:.1e}" if "agree" in r else "—"
        lines.append(
            f"| {r['case']} | {r['S']:,} | {r['H']} | {r['density']:.3f} | {cell(r, 'ours', r['eff_flops'])} | "
            f"{cell(r, 'one pass', r['eff_flops'])} | {cell(r, 'deterministic', r['eff_flops'])} | {cell(r, 'portable', r['eff_flops'])} | "
            f"{cell(r, 'cudnn', r['dense_flops'])} | {cell(r, 'flex', r['eff_flops'])} | {vs_cudnn} | {vs_flex} | "
            f"{1 / r['density']:.2f}x | {agree} |")
    lines += clock_table(rows, [("ours", "ours"), ("one pass", "ours, one pass"), ("cudnn", "cuDNN dense"),
                                ("flex", "Flex + block mask")])
    lines += ["", "Our kernels, one call (profiler, device ms):", ""]
    for r in rows:
        lines.append(f"- {r['case']}: " + ", ".join(f"{k} {v:.1f}" for k, v in r["split"].items()))
        if "split_deterministic" in r:
            lines.append(f"- {r['case']}, deterministic: "
                         + ", ".join(f"{k} {v:.1f}" for k, v in r["split_deterministic"].items()))
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
