"""An L2 model of the Hopper forward's K/V loads, run on the CPU: how often would a K/V tile already be
in L2, for a given order of the query-block rows, in one pass or in the forward schedule's two?

The forward runs one CTA per (query block, head) on each of the GPU's SMs; a CTA loads one K/V tile
pair (64 KB at head dim 128) per kept block of its row, and the next CTA starts where one finishes. The
model advances every running CTA one tile per step (rows of equal speed), feeds the tile stream of
``--heads`` heads into a least-recently-used cache of ``--l2-mb`` megabytes, and reports the fraction of
loads that hit; a two-pass plan runs its passes one after the other. It predicts trends, not the
hardware's figure: H100's L2 is two partitions with its own replacement, and Nsight Compute measured 85 %
hits at Wan2.1 720p and 62 % at Wan2.1 4x where this model says 99 % and 84 % at 50 MB (25 MB, as if each
partition kept its own copy, comes closer).

    python3 bench/gpu/kv_reuse_model.py [--l2-mb 25 50] [--plans 1:16,7:64] [--out FILE]

Variants: ``one pass`` is the kernel over the CSR (head-major, query blocks ascending); ``near N, groups
of G`` is the library's forward schedule (build_forward_schedule) with that reach of the near pass and
that size of the far pass's frame groups.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
import radial  # noqa: E402
from report import publish  # noqa: E402

CASES = {  # (preset, frames): the anchors' shapes at 720p
    "Wan2.1 720p 81 f": ("wan2.1-t2v-14b", 81),
    "HunyuanVideo 720p 117 f": ("hunyuanvideo", 117),
    "Wan2.1 4x (321 f)": ("wan2.1-t2v-14b", 321),
    "HunyuanVideo 4x (509 f)": ("hunyuanvideo", 509),
}
TILE_KB = 64  # K and V of one 128-key block at head dim 128, bf16


class LruCache:
    def __init__(self, tiles: int):
        self.tiles = tiles
        self.entries: collections.OrderedDict = collections.OrderedDict()

    def load(self, key) -> bool:
        """True on a hit; a miss brings the tile in, evicting the least recently used."""
        if key in self.entries:
            self.entries.move_to_end(key)
            return True
        self.entries[key] = None
        if len(self.entries) > self.tiles:
            self.entries.popitem(last=False)
        return False


def hit_rate(passes: list[list[np.ndarray]], l2_mb: float, sms: int, heads: int) -> float:
    """passes: per pass, the key blocks of each row it runs, in the order the rows start."""
    cache = LruCache(int(l2_mb * 1024 / TILE_KB))
    hits = loads = 0
    for rows in passes:
        queue = collections.deque((head, columns) for head in range(heads) for columns in rows if len(columns))
        running: list[tuple[int, np.ndarray, int]] = []  # (head, columns, next index)
        while queue or running:
            while len(running) < sms and queue:
                running.append((*queue.popleft(), 0))
            still = []
            for head, columns, index in running:
                hits += cache.load((head, int(columns[index])))
                loads += 1
                if index + 1 < len(columns):
                    still.append((head, columns, index + 1))
            running = still
    return hits / loads


def one_pass(mask: radial.RadialMask) -> list[list[np.ndarray]]:
    row_offsets, col_indices = (np.asarray(t) for t in mask.index[:2])
    return [[col_indices[row_offsets[r]:row_offsets[r + 1]] for r in range(len(row_offsets) - 1)]]


def two_passes(mask: radial.RadialMask, near_frames: int, group_frames: int) -> list[list[np.ndarray]]:
    """The passes of the library's forward schedule (include/radial/two_pass_plans.hpp)."""
    from radial import _C
    from radial.masks import _core_spec

    sequence, params = _core_spec(mask.spec)
    layout = _C.BlockSparseLayout(_C.build_radial_mask(sequence, params), sequence.seq_len, sequence.block_size)
    plan = np.frombuffer(_C.build_forward_schedule(layout, sequence, params, near_frames, group_frames),
                         dtype=np.int32)
    n = mask.num_blocks
    near_offsets, far_offsets, cols = plan[:n + 1], plan[n + 1:2 * n + 2], plan[3 * n + 2:]
    near = [cols[near_offsets[r]:near_offsets[r + 1]] for r in range(n)]
    far = [cols[far_offsets[i]:far_offsets[i + 1]] for i in range(n)]  # already in the far pass's row order
    return [near, far]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--l2-mb", type=float, nargs="+", default=[25.0, 50.0], help="cache sizes to model")
    parser.add_argument("--plans", default="1:16,3:32,7:64,15:64",
                        help="forward schedules to model, comma list of near_frames:group_frames")
    parser.add_argument("--sms", type=int, default=132, help="CTAs running at once (one per SM)")
    parser.add_argument("--heads", type=int, default=2, help="heads of tiles streamed (reuse is within a head)")
    parser.add_argument("--out", default=None, help="append the markdown table here")
    args = parser.parse_args()
    plans = [tuple(int(x) for x in p.split(":")) for p in args.plans.split(",")]
    header = " | ".join(["one pass"] + [f"near {n}, groups of {g}" for n, g in plans])
    lines = [f"| case | L2 (MB) | {header} |", "|---|---|" + "---|" * (len(plans) + 1)]
    for case, (preset, frames) in CASES.items():
        mask = radial.mask_for(preset, height=720, width=1280, num_frames=frames)
        variants = [one_pass(mask)] + [two_passes(mask, n, g) for n, g in plans]
        for l2_mb in args.l2_mb:
            rates = [hit_rate(passes, l2_mb, args.sms, args.heads) for passes in variants]
            lines.append(f"| {case} | {l2_mb:g} | " + " | ".join(f"{100 * r:.1f} %" for r in rates) + " |")
            print(lines[-1], flush=True)
    publish(lines, args.out)


if __name__ == "__main__":
    main()
