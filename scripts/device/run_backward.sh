#!/usr/bin/env bash
# On the GPU machine, from the repository root: checks the CUDA backward against the float64 oracle
# (GoogleTest bundle), runs compute-sanitizer memcheck and racecheck on small cases, and benchmarks
# the anchor shapes side by side. Everything is built on the build machine and carried:
#   cmake --build <build> --target test_cuda_backward, then copy tests/cuda/test_cuda_backward and
#   the shared libraries it needs beyond the C/C++ runtime into $TESTS_DIR (as bundle_tests.sh does);
#   scripts/device/build_backward_shim.sh $SHIM_DIR.
# Logs and the table go to $OUT (default ./device-out).
#
# Usage: scripts/device/run_backward.sh [steps...]   steps: gtest sanitize bench (default: all three)
#   SHIM_DIR     where libradial_backward_shim.so is (default build-shim)
#   TESTS_DIR    the bundle holding test_cuda_backward and lib/ (default gpu-tests)
#   BENCH_ARGS   extra arguments for bench/gpu/attention_backward.py
#   STEP_TIMEOUT seconds each step may take (default 300): a hung kernel fails its step, not the call
set -uo pipefail
out=$(realpath -m "${OUT:-device-out}")
shim=$(realpath "${SHIM_DIR:-build-shim}/libradial_backward_shim.so")
tests_dir=$(realpath "${TESTS_DIR:-gpu-tests}")
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(gtest sanitize bench)
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$out/gpu.txt"
export LD_LIBRARY_PATH="$tests_dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" PYTHONUNBUFFERED=1
status=0
for step in "${steps[@]}"; do
  case $step in
    gtest)
      # The XML keeps each case's relative errors (dq/dk/dv_relative_l2) and seed.
      timeout "${STEP_TIMEOUT:-300}" "$tests_dir/test_cuda_backward" --gtest_output=xml:"$out/gtest.xml" 2>&1 \
        | tee "$out/gtest.log" || status=1 ;;
    sanitize)
      # Small cases: a one-token tail with empty rows, padded keys with random masks, both head dims, and
      # a radial mask with padded keys, whose default mode also runs in the backward schedule's two passes.
      filter='*B1_S129_H2_D64_bf16*:*B3_S300_H1_D128_bf16*:*B3_S537_H2_D128_bf16*:CudaBackwardEmptyMask.*'
      for tool in memcheck racecheck; do
        echo "== $tool" | tee -a "$out/sanitize.log"
        timeout "${STEP_TIMEOUT:-300}" compute-sanitizer --tool "$tool" --error-exitcode 1 \
          "$tests_dir/test_cuda_backward" --gtest_filter="$filter" 2>&1 | tee -a "$out/sanitize.log" | tail -n 15 || status=1
      done ;;
    bench)
      (cd bench/gpu && RADIAL_SHIM=$shim timeout "${STEP_TIMEOUT:-300}" python3 attention_backward.py \
        --out "$out/bench.md" ${BENCH_ARGS:-}) 2>&1 | tee "$out/bench.log" || status=1 ;;
    *) echo "unknown step $step"; status=1 ;;
  esac
done
exit $status
