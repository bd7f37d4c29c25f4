#!/usr/bin/env bash
# On the GPU machine, from the repository root: builds radial._C with CUDA (build_package.sh), runs the
# Python suite (its CUDA variants run there), then the end-to-end cases named as arguments.
# Carry .ext/deps (scripts/device/collect_deps.sh) and .ext/site (bench/gpu/pack_diffusers_ext.sh).
# Usage: scripts/device/run_package_checks.sh OUT_DIR [end-to-end case ...]
#   PYTEST_ARGS   what pytest runs (default: tests/python)
#   PYTEST_TIMEOUT seconds pytest may take (default 540)
set -uo pipefail
out=${1:?usage: $0 OUT_DIR [case ...]}
shift
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv | tee "$out/gpu.txt"
if ! DEPS=.ext/deps bash scripts/device/build_package.sh build-gpu > "$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  exit 1
fi
export LD_LIBRARY_PATH="$PWD/.ext/deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONPATH="$PWD/.ext/site:$PWD/python"
timeout "${PYTEST_TIMEOUT:-540}" python3 -m pytest -q -p no:cacheprovider -rs ${PYTEST_ARGS:-tests/python} 2>&1 | tee "$out/pytest.log" | tail -60
for case in "$@"; do
  timeout 420 python3 bench/gpu/end_to_end.py --case "$case" --out "$out/end-to-end.md" 2>&1 | tail -25
done
