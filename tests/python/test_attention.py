"""radial.attention forward and backward against the float64 reference (radial.testing), on every
case of the table, in every dtype, with and without kv_valid_len, outputs poisoned with NaN."""

from __future__ import annotations

import pytest
import torch

import radial
from radial.testing import poisoned_outputs, reference_attention

from attention_cases import CASES, make_qkv, random_valid_len
from devices import skip_unless_supported
from numerics import assert_close

DTYPES = [torch.float32, torch.bfloat16, torch.float16]


@pytest.mark.parametrize("with_valid_len", [False, True], ids=["all-keys", "kv_valid_len"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_and_backward_match_reference(case, dtype, with_valid_len, device, generator):
    skip_unless_supported(device, dtype)
    mask = case.make_mask(generator)
    q, k, v = make_qkv(case, dtype, device, generator)
    kv_valid_len = random_valid_len(case, generator, device) if with_valid_len else None
    with poisoned_outputs():
        out = radial.attention(q, k, v, mask, kv_valid_len=kv_valid_len)
        dout = torch.randn(out.shape, generator=generator, dtype=torch.float64).to(device, dtype)
        dq, dk, dv = torch.autograd.grad(out, (q, k, v), dout)
    assert out.dtype == dtype and out.shape == q.shape and out.device == q.device
    expected, _ = reference_attention(q, k, v, mask, kv_valid_len=kv_valid_len)
    assert_close("out", out, expected, dtype)
    grads = torch.autograd.grad(expected, (q, k, v), dout.double())
    for name, actual, reference in zip(("dq", "dk", "dv"), (dq, dk, dv), grads):
        assert actual.dtype == dtype
        # Gradients pass through a second rounding of dout and out: twice the forward's budget.
        assert_close(name, actual, reference, dtype, factor=2.0)


def test_lse_and_empty_rows(device, native_dtype, generator):
    # Block row 1 keeps nothing, and batch 1 has no valid key at all: out = 0, lse = -inf, zero grads.
    dense = torch.tensor([[True, True, False], [False, False, False], [True, False, True]])
    shape = (2, 300, 2, 64)
    q, k, v = (torch.randn(shape, generator=generator).to(device, native_dtype).requires_grad_() for _ in range(3))
    kv_valid_len = torch.tensor([300, 0], dtype=torch.int32, device=device)
    layout = radial.RadialMask.from_dense(dense, seq_len=300).to(device)
    with poisoned_outputs():
        out, lse = radial.ops.attention_forward(q, k, v, *layout.index, kv_valid_len, 0.25, 128)
    expected_out, expected_lse = reference_attention(q, k, v, dense, kv_valid_len=kv_valid_len, scale=0.25)
    assert_close("out", out, expected_out, native_dtype)
    assert lse.dtype == torch.float32 and lse.shape == (2, 2, 300)
    finite = torch.isfinite(expected_lse)
    assert torch.equal(torch.isfinite(lse).cpu(), finite.cpu())
    assert torch.all(lse.cpu()[~finite.cpu()] == float("-inf"))
    assert_close("lse", lse.cpu()[finite.cpu()], expected_lse.cpu()[finite.cpu()], torch.float32)
    assert torch.all(out[:, 128:256] == 0) and torch.all(out[1] == 0)
    dq, dk, dv = torch.autograd.grad(out, (q, k, v), torch.randn_like(out))
    assert torch.all(dq[1] == 0) and torch.all(dk[1] == 0) and torch.all(dv[1] == 0)
    assert torch.all(dq[:, 128:256] == 0)


def test_any_strides_with_unit_last_dimension(device, native_dtype, generator):
    b, s, h, d = 2, 260, 3, 64
    mask = radial.mask(frames=2, tokens_per_frame=130)
    # q stored [B, H, S, D]; k and v slices of one packed [B, S, 2, H, D] buffer.
    q_bhsd = torch.randn(b, h, s, d, generator=generator).to(device, native_dtype).requires_grad_()
    kv = torch.randn(b, s, 2, h, d, generator=generator).to(device, native_dtype).requires_grad_()
    q, k, v = q_bhsd.transpose(1, 2), kv[:, :, 0], kv[:, :, 1]
    assert not q.is_contiguous() and not k.is_contiguous()
    out = radial.attention(q, k, v, mask)
    expected, _ = reference_attention(q, k, v, mask)
    assert_close("out", out, expected, native_dtype)
    dout = torch.randn(out.shape, generator=generator).to(device, native_dtype)
    actual = torch.autograd.grad(out, (q_bhsd, kv), dout)
    reference = torch.autograd.grad(expected, (q_bhsd, kv), dout.double())
    for name, a, r in zip(("dq", "dkv"), actual, reference):
        assert_close(name, a, r, native_dtype, factor=2.0)


def test_scale_argument(device, native_dtype, generator):
    mask = radial.mask(frames=3, tokens_per_frame=100, text_tokens=20)
    q, k, v = (torch.randn(1, 320, 2, 64, generator=generator).to(device, native_dtype) for _ in range(3))
    out = radial.attention(q, k, v, mask, scale=0.03)
    assert_close("out", out, reference_attention(q, k, v, mask, scale=0.03)[0], native_dtype)


def test_no_grad_and_inference_mode(device, native_dtype, generator):
    mask = radial.mask(frames=2, tokens_per_frame=128)
    q, k, v = (torch.randn(1, 256, 2, 64, generator=generator).to(device, native_dtype).requires_grad_()
               for _ in range(3))
    with torch.no_grad():
        out = radial.attention(q, k, v, mask)
    assert out.grad_fn is None and not out.requires_grad
    with torch.inference_mode():
        again = radial.attention(q, k, v, mask)
    assert torch.equal(out, again)


def test_autocast(device, generator):
    dtype = torch.bfloat16
    mask = radial.mask(frames=3, tokens_per_frame=90, sink=True)
    q, k, v = (torch.randn(1, 270, 2, 64, generator=generator).to(device).requires_grad_() for _ in range(3))
    with torch.autocast(device.type, dtype=dtype):
        out = radial.attention(q, k, v, mask)
    assert out.dtype == dtype
    expected, _ = reference_attention(q.to(dtype), k.to(dtype), v.to(dtype), mask)
    assert_close("out", out, expected, dtype)
    out.float().sum().backward()
    assert q.grad.dtype == torch.float32 and torch.isfinite(q.grad).all()


def test_bool_mask_equals_radial_mask(device, native_dtype, generator):
    mask = radial.mask(frames=4, tokens_per_frame=77, text_tokens=9, sink=True)
    q, k, v = (torch.randn(1, mask.seq_len, 1, 64, generator=generator).to(device, native_dtype) for _ in range(3))
    assert torch.equal(radial.attention(q, k, v, mask), radial.attention(q, k, v, mask.dense().to(device)))


def test_gradcheck_float64_through_reference():
    # float64 on the CPU runs the float64 reference behind the same operators: gradcheck checks the
    # autograd wiring (argument order, saved tensors, the backward operator) exactly.
    generator = torch.Generator().manual_seed(1234)
    dense = torch.tensor([[True, False], [True, True]])
    q, k, v = (torch.randn(2, 131, 1, 8, generator=generator, dtype=torch.float64).requires_grad_() for _ in range(3))
    kv_valid_len = torch.tensor([131, 100], dtype=torch.int32)
    assert torch.autograd.gradcheck(
        lambda q, k, v: radial.attention(q, k, v, dense, kv_valid_len=kv_valid_len), (q, k, v), atol=1e-6,
        fast_mode=True,  # random projections of the Jacobian: the full one takes ~25 s on 2 cores
    )


def test_the_two_float64_oracles_agree(generator):
    # The C++ float64 reference (behind the operators for float64) and radial.testing's PyTorch one.
    mask = radial.mask(frames=3, tokens_per_frame=70, text_tokens=11, sink=True)
    q, k, v = (torch.randn(2, mask.seq_len, 3, 24, generator=generator, dtype=torch.float64) for _ in range(3))
    kv_valid_len = torch.tensor([mask.seq_len, 150], dtype=torch.int32)
    # The core takes the scale as float32: pick one that float32 holds exactly.
    out = radial.attention(q, k, v, mask, kv_valid_len=kv_valid_len, scale=0.25)
    expected, _ = reference_attention(q, k, v, mask, kv_valid_len=kv_valid_len, scale=0.25)
    assert_close("out", out, expected, torch.float64)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_runs_on_the_current_stream(generator):
    from devices import cuda_available

    if not cuda_available():
        pytest.skip("radial._C was built without CUDA (RADIAL_CUDA=OFF)")
    mask = radial.mask(frames=4, tokens_per_frame=200, sink=True).to("cuda")
    q, k, v = (torch.randn(1, 800, 4, 64, generator=generator).cuda().bfloat16() for _ in range(3))
    expected = radial.attention(q, k, v, mask)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        out = radial.attention(q, k, v, mask)
    torch.cuda.current_stream().wait_stream(side)
    assert torch.equal(out, expected)
