"""Test helpers shared by radial's tests, benchmarks and integrations: a float64 dense masked reference
in PyTorch (differentiable, so it gives reference gradients too), NaN-poisoned outputs, and diffusers'
Ulysses context parallelism on CPU processes."""

from __future__ import annotations

import math
from typing import Optional, Union

import torch

from radial.masks import RadialMask
from radial.ops.kernels import poisoned_outputs

__all__ = ["token_mask", "reference_attention", "poisoned_outputs", "enable_ulysses_on_cpu"]


def token_mask(block_mask: torch.Tensor, seq_len: int, block_size: int = 128) -> torch.Tensor:
    """bool ``[S, S]``: the block mask ``[nb, nb]`` expanded to tokens and cut to ``S = seq_len``."""
    expanded = block_mask.repeat_interleave(block_size, 0).repeat_interleave(block_size, 1)
    return expanded[:seq_len, :seq_len]


def reference_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: Union[RadialMask, torch.Tensor],
    *,
    kv_valid_len: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
    block_size: int = 128,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dense attention in float64 with the block mask applied at token level.

    q, k, v ``[B, S, H, D]`` (any dtype; computed in float64 and differentiable); mask a RadialMask or a
    bool ``[nb, nb]`` tensor. Returns out ``[B, S, H, D]`` and lse ``[B, H, S]``, both float64; a row
    with no key of weight gets out = 0 and lse = -inf, as the kernels' contract says.
    """
    if isinstance(mask, RadialMask):
        block_size = mask.block_size
        mask = mask.dense()
    b, s, _, d = q.shape
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    allowed = token_mask(mask.to(q.device), s, block_size)[None, None]  # (1, 1, S, S)
    if kv_valid_len is not None:
        keys = torch.arange(s, device=q.device)
        valid_keys = keys[None, :] < kv_valid_len.to(q.device, torch.int64)[:, None]  # (B, S)
        allowed = allowed & valid_keys[:, None, None, :]  # (B, 1, S, S)
    q64, k64, v64 = q.double(), k.double(), v.double()
    scores = torch.einsum("bshd,bthd->bhst", q64, k64) * scale  # (B, H, S, S)
    scores = scores.masked_fill(~allowed, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)  # (B, H, S)
    finite_lse = torch.where(torch.isfinite(lse), lse, torch.zeros_like(lse))
    probs = torch.exp(scores - finite_lse[..., None]).masked_fill(~allowed, 0.0)
    out = torch.einsum("bhst,bthd->bshd", probs, v64)
    return out, lse


def enable_ulysses_on_cpu(model: torch.nn.Module, plan: Optional[dict] = None) -> None:
    """What ``model.enable_parallelism(config=ContextParallelConfig(ulysses_degree=P), cp_plan=plan)``
    does, with ``P`` the initialised default process group's size, on a CPU mesh (gloo): diffusers
    places its mesh on ``torch.accelerator``'s device, so the call itself needs GPUs. Without
    ``plan``, the model's own ``_cp_plan``."""
    import torch.distributed as dist
    from diffusers.hooks.context_parallel import apply_context_parallel
    from diffusers.models._modeling_parallel import ContextParallelConfig, ParallelConfig
    from torch.distributed.device_mesh import init_device_mesh

    rank, world = dist.get_rank(), dist.get_world_size()
    mesh = init_device_mesh("cpu", (1, world), mesh_dim_names=("ring", "ulysses"))
    cp = ContextParallelConfig(ulysses_degree=world, mesh=mesh)
    config = ParallelConfig(context_parallel_config=cp)
    config.setup(rank, world, torch.device("cpu"), mesh=mesh)
    for module in model.modules():
        processor = getattr(module, "processor", None)
        if processor is not None and hasattr(processor, "_parallel_config"):
            processor._parallel_config = config
    apply_context_parallel(model, cp, model._cp_plan if plan is None else plan)
