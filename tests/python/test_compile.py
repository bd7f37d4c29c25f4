"""The operators under torch.library's checks (schema, fake, autograd registration, AOT dispatch) and
torch.compile(fullgraph=True) of a model that calls radial.attention, with gradients equal to eager."""

from __future__ import annotations

import pytest
import torch

import radial

B, S, H, D = 2, 300, 2, 64


def layout_args(device, text_tokens=0):
    mask = radial.mask(frames=3, tokens_per_frame=100 - text_tokens // 3, text_tokens=text_tokens).to(device)
    return mask, tuple(mask.index)


@pytest.mark.parametrize("with_valid_len", [False, True], ids=["all-keys", "kv_valid_len"])
def test_opcheck_forward(device, native_dtype, generator, with_valid_len):
    _, index = layout_args(device)
    q, k, v = (torch.randn(B, S, H, D, generator=generator).to(device, native_dtype).requires_grad_()
               for _ in range(3))
    kv_valid_len = torch.tensor([S, 171], dtype=torch.int32, device=device) if with_valid_len else None
    torch.library.opcheck(torch.ops.radial.attention_forward.default, (q, k, v, *index, kv_valid_len, 0.2, 128))


def test_opcheck_backward(device, native_dtype, generator):
    _, index = layout_args(device)
    q, k, v, dout = (torch.randn(B, S, H, D, generator=generator).to(device, native_dtype) for _ in range(4))
    out, lse = torch.ops.radial.attention_forward(q, k, v, *index, None, 0.2, 128)
    torch.library.opcheck(
        torch.ops.radial.attention_backward.default, (dout, q, k, v, out, lse, *index, None, 0.2, 128, False)
    )


class TinyBlock(torch.nn.Module):
    """Projections around radial attention, as in a transformer block."""

    def __init__(self, mask: radial.RadialMask):
        super().__init__()
        self.mask = mask
        self.qkv = torch.nn.Linear(H * D, 3 * H * D)
        self.proj = torch.nn.Linear(H * D, H * D)

    def forward(self, x: torch.Tensor, kv_valid_len: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).unflatten(-1, (3, H, D)).unbind(2)  # each (B, S, H, D), strided
        out = radial.attention(q, k, v, self.mask, kv_valid_len=kv_valid_len)
        return self.proj(out.flatten(2)) + x


@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
def test_compile_fullgraph_matches_eager(device, native_dtype, backend):
    torch.manual_seed(3)
    mask, _ = layout_args(device, text_tokens=30)
    model = TinyBlock(mask).to(device, native_dtype)
    x = torch.randn(B, S, H * D, device=device, dtype=native_dtype)
    kv_valid_len = torch.tensor([S, 250], dtype=torch.int32, device=device)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, backend=backend)

    def run(m):
        model.zero_grad(set_to_none=True)
        xin = x.clone().requires_grad_()
        out = m(xin, kv_valid_len)
        out.square().mean().backward()
        return out, xin.grad, [p.grad for p in model.parameters()]

    eager_out, eager_dx, eager_grads = run(model)
    compiled_out, compiled_dx, compiled_grads = run(compiled)
    # Inductor may fuse the projections differently: in bf16 that moves a rounding or two.
    tol = dict(rtol=1e-5, atol=1e-6) if native_dtype == torch.float32 else dict(rtol=2e-2, atol=2e-2)
    torch.testing.assert_close(compiled_out, eager_out, **tol)
    torch.testing.assert_close(compiled_dx, eager_dx, **tol)
    for a, e in zip(compiled_grads, eager_grads):
        torch.testing.assert_close(a, e, **tol)
