#!/usr/bin/env bash
# Packs diffusers into .ext/site/ (git-ignored) for the GPU scripts on a machine that cannot reach a
# package registry. Only diffusers itself: what it imports beyond it (PyTorch, numpy, huggingface_hub,
# safetensors, regex, Pillow, peft, ...) is expected on that machine already. About 30 MB.
# Usage, from the repository root, naming the GPU machine's Python version:
#   bench/gpu/pack_diffusers_ext.sh 3.12
set -euo pipefail
cd "$(dirname "$0")/../.."
python_version=${1:?usage: $0 PYTHON_VERSION (the GPU machine\'s, e.g. 3.12)}
rm -rf .ext/site
python3 -m pip install --quiet --target .ext/site --no-deps --only-binary=:all: \
  --python-version "$python_version" --platform manylinux2014_x86_64 "diffusers==0.42.1"
find .ext/site -name __pycache__ -type d -prune -exec rm -rf {} +
du -sh .ext/site
