"""Would a forward in two passes read less from DRAM at 4x length? A probe on the radial masks.

At the 4x anchors 38 % of the forward's K/V loads miss L2, and the DRAM reads cost 9 - 12 % of the time
through the card's power cap (bench/results/2026-11-25-gpu-kernels.md, section 7). A row of a radial mask
has two kinds of key blocks with opposite locality: the near ones (its own and the adjacent frames, and
the sink frame), which every row of those frames shares, and the far ones (the bands in the other frames),
which the rows of the same spatial position share across all frames. One walk order cannot serve both.

This probe splits each row's kept blocks into those two parts and times our forward kernel, unchanged, on
each part as its own block-sparse attention: the near part in row order, the far part in row order and
with its rows taken position first (the query blocks permuted, K and V untouched), over all frames or
within groups of 16 frames. Each timing carries the
card's clock (gpu_clocks). (The library's forward schedule grew out of this probe: build_forward_schedule
in include/radial/two_pass_plans.hpp, whose near pass now reaches 7 frames; forward_schedule_sweep.py
times its shapes.) No merge is run: a two-pass forward would add one read and one write of the
output and its log-sum-exp, so the sum of the passes is a lower bound for it. The merged output of the two
passes is checked against the one-pass output.

    RADIAL_SHIM=... python3 split_pass.py [--only REGEX] [--out FILE]
"""

from __future__ import annotations

import argparse
import math
import re
import sys

import torch

import attention_forward
import radial_cuda
from gpu_clocks import ClockMonitor, describe
from provenance import commit
from report import publish


def split_layout(layout: radial_cuda.Layout, tokens_per_frame: int, sink: bool):
    """(near, far): the layout's kept blocks whose key frame is within one of the query block's frame, or
    in frame 0 when the mask has a sink; and all the others. Frames by each block's first token."""
    row_offsets = layout.row_offsets.long().cpu()
    cols = layout.col_indices.long().cpu()
    rows = torch.repeat_interleave(torch.arange(layout.num_blocks), row_offsets[1:] - row_offsets[:-1])
    row_frame = rows * 128 // tokens_per_frame
    col_frame = cols * 128 // tokens_per_frame
    near = (row_frame - col_frame).abs() <= 1
    if sink:
        near |= col_frame == 0

    def layout_of(keep: torch.Tensor) -> radial_cuda.Layout:
        counts = torch.bincount(rows[keep], minlength=layout.num_blocks)
        offsets = torch.zeros(layout.num_blocks + 1, dtype=torch.int64)
        offsets[1:] = torch.cumsum(counts, 0)
        return radial_cuda.Layout(offsets, cols[keep], layout.seq_len)

    return layout_of(near), layout_of(~near)


def position_first_order(num_blocks: int, seq_len: int, tokens_per_frame: int, group_frames: int = 0) -> torch.Tensor:
    """Query blocks sorted by (position in the frame, frame), within groups of group_frames frames (0: all
    frames one group); a partial last block stays last, since the kernel masks the tail of the last block
    only."""
    full = seq_len // 128
    blocks = torch.arange(full)
    position = blocks * 128 % tokens_per_frame // 128
    frame = blocks * 128 // tokens_per_frame
    group = frame // group_frames if group_frames else torch.zeros_like(frame)
    frames = frame.max() + 1
    order = blocks[torch.argsort((group * (position.max() + 1) + position) * frames + frame, stable=True)]
    if num_blocks > full:
        order = torch.cat([order, torch.tensor([full])])
    return order


def permute_rows(layout: radial_cuda.Layout, order: torch.Tensor) -> radial_cuda.Layout:
    """The layout whose row r is the given layout's row order[r]."""
    offsets = layout.row_offsets.long().cpu()
    cols = layout.col_indices.long().cpu()
    counts = offsets[1:] - offsets[:-1]
    new_offsets = torch.zeros_like(offsets)
    new_offsets[1:] = torch.cumsum(counts[order], 0)
    pieces = [cols[offsets[r]:offsets[r + 1]] for r in order.tolist()]
    return radial_cuda.Layout(new_offsets, torch.cat(pieces), layout.seq_len)


def token_index(order: torch.Tensor, seq_len: int) -> torch.Tensor:
    """Token positions of the query blocks in the given order (the last block may be partial)."""
    index = (order[:, None] * 128 + torch.arange(128)[None, :]).flatten()
    return index[index < seq_len].cuda()


