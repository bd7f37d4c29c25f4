#!/usr/bin/env bash
# Builds libradial_shim.so (mask engine + CUDA forward behind a C ABI, see radial_cuda_shim.cpp)
# into $1 (default build-shim/). Needs nvcc only; no Highway, libspng or PyTorch.
# Usage, from the repository root: scripts/device/build_shim.sh [out_dir] [gencode...]
set -euo pipefail
out=${1:-build-shim}
shift || true
gencode=("$@")
[ ${#gencode[@]} -gt 0 ] || gencode=(-gencode arch=compute_90a,code=sm_90a -gencode arch=compute_80,code=sm_80)
mkdir -p "$out"
sources=(
  src/error.cpp src/tensor_view.cpp
  src/mask/layout.cpp src/mask/block_mask.cpp src/mask/radial_mask.cpp src/mask/sparse_layout.cpp src/mask/two_pass_plans.cpp
  src/cuda/attention_forward.cu src/cuda/portable/forward_can_implement.cpp src/cuda/common/row_alignment.cpp
  src/cuda/sm90/tensor_map.cpp src/cuda/sm90/device_is_sm90.cpp
  src/cuda/instantiations/*.cu
  scripts/device/radial_cuda_shim.cpp
)
objs=()
pids=()
for s in "${sources[@]}"; do
  o="$out/$(echo "$s" | tr '/' '_').o"
  objs+=("$o")
  nvcc -std=c++20 -O3 -Xcompiler -fPIC --expt-relaxed-constexpr "${gencode[@]}" -Iinclude -Isrc -Isrc/cuda \
    -x "$( [[ $s == *.cu ]] && echo cu || echo c++ )" -c "$s" -o "$o" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
nvcc -shared "${gencode[@]}" -o "$out/libradial_shim.so" "${objs[@]}" -cudart static
echo "built $out/libradial_shim.so"
