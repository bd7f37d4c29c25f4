#!/usr/bin/env bash
# Builds libradial_backward_shim.so into $1 (default build-shim): everything of build_shim.sh
# (mask engine, CUDA forward, its C ABI) plus the CUDA backward and its C ABI
# (radial_backward_shim.cpp), in one library so that bench/gpu/ runs forward and backward through
# the same kernels. Needs nvcc only. Usage, from the repository root:
#   scripts/device/build_backward_shim.sh [out_dir] [gencode...]
set -euo pipefail
out=${1:-build-shim}
shift || true
gencode=("$@")
[ ${#gencode[@]} -gt 0 ] || gencode=(-gencode arch=compute_90a,code=sm_90a -gencode arch=compute_80,code=sm_80)
scripts/device/build_shim.sh "$out" "${gencode[@]}"
sources=(
  src/cuda/attention_backward.cpp src/cuda/backward/backward_can_implement.cpp
  src/cuda/backward/instantiations/*.cu
  scripts/device/radial_backward_shim.cpp
)
pids=()
for s in "${sources[@]}"; do
  o="$out/$(echo "$s" | tr '/' '_').o"
  nvcc -std=c++20 -O3 -Xcompiler -fPIC --expt-relaxed-constexpr "${gencode[@]}" -Iinclude -Isrc -Isrc/cuda \
    -x "$( [[ $s == *.cu ]] && echo cu || echo c++ )" -c "$s" -o "$o" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
# Every object of the directory: build_shim.sh's and the backward's (one name per source).
nvcc -shared "${gencode[@]}" -o "$out/libradial_backward_shim.so" "$out"/*.o -cudart static
python3 -c "import ctypes, sys; ctypes.CDLL(sys.argv[1])" "$out/libradial_backward_shim.so"
echo "built $out/libradial_backward_shim.so"