def merge(out_a, lse_a, out_b, lse_b):
    """Two partial attentions over disjoint key sets into one: weights exp(lse) per row."""
    lse = torch.logaddexp(lse_a, lse_b)  # (B, H, S)
    weight_a = torch.exp(lse_a - lse).transpose(1, 2)[..., None]  # (B, S, H, 1)
    weight_b = torch.exp(lse_b - lse).transpose(1, 2)[..., None]
    return out_a.float() * weight_a.nan_to_num(0.0) + out_b.float() * weight_b.nan_to_num(0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="4x", help="regular expression selecting anchor names")
    parser.add_argument("--out", default=None, help="append the markdown table here")
    args = parser.parse_args()
    torch.manual_seed(0)
    dev = torch.cuda.get_device_name()
    rows = []
    with ClockMonitor() as monitor:
        attention_forward.CLOCKS = monitor
        for name, frames, tpf, text, decay, sink, heads in attention_forward.ANCHORS:
            if not re.search(args.only, name):
                continue
            full = radial_cuda.Layout.radial(frames, tpf, text, decay, sink)
            s, d = full.seq_len, 128
            near, far = split_layout(full, tpf, sink)
            order = position_first_order(full.num_blocks, s, tpf)
            far_position_first = permute_rows(far, order)
            grouped_order = position_first_order(full.num_blocks, s, tpf, group_frames=16)
            far_grouped = permute_rows(far, grouped_order)
            q, k, v = (torch.randn(1, s, heads, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
            q_position_first = q[:, token_index(order, s)].contiguous()
            q_grouped = q[:, token_index(grouped_order, s)].contiguous()
            scale = 1.0 / math.sqrt(d)
            flops_per_block = 4.0 * 128 * 128 * d * heads

            def run(layout, query):
                out = torch.empty_like(query)
                lse = torch.empty(1, heads, s, device="cuda", dtype=torch.float32)
                timing = attention_forward.time_ms(
                    lambda: radial_cuda.forward(query, k, v, layout, scale, out=out, lse=lse))
                return timing, out, lse

            result = {"case": name, "near share": near.nnz / full.nnz}
            for key, layout, query in (("one pass", full, q), ("near, row order", near, q),
                                       ("far, row order", far, q),
                                       ("far, position first", far_position_first, q_position_first),
                                       ("far, position first in 16-frame groups", far_grouped, q_grouped)):
                timing, out, lse = run(layout, query)
                result[key] = (timing.median_ms, layout.nnz * flops_per_block / timing.median_ms / 1e9, timing.clocks)
                print(f"{name}: {key} {timing.median_ms:.1f} ms ({result[key][1]:.0f} eff TF/s; "
                      f"{describe(timing.clocks)})", flush=True)
                if key == "one pass":
                    reference = out.float()
                elif key == "near, row order":
                    near_out, near_lse = out, lse
                elif key == "far, position first":
                    index = token_index(order, s)
                    far_out, far_lse = torch.empty_like(out), torch.empty_like(lse)
                    far_out[:, index], far_lse[:, :, index] = out, lse
                del out, lse
            merged = merge(near_out, near_lse, far_out, far_lse)
            result["agree"] = ((merged - reference).norm() / reference.norm()).item()
            rows.append(result)
            del q, k, v, q_position_first, q_grouped, reference, near_out, near_lse, far_out, far_lse, merged
            torch.cuda.empty_cache()

    def cell(r, key):
        ms, tflops, clocks = r[key]
        mhz = f", {clocks['mhz']:.0f} MHz" if clocks else ""
        return f"{ms:.1f} ms ({tflops:.0f}{mhz})"

    lines = [f"device: {dev}; torch {torch.__version__}; commit {commit()}; bf16, head dim 128, batch 1; timing queued;"
             " eff. TF/s over the blocks each pass computes; median SM clock of the timing",
             "",
             "| case | near share of blocks | one pass | near, row order | far, row order | far, position first"
             " | far, position first in 16-frame groups | near + far (position first) vs one pass"
             " | merged vs one pass (rel) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        two_pass = r["near, row order"][0] + r["far, position first"][0]
        lines.append(f"| {r['case']} | {r['near share']:.2f} | {cell(r, 'one pass')} | {cell(r, 'near, row order')}"
                     f" | {cell(r, 'far, row order')} | {cell(r, 'far, position first')}"
                     f" | {cell(r, 'far, position first in 16-frame groups')}"
                     f" | {r['one pass'][0] / two_pass:.3f}x | {r['agree']:.1e} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
