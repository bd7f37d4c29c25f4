"""Every argument error of radial.attention: ValueError / TypeError whose text names the argument,
what was expected and what came in (the core's ArgumentError text where the core checks it)."""

from __future__ import annotations

import pytest
import torch

import radial

S, B, H, D = 300, 2, 2, 32


def inputs(device="cpu", dtype=torch.float32, shape=(B, S, H, D)):
    g = torch.Generator().manual_seed(7)
    return [torch.randn(shape, generator=g).to(device, dtype) for _ in range(3)]


MASK = radial.mask(frames=3, tokens_per_frame=100)


def call(q=None, k=None, v=None, mask=MASK, **kwargs):
    dq, dk, dv = inputs()
    return radial.attention(dq if q is None else q, dk if k is None else k, dv if v is None else v, mask, **kwargs)


def test_rank():
    q, k, v = inputs()
    with pytest.raises(ValueError, match=r"^q: expected rank 4 \[B, S, H, D\], got shape \[2, 300, 64\]"):
        radial.attention(q.flatten(2), k, v, MASK)
    with pytest.raises(ValueError, match=r"^k: expected rank 4"):
        radial.attention(q, k.flatten(2), v, MASK)


def test_mismatched_shapes():
    q, k, v = inputs()
    with pytest.raises(ValueError, match=r"^v: expected shape \[2, 300, 2, 32\] like q, got \[2, 300, 1, 32\]"):
        radial.attention(q, k, v[:, :, :1], MASK)


def test_dtype_mismatch_is_a_type_error():
    q, k, v = inputs()
    with pytest.raises(TypeError, match=r"^k: expected dtype f32 like q, got bf16"):
        radial.attention(q, k.bfloat16(), v, MASK)


def test_unsupported_dtype():
    q, k, v = inputs()
    with pytest.raises(TypeError, match=r"^q: expected dtype"):
        radial.attention(q.long(), k.long(), v.long(), MASK)


def test_not_a_tensor():
    q, k, v = inputs()
    with pytest.raises(TypeError, match=r"^v: expected a tensor"):
        radial.attention(q, k, v.tolist(), MASK)


def test_mixed_devices():
    q, k, v = inputs()
    with pytest.raises(ValueError, match=r"^k: expected device cpu like q, got meta"):
        radial.attention(q, k.to("meta"), v, MASK)
    with pytest.raises(ValueError, match=r"^kv_valid_len: expected device cpu like q, got meta"):
        radial.attention(q, k, v, MASK, kv_valid_len=torch.full((B,), S, dtype=torch.int32, device="meta"))


@pytest.mark.parametrize("head_dim", [12, 512])
def test_unsupported_head_dim(head_dim):
    q, k, v = inputs(shape=(B, S, H, head_dim))
    with pytest.raises(ValueError, match=rf"^q: expected head dim a multiple of 8 up to 256, got {head_dim}"):
        radial.attention(q, k, v, MASK)


def test_sequence_does_not_match_mask():
    q, k, v = inputs(shape=(B, S + 1, H, D))
    with pytest.raises(ValueError, match=r"^mask: expected a mask over 301 tokens"):
        radial.attention(q, k, v, MASK)
    with pytest.raises(ValueError, match=r"^mask: expected shape \[3, 3\]"):
        radial.attention(q[:, :S], k[:, :S], v[:, :S], torch.ones(4, 4, dtype=torch.bool))


def test_mask_of_the_wrong_kind():
    with pytest.raises(TypeError, match=r"^mask: expected a RadialMask or a bool tensor"):
        call(mask=[[True]])
    with pytest.raises(TypeError, match=r"^mask: expected dtype torch.bool"):
        call(mask=torch.ones(3, 3))


def test_non_unit_last_stride():
    q, k, v = inputs(shape=(B, S, H, 2 * D))
    with pytest.raises(ValueError, match=r"^q: expected unit stride in the last dimension, got stride 2"):
        radial.attention(q[..., ::2], k[..., :D], v[..., :D], MASK)


@pytest.mark.parametrize("lengths", [[S + 1, S], [S, -1]])
def test_kv_valid_len_out_of_range(lengths):
    with pytest.raises(ValueError, match=rf"^kv_valid_len: expected values in \[0, {S}\]"):
        call(kv_valid_len=torch.tensor(lengths, dtype=torch.int32))


def test_kv_valid_len_shape_and_dtype():
    with pytest.raises(ValueError, match=r"^kv_valid_len: expected shape \[2\], got \[3\]"):
        call(kv_valid_len=torch.full((3,), S, dtype=torch.int32))
    with pytest.raises(TypeError, match=r"^kv_valid_len: expected dtype torch.int32, got torch.int64"):
        call(kv_valid_len=torch.full((B,), S))
    with pytest.raises(TypeError, match=r"^kv_valid_len: expected an int32 tensor \[B\], got list"):
        call(kv_valid_len=[S, S])


@pytest.mark.parametrize("scale", [0.0, -1.0, float("inf")])
def test_bad_scale(scale):
    with pytest.raises(ValueError, match=r"^scale: expected a positive finite softmax scale"):
        call(scale=scale)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_refuses_float32_and_unbuilt_head_dims():
    from devices import cuda_available

    if not cuda_available():
        pytest.skip("radial._C was built without CUDA (RADIAL_CUDA=OFF)")
    q, k, v = inputs("cuda", torch.float32, shape=(B, S, H, 64))
    with pytest.raises((TypeError, ValueError), match=r"q\.dtype: expected bf16 or f16 on the CUDA backend"):
        radial.attention(q, k, v, MASK)
    q, k, v = inputs("cuda", torch.bfloat16, shape=(B, S, H, 80))
    with pytest.raises(ValueError, match=r"head_dim: expected one of 64, 128"):
        radial.attention(q, k, v, MASK)
