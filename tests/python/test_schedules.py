"""A radial mask's two-pass plans (RadialMask.forward_schedule, .backward_schedule): carried by the mask,
taken by the operators, and the same attention and gradients with or without them.
RADIAL_CUDA_FORWARD_SCHEDULE=always and RADIAL_CUDA_BACKWARD_SCHEDULE=always make the Hopper kernels follow
them at these small sizes (they would otherwise keep one pass while one head's K/V fit in L2); the other
backends ignore them."""

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


@pytest.mark.parametrize("kind", ["forward", "backward"])
def test_radial_masks_carry_their_schedules(tmp_path, kind):
    attribute = f"{kind}_schedule"
    plan = getattr(MASK, attribute)
    assert plan.dtype == torch.int32 and plan.shape == (schedule_size(MASK),)
    n = MASK.num_blocks
    near_offsets, far_offsets, far_lines = plan[:n + 1], plan[n + 1:2 * n + 2], plan[2 * n + 2:3 * n + 2]
    assert torch.equal(far_lines.sort().values, torch.arange(n, dtype=torch.int32))
    # Each line's near and far entries are the layout's row (forward) or column (backward), split in two.
    offsets, indices = ((MASK.index.row_offsets, MASK.index.col_indices) if kind == "forward"
                        else (MASK.index.col_offsets, MASK.index.row_indices))
    entries = plan[3 * n + 2:]
    far_of = {int(far_lines[i]): entries[far_offsets[i]:far_offsets[i + 1]] for i in range(n)}
    for line in range(n):
        both = torch.cat([entries[near_offsets[line]:near_offsets[line + 1]], far_of[line]]).sort().values
        assert torch.equal(both, indices[offsets[line]:offsets[line + 1]]), f"{kind} line {line}"
    assert getattr(radial.RadialMask.from_dense(torch.ones(3, 3, dtype=torch.bool), seq_len=300), attribute) is None
    MASK.write(tmp_path / "m.mask")
    assert torch.equal(getattr(radial.read_mask(str(tmp_path / "m.mask")), attribute), plan)
    if cuda_available():
        on_gpu = MASK.to("cuda")
        assert getattr(on_gpu, attribute).is_cuda and torch.equal(getattr(on_gpu, attribute).cpu(), plan)
        assert getattr(MASK.to("cuda"), attribute) is getattr(on_gpu, attribute)  # uploaded once


def test_the_sink_makes_the_two_plans_differ():
    # Frames of whole blocks without the sink give a symmetric mask, whose two plans coincide; with the
    # sink, frame 0's key blocks are near for every query block but not the other way round.
    for sink in (False, True):
        m = radial.mask(frames=12, tokens_per_frame=256, text_tokens=0, decay=1.0, sink=sink)
        symmetric = (torch.equal(m.index.row_offsets, m.index.col_offsets)
                     and torch.equal(m.index.col_indices, m.index.row_indices))
        assert symmetric == (not sink)
        assert torch.equal(m.forward_schedule, m.backward_schedule) == (not sink)


@pytest.mark.parametrize("with_valid_len", [False, True], ids=["all-keys", "kv_valid_len"])
def test_same_attention_with_and_without_the_schedules(device, native_dtype, generator, with_valid_len, monkeypatch):
    monkeypatch.setenv("RADIAL_CUDA_FORWARD_SCHEDULE", "always")
    monkeypatch.setenv("RADIAL_CUDA_BACKWARD_SCHEDULE", "always")
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
    # The backward: radial.attention's (the schedules ride along as non-differentiable inputs), and the
    # operator's with and without the backward plan.
    dout = torch.randn(out_two.shape, generator=generator).to(device, native_dtype)
    reference_grads = torch.autograd.grad(expected, (q, k, v), dout.double())
    operands = (dout, q.detach(), k.detach(), v.detach(), out_one, lse_one, *mask.index, kv_valid_len, 0.125, 128,
                False)
    with poisoned_outputs():
        candidates = {
            "radial.attention": torch.autograd.grad(through_api, (q, k, v), dout),
            "two passes": radial.ops.attention_backward(*operands, mask.backward_schedule),
            "one pass": radial.ops.attention_backward(*operands),
        }
    for label, grads in candidates.items():
        for name, actual, reference in zip(("dq", "dk", "dv"), grads, reference_grads):
            assert_close(f"{name} ({label})", actual, reference, native_dtype, factor=2.0)


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
    # The backward plan: checked by the forward, which hands it to the gradient, and by the backward.
    backward_plan = MASK.backward_schedule
    expected = rf"^backward_schedule: expected shape \[{backward_plan.numel()}\], got \[{backward_plan.numel() - 1}\]"
    with pytest.raises(ValueError, match=expected):
        radial.ops.attention_forward(q, k, v, *MASK.index, None, 0.1, 128, plan, backward_plan[:-1])
    out, lse = radial.ops.attention_forward(q, k, v, *MASK.index, None, 0.1, 128)
    with pytest.raises(ValueError, match=expected):
        radial.ops.attention_backward(out, q, k, v, out, lse, *MASK.index, None, 0.1, 128, False, backward_plan[:-1])
    with pytest.raises(TypeError, match=r"^backward_schedule: expected dtype torch.int32, got torch.int64"):
        radial.ops.attention_backward(out, q, k, v, out, lse, *MASK.index, None, 0.1, 128, False, backward_plan.long())
