"""Registers the ``radial::`` operators with ``torch.library`` (PyTorch >= 2.4): schema, CPU and
CUDA kernels, fake implementations and autograd, so ``torch.compile(fullgraph=True)`` traces them."""

from __future__ import annotations

import torch

if not hasattr(torch.library, "register_autograd"):
    raise ImportError(f"radial needs PyTorch >= 2.4 (torch.library.register_autograd); found {torch.__version__}")

from radial.ops import autograd, fake, kernels  # noqa: E402
from radial.ops.schema import NAMESPACE, SCHEMAS

_KERNELS = {"attention_forward": kernels.attention_forward, "attention_backward": kernels.attention_backward}
_FAKES = {"attention_forward": fake.attention_forward_fake, "attention_backward": fake.attention_backward_fake}


def _register() -> None:
    for name, schema in SCHEMAS.items():
        qualname = f"{NAMESPACE}::{name}"
        torch.library.define(qualname, schema)
        # One implementation serves both devices: the core dispatches on q's device, and the CUDA
        # stream is PyTorch's current one.
        torch.library.register_kernel(qualname, ("cpu", "cuda"), _KERNELS[name])
        torch.library.register_fake(qualname, _FAKES[name])
    torch.library.register_autograd(
        f"{NAMESPACE}::attention_forward", autograd.backward, setup_context=autograd.setup_context
    )


_register()
