"""A radial mask's two-pass forward plan (RadialMask.forward_schedule): carried by the mask, taken by the
operator, and the same attention with or without it. RADIAL_CUDA_FORWARD_SCHEDULE=always makes the Hopper
forward follow it at these small sizes (it would otherwise keep one pass while one head's K/V fit in L2); the other
backends ignore it."""

from __future__ import annotations

import pytest
import torch

import radial
from radial.testing import poisoned_outputs, reference_attention

from devices import cuda_available
from numerics import assert_close

# 12 frames of 300 tokens (frames cross block edges), 45 text tokens, a partial last block, the sink.
MASK = radial.mask(frames=12, tokens_per_frame=300, text_tokens=45, decay=1.0, sink=True)


def schedule_size(mask: radial.RadialMask) -> int:
    return 3 * mask.num_blocks + 2 + mask.index.col_indices.numel()


def test_radial_masks_carry_their_schedule(tmp_path):
    plan = MASK.forward_schedule
    assert plan.dtype == torch.int32 and plan.shape == (schedule_size(MASK),)
    n = MASK.num_blocks
    far_rows = plan[2 * n + 2:3 * n + 2]
    assert torch.equal(far_rows.sort().values, torch.arange(n, dtype=torch.int32))
    assert radial.RadialMask.from_dense(torch.ones(3, 3, dtype=torch.bool), seq_len=300).forward_schedule is None
    MASK.write(tmp_path / "m.mask")
    assert torch.equal(radial.read_mask(str(tmp_path / "m.mask")).forward_schedule, plan)
    if cuda_available():
        on_gpu = MASK.to("cuda")
        assert on_gpu.forward_schedule.is_cuda and torch.equal(on_gpu.forward_schedule.cpu(), plan)
        assert MASK.to("cuda").forward_schedule is on_gpu.forward_schedule  # uploaded once


@pytest.mark.parametrize("with_valid_len", [False, True], ids=["all-keys", "kv_valid_len"])
def test_same_attention_with_and_without_the_schedule(device, native_dtype, generator, with_valid_len, monkeypatch):
    monkeypatch.setenv("RADIAL_CUDA_FORWARD_SCHEDULE", "always")
    mask = MASK.to(device)
    shape = (2, mask.seq_len, 2, 64)
    q, k, v = (torch.randn(shape, generator=generator).mul(1.5).to(device, native_dtype).requires_grad_()
               for _ in range(3))
    kv_valid_len = (torch.tensor([mask.seq_len, 1000], dtype=torch.int32, device=device) if with_valid_len
                    else None)
    with poisoned_outputs():
        out_two, lse_two = radial.ops.attention_forward(q, k, v, *mask.index, kv_valid_len, 0.125, 128,
                                                        mask.forward_schedule)
        out_one, lse_one = radial.ops.attention_forward(q, k, v, *mask.index, kv_valid_len, 0.125, 128)
        through_api = radial.attention(q, k, v, mask, kv_valid_len=kv_valid_len, scale=0.125)
    expected, expected_lse = reference_attention(q, k, v, mask, kv_valid_len=kv_valid_len, scale=0.125)
    for name, out in (("two passes", out_two), ("one pass", out_one), ("radial.attention", through_api)):
        assert_close(f"out ({name})", out, expected, native_dtype)
    for name, lse in (("two passes", lse_two), ("one pass", lse_one)):
        assert_close(f"lse ({name})", lse, expected_lse, torch.float32)
    # The backward of radial.attention (the schedule rides along as a non-differentiable input).
    dout = torch.randn(out_two.shape, generator=generator).to(device, native_dtype)
    grads = torch.autograd.grad(through_api, (q, k, v), dout)
    reference_grads = torch.autograd.grad(expected, (q, k, v), dout.double())
    for name, actual, reference in zip(("dq", "dk", "dv"), grads, reference_grads):
        assert_close(name, actual, reference, native_dtype, factor=2.0)


def test_schedule_errors():
    q, k, v = (torch.randn(1, MASK.seq_len, 1, 32) for _ in range(3))
    plan = MASK.forward_schedule
    expected = rf"^forward_schedule: expected shape \[{plan.numel()}\], got \[{plan.numel() - 1}\]"
    with pytest.raises(ValueError, match=expected):
        radial.ops.attention_forward(q, k, v, *MASK.index, None, 0.1, 128, plan[:-1])
    with pytest.raises(TypeError, match=r"^forward_schedule: expected dtype torch.int32, got torch.int64"):
        radial.ops.attention_forward(q, k, v, *MASK.index, None, 0.1, 128, plan.long())
    if cuda_available():
        with pytest.raises(ValueError, match=r"^forward_schedule: expected device cpu like q, got cuda"):
            radial.ops.attention_forward(q, k, v, *MASK.index, None, 0.1, 128, plan.cuda())
