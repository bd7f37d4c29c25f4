#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with scripts/bootstrap's packages), not on the GPU machine: copies the
# headers, shared libraries and CMake package files that the GPU machine's image lacks (Highway,
# libspng, fmt, nlohmann-json) into one prefix folder to carry there for build_package.sh.
# Usage: scripts/device/collect_deps.sh [out_dir]   (default .ext/deps; .ext/ is git-ignored)
set -euo pipefail
out=${1:-.ext/deps}
arch=/usr/lib/x86_64-linux-gnu
rm -rf "$out"
mkdir -p "$out/include" "$out/lib/x86_64-linux-gnu/cmake" "$out/share/cmake"
cp -r /usr/include/hwy /usr/include/fmt /usr/include/nlohmann /usr/include/spng.h "$out/include/"
cp -P "$arch"/libhwy.so* "$arch"/libspng.so* "$arch"/libfmt.so* "$out/lib/x86_64-linux-gnu/"
# Both CMake packages locate their prefix relative to their own folder, so they work from here.
cp -r "$arch/cmake/fmt" "$out/lib/x86_64-linux-gnu/cmake/"
cp -r /usr/share/cmake/nlohmann_json "$out/share/cmake/"
du -sh "$out"
