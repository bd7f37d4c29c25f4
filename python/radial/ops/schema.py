"""The one schema table of the ``radial::`` operators.

Shapes (B batch, S sequence, H heads, D head dim, nb = ceil(S / block_size), nnz kept blocks):
  q, k, v, out, dout, dq, dk, dv: [B, S, H, D], any strides with a unit last dimension; out/dq/dk/dv
                                  come back contiguous in the dtype of q/k/v
  lse:                            [B, H, S] float32, natural-log log-sum-exp per query row
  row_offsets, col_offsets:       [nb + 1] int32 (CSR rows; CSC columns)
  col_indices, row_indices:       [nnz] int32
  kv_valid_len:                   [B] int32 or None; keys at positions >= kv_valid_len[b] get no weight
  forward_schedule:               [3 nb + 2 + nnz] int32 or None: a radial mask's two-pass plan
                                  (RadialMask.forward_schedule), which the Hopper forward follows at long
                                  lengths; the result is the same either way
  backward_schedule:              [3 nb + 2 + nnz] int32 or None: the same mask's plan over its columns
                                  (RadialMask.backward_schedule), which the Hopper backward's dK/dV kernel
                                  follows at long lengths in the default mode; the forward takes it only
                                  to hand it to its gradient
"""

NAMESPACE = "radial"

SCHEMAS: dict[str, str] = {
    "attention_forward": (
        "(Tensor q, Tensor k, Tensor v, Tensor row_offsets, Tensor col_indices, Tensor col_offsets,"
        " Tensor row_indices, Tensor? kv_valid_len, float scale, int block_size,"
        " Tensor? forward_schedule=None, Tensor? backward_schedule=None) -> (Tensor out, Tensor lse)"
    ),
    "attention_backward": (
        "(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor row_offsets,"
        " Tensor col_indices, Tensor col_offsets, Tensor row_indices, Tensor? kv_valid_len, float scale,"
        " int block_size, bool deterministic, Tensor? backward_schedule=None) -> (Tensor dq, Tensor dk, Tensor dv)"
    ),
}
