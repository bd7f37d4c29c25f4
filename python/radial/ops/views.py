"""PyTorch tensors as the core's raw views: address, dtype name, shape, strides, device."""

from __future__ import annotations

from typing import Optional

import torch

from radial._ext import _C

_DTYPE_NAMES = {
    torch.float32: "f32",
    torch.float16: "f16",
    torch.bfloat16: "bf16",
    torch.float64: "f64",
    torch.int32: "i32",
}


def tensor_view(name: str, t: torch.Tensor) -> "_C.TensorView":
    dtype = _DTYPE_NAMES.get(t.dtype)
    if dtype is None:
        raise TypeError(f"{name}: expected dtype float32, bfloat16, float16 or float64, got {t.dtype}")
    if t.dim() > 4:
        raise ValueError(f"{name}: expected rank 4 [B, S, H, D], got rank {t.dim()}")
    index = 0 if t.device.type == "cpu" else t.device.index
    return _C.TensorView(t.data_ptr(), dtype, list(t.shape), list(t.stride()), t.device.type, index)


def index_address(name: str, t: Optional[torch.Tensor], q: torch.Tensor, length: Optional[int] = None) -> int:
    """The address of a 1-d int32 index tensor on q's device (0 for None)."""
    if t is None:
        return 0
    if t.dtype != torch.int32:
        raise TypeError(f"{name}: expected dtype torch.int32, got {t.dtype}")
    if t.dim() != 1:
        raise ValueError(f"{name}: expected rank 1, got shape {list(t.shape)}")
    if length is not None and t.shape[0] != length:
        raise ValueError(f"{name}: expected shape [{length}], got {list(t.shape)}")
    if t.device != q.device:
        raise ValueError(f"{name}: expected device {q.device} like q, got {t.device}")
    if t.numel() and t.stride(0) != 1:
        raise ValueError(f"{name}: expected a contiguous tensor, got stride {t.stride(0)}")
    return t.data_ptr()


def layout_view(
    q: torch.Tensor,
    row_offsets: torch.Tensor,
    col_indices: torch.Tensor,
    col_offsets: torch.Tensor,
    row_indices: torch.Tensor,
    block_size: int,
) -> "_C.BlockSparseView":
    """The block-sparse layout over q's sequence (q of rank 4); the core checks it against ``S``."""
    row_offsets_address = index_address("row_offsets", row_offsets, q)
    col_indices_address = index_address("col_indices", col_indices, q)
    num_blocks = row_offsets.shape[0] - 1
    return _C.BlockSparseView(
        q.shape[1],
        num_blocks,
        block_size,
        row_offsets_address,
        col_indices_address,
        index_address("col_offsets", col_offsets, q, num_blocks + 1),
        index_address("row_indices", row_indices, q, col_indices.shape[0]),
    )


def stream_handle(t: torch.Tensor) -> int:
    """The current CUDA stream of t's device (0 on the CPU): kernels run in PyTorch's stream order."""
    if t.device.type == "cuda":
        return torch.cuda.current_stream(t.device).cuda_stream
    return 0
