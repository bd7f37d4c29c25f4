"""Wan2.1 / Wan2.2 self-attention (each block's ``attn1``, T2V and I2V alike): video tokens only,
frame-major, rotary embedding on the full sequence; text and image go through ``attn2``, untouched."""

from __future__ import annotations

from typing import Optional

import torch

from radial.diffusers.processors import base
from radial.diffusers.processors.rotary import rotate_pairs


class WanRadialProcessor(base.RadialProcessor):
    def __call__(
        self,
        attn,
        hidden_states: torch.Tensor,
        encoder_hidden_states: Optional[torch.Tensor] = None,
        attention_mask: Optional[torch.Tensor] = None,
        rotary_emb: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
    ) -> torch.Tensor:
        if self.uses_dense():
            return self.original(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb)
        return self.radial(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb)

    def radial(self, attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb) -> torch.Tensor:
        """hidden_states ``[B, S, C]`` (``S = F * T`` video tokens) -> ``[B, S, C]``."""
        if encoder_hidden_states is not None or attention_mask is not None:
            raise ValueError("radial: Wan self-attention (attn1) expects no encoder_hidden_states and no"
                             " attention_mask; radial replaces self-attention only")
        ulysses = self.ulysses_group()
        if attn.fused_projections:
            query, key, value = attn.to_qkv(hidden_states).chunk(3, dim=-1)  # (B, S, H*D) each
        else:
            query, key, value = attn.to_q(hidden_states), attn.to_k(hidden_states), attn.to_v(hidden_states)
        # Wan normalizes q and k across all heads, before splitting them.
        query, key = attn.norm_q(query), attn.norm_k(key)
        query, key, value = (t.unflatten(2, (attn.heads, -1)) for t in (query, key, value))  # (B, S, H, D)
        if rotary_emb is not None:
            freqs_cos, freqs_sin = rotary_emb  # (1, S, 1, D) each, pairs repeated
            cos, sin = freqs_cos[..., 0::2], freqs_sin[..., 1::2]  # (1, S, 1, D/2)
            query, key = rotate_pairs(query, cos, sin), rotate_pairs(key, cos, sin)

        if ulysses is not None:  # diffusers' Wan plan split the sequence: (B, S / P, H, D) here
            out = base.sequence_parallel_attention(query, key, value, self.run, ulysses)
        else:
            out = base.sparse_attention(query, key, value, self.run.require_mask(query.shape[1]))  # (B, S, H, D)
        out = out.flatten(2, 3).type_as(query)  # (B, S, H*D)
        out = attn.to_out[0](out)
        return attn.to_out[1](out)
