"""One case table for the attention tests: shapes with tails, odd head counts, text and no text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

import radial


@dataclass(frozen=True)
class Case:
    name: str
    batch: int
    heads: int
    head_dim: int
    frames: int = 0  # > 0: a radial mask over frames x tokens_per_frame (+ text)
    tokens_per_frame: int = 0
    text_tokens: int = 0
    sink: bool = False
    seq_len: int = 0  # with frames == 0: a random block mask over seq_len tokens
    density: float = 0.5

    def make_mask(self, generator: torch.Generator):
        if self.frames:
            return radial.mask(frames=self.frames, tokens_per_frame=self.tokens_per_frame,
                               text_tokens=self.text_tokens, sink=self.sink)
        nb = -(-self.seq_len // 128)
        dense = torch.rand(nb, nb, generator=generator) < self.density
        dense[0, 1:] = False  # one row with a single block, one ...
        if nb > 2:
            dense[1, :] = False  # ... that is empty: its queries get zeros
        return dense

    def total_len(self) -> int:
        return self.frames * self.tokens_per_frame + self.text_tokens if self.frames else self.seq_len


CASES = [
    Case("radial-sink-tail", batch=2, heads=3, head_dim=64, frames=5, tokens_per_frame=64, sink=True),
    Case("radial-text", batch=1, heads=2, head_dim=128, frames=4, tokens_per_frame=100, text_tokens=37),
    Case("random-one-token-tail", batch=2, heads=1, head_dim=64, seq_len=3 * 128 + 1),
    Case("random-whole-blocks", batch=1, heads=5, head_dim=64, seq_len=4 * 128, density=0.6),
]


def make_qkv(case: Case, dtype: torch.dtype, device, generator: torch.Generator, scale: float = 2.5):
    """Seeded q, k, v [B, S, H, D] at a non-unit scale, on device, requiring grad."""
    shape = (case.batch, case.total_len(), case.heads, case.head_dim)
    tensors = [(torch.randn(shape, generator=generator, dtype=torch.float64) * scale) for _ in range(3)]
    return [t.to(device=device, dtype=dtype).requires_grad_() for t in tensors]


def random_valid_len(case: Case, generator: torch.Generator, device) -> Optional[torch.Tensor]:
    s = case.total_len()
    lengths = torch.randint(1, s + 1, (case.batch,), generator=generator, dtype=torch.int32)
    lengths[0] = s - 1 if s > 1 else s  # drop exactly one key in the first batch entry
    return lengths.to(device)
