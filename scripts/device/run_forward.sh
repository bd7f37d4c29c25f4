#!/usr/bin/env bash
# On the GPU machine, from the repository root: builds (or reuses) the shim, checks the CUDA forward
# against the float64 oracle, runs compute-sanitizer memcheck and racecheck on small cases, and
# benchmarks the anchor shapes side by side. Logs and the table go to $OUT (default ./device-out).
#
# Usage: scripts/device/run_forward.sh [steps...]   steps: gtest check sanitize bench (default: the last three)
#   SHIM_DIR   where libradial_shim.so is, or is built (default build-shim)
#   TESTS_DIR  the bundle of scripts/device/bundle_tests.sh (default gpu-tests)
#   BENCH_ARGS extra arguments for bench/gpu/attention_forward.py
#   STEP_TIMEOUT seconds each step may take (default 300): a hung kernel fails its step, not the call
set -uo pipefail
out=$(realpath -m "${OUT:-device-out}")
shim_dir=${SHIM_DIR:-build-shim}
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(check sanitize bench)
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$out/gpu.txt"

if [ ! -f "$shim_dir/libradial_shim.so" ] || ! python3 -c "import ctypes,sys; ctypes.CDLL(sys.argv[1])" "$shim_dir/libradial_shim.so"; then
  scripts/device/build_shim.sh "$shim_dir" -gencode arch=compute_90a,code=sm_90a || exit 1
fi
shim=$(realpath "$shim_dir/libradial_shim.so")
export RADIAL_SHIM=$shim PYTHONUNBUFFERED=1
status=0
for step in "${steps[@]}"; do
  case $step in
    gtest)
      # The GoogleTest binary bundled by scripts/device/bundle_tests.sh (float64 reference, every variant).
      tests_dir=${TESTS_DIR:-gpu-tests}
      LD_LIBRARY_PATH="$tests_dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout "${STEP_TIMEOUT:-300}" \
        "$tests_dir/test_cuda_attention" 2>&1 | tee "$out/gtest.log" || status=1 ;;
    check)
      timeout "${STEP_TIMEOUT:-300}" python3 scripts/device/check_forward.py 2>&1 | tee "$out/check.log" || status=1 ;;
    sanitize)
      if [ ! -x "$shim_dir/sanitize_forward" ]; then
        nvcc -std=c++20 -O2 scripts/device/sanitize_forward.cpp -o "$shim_dir/sanitize_forward" -L"$shim_dir" \
          -lradial_shim -Xlinker -rpath='$ORIGIN' || { status=1; continue; }
      fi
      for family in auto portable; do
        for tool in memcheck racecheck; do
          echo "== $tool, kernel family $family" | tee -a "$out/sanitize.log"
          RADIAL_CUDA_FORWARD=$family timeout "${STEP_TIMEOUT:-300}" compute-sanitizer --tool "$tool" --error-exitcode 1 "$shim_dir/sanitize_forward" 2>&1 \
            | tee -a "$out/sanitize.log" || status=1
        done
      done
      # Where the GoogleTest bundle is here: small cases of both head dims (tails, empty rows, kv_valid_len),
      # each on both kernel families.
      tests_dir=${TESTS_DIR:-gpu-tests}
      if [ -x "$tests_dir/test_cuda_attention" ]; then
        filter='*B1_S129_H2_D64_bf16*:*B3_S300_H1_D64_f16*:*B1_S129_H2_D128_bf16*'
        for tool in memcheck racecheck; do
          echo "== $tool, test_cuda_attention --gtest_filter=$filter" | tee -a "$out/sanitize.log"
          LD_LIBRARY_PATH="$tests_dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout "${STEP_TIMEOUT:-300}" \
            compute-sanitizer --tool "$tool" --error-exitcode 1 "$tests_dir/test_cuda_attention" --gtest_filter="$filter" 2>&1 \
            | tee -a "$out/sanitize.log" | tail -n 4 || status=1
        done
      fi ;;
    bench)
      (cd bench/gpu && timeout "${STEP_TIMEOUT:-300}" python3 attention_forward.py --out "$out/bench.md" ${BENCH_ARGS:-}) 2>&1 \
        | tee "$out/bench.log" || status=1 ;;
    *) echo "unknown step $step"; status=1 ;;
  esac
done
exit $status
