#!/usr/bin/env bash
# On the GPU machine, from the repository root: times the same calls through several builds of the
# ctypes shim in one run, each beside the others on the same card, so that kernel variants compare
# without the run-to-run spread of separate runs. Build each variant here with
#   scripts/device/build_backward_shim.sh DIR -gencode arch=compute_90a,code=sm_90a [-DNAME=VALUE ...]
# (its DIR also holds the forward-only libradial_shim.so) and carry the directories. The builds are
# timed in turn, then again in reverse order. The backward bench prints each build's agreement with the
# portable kernels; the forward bench's "families" compare the sm_90a kernel with the portable one.
#
# Usage: scripts/device/compare_shims.sh forward|backward OUT_FILE SHIM_DIR...
#   BENCH_ARGS  arguments for bench/gpu/attention_{forward,backward}.py (default: no baselines)
set -uo pipefail
direction=$1
out=$(realpath -m "$2")
shift 2
dirs=("$@")
case $direction in
  forward) library=libradial_shim.so ;;
  backward) library=libradial_backward_shim.so ;;
  *) echo "first argument: forward or backward, got '$direction'" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$out")"
: > "$out"
reversed=()
for ((i = ${#dirs[@]} - 1; i >= 0; --i)); do reversed+=("${dirs[i]}"); done
status=0
for dir in "${dirs[@]}" "${reversed[@]}"; do
  shim=$(realpath "$dir/$library")
  echo "== $dir" | tee -a "$out"
  (cd bench/gpu && RADIAL_SHIM=$shim timeout "${STEP_TIMEOUT:-300}" python3 "attention_$direction.py" \
    ${BENCH_ARGS:---baselines none}) 2>&1 | grep -v '^|' | tee -a "$out" || status=1
done
exit $status
