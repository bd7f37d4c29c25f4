#!/usr/bin/env bash
# Packs diffusers and the few packages it imports (not PyTorch, numpy or their dependencies, which the
# GPU machine has) into .ext/site/, git-ignored, for bench/gpu/end_to_end.py on a machine that cannot
# reach a package registry. About 60 MB, under the device tool's 64 MiB carry limit.
# Usage, from the repository root, naming the GPU machine's Python version:
#   bench/gpu/pack_diffusers_ext.sh 3.11
set -euo pipefail
cd "$(dirname "$0")/../.."
python_version=${1:?usage: $0 PYTHON_VERSION (the GPU machine\'s, e.g. 3.11)}
rm -rf .ext/site
# --no-deps: the list is what `import diffusers` and its video transformers need beyond PyTorch.
python3 -m pip install --quiet --target .ext/site --no-deps --only-binary=:all: \
  --python-version "$python_version" --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
  "diffusers>=0.35" huggingface_hub safetensors regex packaging importlib_metadata zipp tqdm pillow \
  httpx2 httpcore2 h11 truststore
find .ext/site -name __pycache__ -type d -prune -exec rm -rf {} +
du -sh .ext/site
