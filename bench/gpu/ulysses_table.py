"""The Ulysses scaling table, as markdown for bench/results/, from the JSON lines ``ulysses.py`` writes:
per case and measure, the time at each P, the speedup over P = 1 and the efficiency against linear
scaling, time(1) / (P * time(P)). Where a (case, P, part) was run more than once, the last run counts.

    python3 bench/gpu/ulysses_table.py RESULTS.jsonl [COMMAND]
"""

from __future__ import annotations

import json
import sys

# (part, field, label, divisor to the unit in the label)
MEASURES = (
    ("attention", "ms", "attention alone (ms)", 1.0),
    ("step", "radial_step_ms", "radial step (s)", 1e3),
    ("step", "dense_step_ms", "dense step (s)", 1e3),
    ("step", "total_ms", "{steps} steps, preset's schedule (s)", 1e3),
)


def table(rows: list[dict], command: str = "") -> str:
    latest = {(r["case"], r["world"], r["what"]): r for r in rows}
    first = rows[0]
    lines = [f"Device: {first['device']}, one per rank; torch {first['torch']}; commit {first['commit']}."]
    if command:
        lines.append(f"Command: `{command}`.")
    if any(r.get("smoke") for r in rows):
        lines.append("**Smoke run: tiny models on the CPU under gloo; these times mean nothing.**")
    lines += ["", "| case | measure | P | time | speedup vs P=1 | efficiency |", "|---|---|---|---|---|---|"]
    cases = list(dict.fromkeys(case for case, _, _ in latest))
    for case in cases:
        for what, field, label, unit in MEASURES:
            runs = sorted((world, r) for (c, world, w), r in latest.items() if c == case and w == what)
            base = dict(runs).get(1)
            for world, r in runs:
                t = r[field] / unit
                cells = ["—", "—"]
                if base is not None:
                    speedup = base[field] / r[field]
                    cells = [f"{speedup:.2f}x", f"{100 * speedup / world:.0f}%"]
                lines.append(f"| {case} | {label.format(**r)} | {world} | {t:.4g} | {' | '.join(cells)} |")
    lines.append("")
    if any(what == "step" for _, _, what in latest) and not first.get("smoke"):
        lines.append("Dense self-attention (dense layers and steps): cuDNN SDPA where a stock processor runs it (Wan"
                     " at every P, HunyuanVideo at P = 1); radial's Ulysses path with an all-ones mask under"
                     " radial's plan (HunyuanVideo, P > 1).")
    for case in cases:
        steps = sorted((world, r) for (c, world, w), r in latest.items() if c == case and w == "step")
        if not steps:
            continue
        r = steps[-1][1]
        scale = (f"built {r['blocks']} blocks per kind, extrapolated per block to the real model's {r['layers']}"
                 if r["extrapolated"] else f"all {r['layers']} blocks built")
        lines.append(f"- {case}, step: {scale}; schedule {r['dense_layers']} dense layers, {r['dense_steps']}"
                     f" dense steps of {r['steps']}. How each P ran:")
        for world, r in steps:
            measured = ("" if r["extrapolated"] else f"; whole forwards as measured: dense"
                        f" {r['dense_forward_ms'] / 1e3:.4g} s, radial {r['radial_forward_ms'] / 1e3:.4g} s")
            lines.append(f"  - P={world}: {r['path']}{measured}")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    sys.stdout.write(table(rows, sys.argv[2] if len(sys.argv) == 3 else ""))


if __name__ == "__main__":
    main()
