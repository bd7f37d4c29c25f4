#!/usr/bin/env bash
# Run HERE (the build machine), not on the GPU machine: copies the CUDA test binaries of a CMake build
# (tests/cuda/test_cuda_*) and the shared libraries they need beyond the C/C++ runtime (Highway,
# OpenMP) into one folder, to be carried to the GPU machine, whose image lacks them. The `gtest` steps
# of run_forward.sh and run_backward.sh run them from there.
# Usage: scripts/device/bundle_tests.sh <cmake build dir> <out dir>
set -euo pipefail
build=$1
out=$2
mkdir -p "$out/lib"
for test in "$build"/tests/cuda/test_cuda_*; do
  [ -x "$test" ] && [ -f "$test" ] || continue
  cp "$test" "$out/"
  ldd "$test" | awk '/=>/ {print $3}' \
    | grep -vE '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|ld-linux[^/]*)\.so' \
    | while read -r lib; do cp -L "$lib" "$out/lib/"; done
done
ls "$out" "$out/lib"
