"""The real (CPU and CUDA) implementations of the operators: allocate outputs in PyTorch's allocator,
hand their addresses to ``radial._C``, which checks every argument and runs the kernel.

float64 inputs (CPU) run through the float64 reference, so ``torch.autograd.gradcheck`` can check the
operators; the fast kernels take float32, bfloat16 and float16.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional

import torch

from radial._ext import _C
from radial.ops.views import index_address, layout_view, stream_handle, tensor_view

_poison_outputs = False


@contextlib.contextmanager
def poisoned_outputs() -> Iterator[None]:
    """Within this context outputs start as NaN instead of uninitialized memory, so an element that a
    kernel forgets to write shows up in a test."""
    global _poison_outputs
    previous, _poison_outputs = _poison_outputs, True
    try:
        yield
    finally:
        _poison_outputs = previous


def new_output(shape, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if _poison_outputs:
        return torch.full(shape, float("nan"), dtype=dtype, device=device)
    return torch.empty(shape, dtype=dtype, device=device)


def forward_output_shapes(q: torch.Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """out ``[B, S, H, D]`` (dtype of q) and lse ``[B, H, S]`` (float32): the fake impl uses these too."""
    if q.dim() != 4:
        raise ValueError(f"q: expected rank 4 [B, S, H, D], got shape {list(q.shape)}")
    b, s, h, _ = q.shape
    return tuple(q.shape), (b, h, s)


def _device_guard(t: torch.Tensor):
    return torch.cuda.device(t.device) if t.device.type == "cuda" else contextlib.nullcontext()


def _use_reference(q: torch.Tensor) -> bool:
    return q.dtype == torch.float64 and q.device.type == "cpu"


def schedule_size(row_offsets: torch.Tensor, col_indices: torch.Tensor) -> int:
    """Entries of a two-pass plan (radial/two_pass_plans.hpp) for this layout: 3 nb + 2 + nnz."""
    return 3 * (row_offsets.shape[0] - 1) + 2 + col_indices.shape[0]


def attention_forward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    row_offsets: torch.Tensor,
    col_indices: torch.Tensor,
    col_offsets: torch.Tensor,
    row_indices: torch.Tensor,
    kv_valid_len: Optional[torch.Tensor],
    scale: float,
    block_size: int,
    forward_schedule: Optional[torch.Tensor] = None,
    backward_schedule: Optional[torch.Tensor] = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    out_shape, lse_shape = forward_output_shapes(q)
    # The backward plan rides along for the gradient (ops/autograd.py); checked here, where the call is made.
    index_address("backward_schedule", backward_schedule, q, schedule_size(row_offsets, col_indices))
    out = new_output(out_shape, q.dtype, q.device)
    lse = new_output(lse_shape, torch.float32, q.device)
    args = _C.AttentionForwardArgs(
        tensor_view("q", q), tensor_view("k", k), tensor_view("v", v),
        tensor_view("out", out), tensor_view("lse", lse),
        layout_view(q, row_offsets, col_indices, col_offsets, row_indices, block_size),
        index_address("kv_valid_len", kv_valid_len, q, q.shape[0]),
        scale,
        index_address("forward_schedule", forward_schedule, q, schedule_size(row_offsets, col_indices)),
    )
    if _use_reference(q):
        _C.reference.attention_forward(args)
    else:
        with _device_guard(q):
            _C.attention_forward(args, stream_handle(q))
    return out, lse


def attention_backward(
    dout: torch.Tensor,
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    out: torch.Tensor,
    lse: torch.Tensor,
    row_offsets: torch.Tensor,
    col_indices: torch.Tensor,
    col_offsets: torch.Tensor,
    row_indices: torch.Tensor,
    kv_valid_len: Optional[torch.Tensor],
    scale: float,
    block_size: int,
    deterministic: bool,
    backward_schedule: Optional[torch.Tensor] = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    forward_output_shapes(q)  # rank check before q's shape is read
    dq = new_output(q.shape, q.dtype, q.device)
    dk = new_output(k.shape, k.dtype, k.device)
    dv = new_output(v.shape, v.dtype, v.device)
    args = _C.AttentionBackwardArgs(
        tensor_view("q", q), tensor_view("k", k), tensor_view("v", v), tensor_view("out", out),
        tensor_view("dout", dout), tensor_view("lse", lse),
        tensor_view("dq", dq), tensor_view("dk", dk), tensor_view("dv", dv),
        layout_view(q, row_offsets, col_indices, col_offsets, row_indices, block_size),
        index_address("kv_valid_len", kv_valid_len, q, q.shape[0]),
        scale,
        deterministic,
        index_address("backward_schedule", backward_schedule, q, schedule_size(row_offsets, col_indices)),
    )
    if _use_reference(q):
        _C.reference.attention_backward(args)
        return dq, dk, dv
    with _device_guard(q):
        workspace_bytes = _C.attention_backward_workspace_bytes(args)
        # PyTorch's caching allocator makes this per-call workspace cheap (no cudaMalloc after warm-up).
        workspace = torch.empty(workspace_bytes, dtype=torch.uint8, device=q.device) if workspace_bytes else None
        args.set_workspace(workspace.data_ptr() if workspace is not None else 0, workspace_bytes)
        _C.attention_backward(args, stream_handle(q))
    return dq, dk, dv
