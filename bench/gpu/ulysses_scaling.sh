#!/usr/bin/env bash
# Ulysses scaling: bench/gpu/ulysses.py at P = 1, 2, 4, 8 (up to the GPUs present) for each case,
# then a table of time and efficiency against linear scaling. Usage: bench/gpu/ulysses_scaling.sh [OUT.jsonl]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-ulysses-scaling.jsonl}
: > "$out"
gpus=$(python3 -c 'import torch; print(torch.cuda.device_count())')
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
for case in hunyuan-4x wan-720p-81f; do
  for p in 1 2 4 8; do
    [ "$p" -le "$gpus" ] || continue
    PYTHONPATH=python torchrun --standalone --nproc-per-node "$p" bench/gpu/ulysses.py --case "$case" --json "$out"
  done
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base = {r["case"]: r["ms"] for r in rows if r["world"] == 1}
print("| case | P | ms | speedup | efficiency |\n|---|---|---|---|---|")
for r in rows:
    s = base[r["case"]] / r["ms"] if r["case"] in base else float("nan")
    print(f'| {r["case"]} | {r["world"]} | {r["ms"]:.1f} | {s:.2f}x | {100 * s / r["world"]:.0f}% |')
PY
