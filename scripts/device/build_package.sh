#!/usr/bin/env bash
# On the GPU machine, from the repository root: builds the Python package's extension radial._C (with
# the CUDA kernels) for that machine's python3, against the Debian libraries its image lacks, carried
# in a prefix folder (default .ext/deps, filled here by scripts/device/collect_deps.sh).
# Afterwards: export PYTHONPATH=$PWD/python LD_LIBRARY_PATH=<deps>/lib/x86_64-linux-gnu
# Usage: scripts/device/build_package.sh [build_dir]    DEPS=<prefix> overrides the deps folder.
set -euo pipefail
build=${1:-build-gpu}
deps=$(realpath "${DEPS:-.ext/deps}")
lib=$deps/lib/x86_64-linux-gnu
python=$(command -v python3)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DRADIAL_CUDA=ON -DRADIAL_PYTHON=ON \
  -DRADIAL_TESTS=OFF -DRADIAL_BENCHMARKS=OFF -DRADIAL_TOOLS=OFF \
  -DPython_EXECUTABLE="$python" -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" \
  -DHWY_INCLUDE_DIR="$deps/include" -DHWY_LIBRARY="$lib/libhwy.so" \
  -DSPNG_INCLUDE_DIR="$deps/include" -DSPNG_LIBRARY="$lib/libspng.so" \
  -Dfmt_DIR="$lib/cmake/fmt" -Dnlohmann_json_DIR="$deps/share/cmake/nlohmann_json"
cmake --build "$build" -j"$(nproc)" --target _C
