"""Our CUDA backward from Python, for the GPU scripts, beside radial_cuda's forward and masks.

Uses the ctypes shim named by $RADIAL_SHIM, built by scripts/device/build_backward_shim.sh (which holds
the forward's entry points too). The shim adds no logic: it calls radial::cuda::attention_backward.
"""
import ctypes

import torch

import radial_cuda


class Columns:
    """The CSC half of a layout on the GPU: col_offsets (nb + 1) and row_indices (nnz), int32."""

    def __init__(self, layout: radial_cuda.Layout):
        dense_t = layout.dense_bool().t()  # (key blocks, query blocks)
        counts = dense_t.sum(dim=1)
        self.col_offsets = torch.zeros(layout.num_blocks + 1, dtype=torch.int32, device="cuda")
        self.col_offsets[1:] = torch.cumsum(counts, 0).to(torch.int32)
        self.row_indices = dense_t.nonzero()[:, 1].to(torch.int32).contiguous()


def backward(dout, q, k, v, out, lse, layout: radial_cuda.Layout, columns: Columns, scale: float,
             kv_valid_len=None, deterministic=True, grads=None, schedule=None):
    """All (B, S, H, D) bf16/f16 CUDA tensors, unit last stride; lse (B, H, S) float32. Returns dq, dk, dv.
    schedule: the layout's backward plan (radial_cuda.radial_schedule(..., backward=True)) or None."""
    dq, dk, dv = grads if grads is not None else (torch.empty_like(q), torch.empty_like(k), torch.empty_like(v))
    tensors = (q, k, v, out, dout, dq, dk, dv)
    ptrs = (ctypes.c_void_p * 8)(*[t.data_ptr() for t in tensors])
    strides = radial_cuda._i64([s for t in tensors for s in t.stride()])
    index = (ctypes.c_void_p * 4)(layout.row_offsets.data_ptr(), layout.col_indices.data_ptr(),
                                  columns.col_offsets.data_ptr(), columns.row_indices.data_ptr())
    kv = ctypes.c_void_p(kv_valid_len.data_ptr()) if kv_valid_len is not None else None
    stream = torch.cuda.current_stream(q.device).cuda_stream
    lib = radial_cuda._shim()
    lib.radial_backward_shim_last_error.restype = ctypes.c_char_p
    nbytes = ctypes.c_uint64(0)

    def call(workspace):
        status = lib.radial_shim_backward(
            ptrs, ctypes.c_void_p(lse.data_ptr()), ctypes.c_int(radial_cuda._DTYPES[q.dtype]),
            ctypes.c_int(q.device.index or 0), radial_cuda._i64(list(q.shape)), strides,
            radial_cuda._i64(list(lse.stride())), index, ctypes.c_int32(layout.num_blocks), kv,
            ctypes.c_float(scale), ctypes.c_int(int(deterministic)),
            ctypes.c_void_p(schedule.data_ptr()) if schedule is not None else None, workspace, ctypes.byref(nbytes),
            ctypes.c_void_p(stream))
        if status != 0:
            raise RuntimeError(lib.radial_backward_shim_last_error().decode())

    call(None)  # the workspace size
    workspace = torch.empty(max(nbytes.value, 16), dtype=torch.uint8, device=q.device)
    call(ctypes.c_void_p(workspace.data_ptr()))
    return dq, dk, dv
