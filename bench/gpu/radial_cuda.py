"""Our CUDA forward and the radial mask, from Python, for the GPU scripts.

Uses the ctypes shim (scripts/device/radial_cuda_shim.cpp, built by scripts/device/build_shim.sh) named
by $RADIAL_SHIM. The shim adds no logic: it calls radial::build_radial_mask, BlockSparseLayout and
radial::cuda::attention_forward.
"""
import ctypes
import os

import torch

_DTYPES = {torch.bfloat16: 0, torch.float16: 1}
_lib = None


def _shim():
    global _lib
    if _lib is None:
        path = os.environ.get("RADIAL_SHIM")
        if not path:
            raise RuntimeError("RADIAL_SHIM is unset: build it with scripts/device/build_shim.sh")
        _lib = ctypes.CDLL(path)
        _lib.radial_shim_last_error.restype = ctypes.c_char_p
    return _lib


def _check(status):
    if status != 0:
        raise RuntimeError(_shim().radial_shim_last_error().decode())


def _i64(values):
    return (ctypes.c_int64 * len(values))(*values)


class Layout:
    """A CSR block layout on the GPU: row_offsets (nb + 1) and col_indices (nnz), int32."""

    def __init__(self, row_offsets: torch.Tensor, col_indices: torch.Tensor, seq_len: int):
        self.row_offsets = row_offsets.to(torch.int32).cuda()
        self.col_indices = col_indices.to(torch.int32).cuda()
        self.num_blocks = row_offsets.numel() - 1
        self.seq_len = seq_len
        self.nnz = col_indices.numel()

    @property
    def density(self) -> float:
        return self.nnz / self.num_blocks**2

    @staticmethod
    def from_dense(block_mask: torch.Tensor, seq_len: int) -> "Layout":
        """block_mask: (nb, nb) bool."""
        counts = block_mask.sum(dim=1)
        row_offsets = torch.zeros(block_mask.shape[0] + 1, dtype=torch.int64)
        row_offsets[1:] = torch.cumsum(counts.cpu(), 0)
        col_indices = block_mask.cpu().nonzero()[:, 1]
        return Layout(row_offsets, col_indices, seq_len)

    @staticmethod
    def radial(frames: int, tokens_per_frame: int, text_tokens: int, decay: float, sink: bool) -> "Layout":
        lib = _shim()
        nb, nnz = ctypes.c_int64(), ctypes.c_int64()
        args = (ctypes.c_int64(frames), ctypes.c_int64(tokens_per_frame), ctypes.c_int64(text_tokens),
                ctypes.c_double(decay), ctypes.c_int(int(sink)))
        _check(lib.radial_shim_radial_csr(*args, None, None, ctypes.byref(nb), ctypes.byref(nnz)))
        row_offsets = torch.empty(nb.value + 1, dtype=torch.int32)
        col_indices = torch.empty(nnz.value, dtype=torch.int32)
        _check(lib.radial_shim_radial_csr(*args, ctypes.c_void_p(row_offsets.data_ptr()),
                                          ctypes.c_void_p(col_indices.data_ptr()), ctypes.byref(nb), ctypes.byref(nnz)))
        return Layout(row_offsets, col_indices, frames * tokens_per_frame + text_tokens)

    def dense_bool(self) -> torch.Tensor:
        """(nb, nb) bool on the GPU."""
        rows = torch.repeat_interleave(torch.arange(self.num_blocks, device="cuda"),
                                       (self.row_offsets[1:] - self.row_offsets[:-1]).long())
        dense = torch.zeros(self.num_blocks, self.num_blocks, dtype=torch.bool, device="cuda")
        dense[rows, self.col_indices.long()] = True
        return dense


def radial_schedule(frames: int, tokens_per_frame: int, text_tokens: int, decay: float, sink: bool,
                    near_frames: int = -1, group_frames: int = -1, backward: bool = False) -> torch.Tensor:
    """The two-pass plan of Layout.radial(...)'s mask (radial/two_pass_plans.hpp), int32 on the GPU: the
    forward's, or with backward=True the backward's; near_frames and group_frames below 0 take the library's
    defaults."""
    lib = _shim()
    build = lib.radial_shim_radial_backward_schedule if backward else lib.radial_shim_radial_schedule
    size = ctypes.c_int64()
    args = (ctypes.c_int64(frames), ctypes.c_int64(tokens_per_frame), ctypes.c_int64(text_tokens),
            ctypes.c_double(decay), ctypes.c_int(int(sink)), ctypes.c_int64(near_frames), ctypes.c_int64(group_frames))
    _check(build(*args, None, ctypes.byref(size)))
    plan = torch.empty(size.value, dtype=torch.int32)
    _check(build(*args, ctypes.c_void_p(plan.data_ptr()), ctypes.byref(size)))
    return plan.cuda()


def forward(q, k, v, layout: Layout, scale: float, kv_valid_len=None, out=None, lse=None, schedule=None):
    """q, k, v: (B, S, H, D) bf16/f16 CUDA tensors, unit last stride. Returns out (B, S, H, D), lse (B, H, S).
    schedule: the layout's two-pass plan (radial_schedule) on the GPU, or None for one pass."""
    b, s, h, _ = q.shape
    out = torch.empty_like(q) if out is None else out
    lse = torch.empty(b, h, s, dtype=torch.float32, device=q.device) if lse is None else lse
    strides = list(q.stride()) + list(k.stride()) + list(v.stride()) + list(out.stride())
    stream = torch.cuda.current_stream(q.device).cuda_stream
    kv = ctypes.c_void_p(kv_valid_len.data_ptr()) if kv_valid_len is not None else None
    _check(_shim().radial_shim_forward(
        ctypes.c_void_p(q.data_ptr()), ctypes.c_void_p(k.data_ptr()), ctypes.c_void_p(v.data_ptr()),
        ctypes.c_void_p(out.data_ptr()), ctypes.c_void_p(lse.data_ptr()), ctypes.c_int(_DTYPES[q.dtype]),
        ctypes.c_int(q.device.index or 0), _i64(list(q.shape)), _i64(strides), _i64(list(lse.stride())),
        ctypes.c_void_p(layout.row_offsets.data_ptr()), ctypes.c_void_p(layout.col_indices.data_ptr()),
        ctypes.c_int32(layout.num_blocks), kv, ctypes.c_float(scale),
        ctypes.c_void_p(schedule.data_ptr()) if schedule is not None else None, ctypes.c_void_p(stream)))
    return out, lse
