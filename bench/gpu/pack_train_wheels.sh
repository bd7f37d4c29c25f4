#!/usr/bin/env bash
# Downloads the wheels bench/gpu/train_step.py needs beyond PyTorch and numpy (diffusers, peft,
# transformers and the few packages they import) into .ext/wheels/, git-ignored, for a GPU machine that
# cannot reach a package registry: wheels travel compressed, under the device tool's 64 MiB carry limit,
# and install there with pip --no-index (see the benchmark's docstring).
# Usage, from the repository root, naming the GPU machine's Python version:
#   bench/gpu/pack_train_wheels.sh 3.11
set -euo pipefail
cd "$(dirname "$0")/../.."
python_version=${1:?usage: $0 PYTHON_VERSION (the GPU machine\'s, e.g. 3.11)}
rm -rf .ext/wheels
# --no-deps: the list is what `import diffusers, peft` and Wan's transformer need beyond PyTorch; the
# versions are scripts/setup-python-env's.
python3 -m pip download --quiet --dest .ext/wheels --no-deps --only-binary=:all: \
  --python-version "$python_version" --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
  diffusers==0.42.1 peft==0.21.2 transformers==5.24.0 accelerate huggingface_hub safetensors tokenizers \
  regex requests urllib3 idna certifi charset_normalizer anyio h11 httpcore2 httpx2 truststore tqdm pillow \
  pyyaml psutil packaging
du -sh .ext/wheels
