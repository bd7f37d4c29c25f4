#!/usr/bin/env bash
# Ulysses scaling: bench/gpu/ulysses.py at P = 1, 2, 4, 8 (up to the GPUs present) for each case, then
# one markdown table of attention and step times with efficiency against linear scaling.
# Usage: bench/gpu/ulysses_scaling.sh OUT [case ...] [-- ulysses.py options]
#   writes OUT.jsonl (appended: a rerun of a case and P replaces the earlier one in the table; delete
#   it to start afresh) and OUT.md (the table, rewritten from all of OUT.jsonl).
#   Cases: hunyuan-720p-509f wan-720p-81f (default both). ULYSSES_P="1 2" picks the world sizes, to
#   split a long run over several commands.
#   bench/gpu/ulysses_scaling.sh smoke -- --smoke       # CPU, gloo, tiny models, P = 1, 2
set -euo pipefail
cd "$(dirname "$0")/../.."
command="$0 $*"
out=${1:?usage: $0 OUT [case ...] [-- ulysses.py options]}
shift
cases=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do cases+=("$1"); shift; done
[ $# -gt 0 ] && shift
options=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(hunyuan-720p-509f wan-720p-81f)
python=${PYTHON:-python3}

if [[ " ${options[*]} " == *" --smoke "* ]]; then
  default_p="1 2"
else
  gpus=$("$python" -c 'import torch; print(torch.cuda.device_count())')
  default_p=""
  for p in 1 2 4 8; do [ "$p" -le "$gpus" ] && default_p+="$p "; done
fi
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
for case in "${cases[@]}"; do
  for p in ${ULYSSES_P:-$default_p}; do
    OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$python" -m torch.distributed.run --standalone --nproc-per-node "$p" \
      bench/gpu/ulysses.py --case "$case" --json "$out.jsonl" "${options[@]}"
  done
done
"$python" bench/gpu/ulysses_table.py "$out.jsonl" "$command" > "$out.md"
cat "$out.md"
