"""Mochi 1 joint self-attention over video then text.

The stock processor loops over the batch: per element it keeps only the valid text tokens (in order),
attends over video + valid text, and pads the output with zeros. Radial does the same for the whole
batch at once: a stable sort moves each element's valid text tokens to the front of its text (the
identity for the usual prefix mask), a per-batch valid key length hides the rest, and the outputs of
the padded text rows are zeroed. No host synchronisation, so it also traces under ``torch.compile``.

Under diffusers' context parallelism with radial's plan (:func:`radial.diffusers.context_parallel_plan`)
each rank holds a video shard and the whole text; dense layers and steps then take the same Ulysses
path with an all-ones mask, since the stock processor attends over its local tokens only.
"""

from __future__ import annotations

from typing import Optional

import torch

from radial.diffusers.processors import base
from radial.diffusers.processors.joint_parallel import dense_mask, joint_sequence_parallel_attention
from radial.diffusers.processors.rotary import rotate_pairs


def valid_text_first(text_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """text_mask ``[B, N]`` (bool or 0/1) -> (order int64 ``[B, N]``: valid text positions first, in
    their order; valid int32 ``[B]``: how many are valid)."""
    valid = text_mask.bool()
    order = torch.sort((~valid).to(torch.uint8), dim=1, stable=True).indices
    return order, valid.sum(dim=1, dtype=torch.int32)


def gather_tokens(x: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """x ``[B, N, H, D]`` reordered along N by order ``[B, N]``."""
    return torch.gather(x, 1, order[:, :, None, None].expand_as(x))


class MochiRadialProcessor(base.RadialProcessor):
    def __call__(
        self,
        attn,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        attention_mask: torch.Tensor,
        image_rotary_emb: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.uses_dense() and self.ulysses_group() is None:
            return self.original(attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb)
        return self.radial(attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb)

    def radial(self, attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb):
        """hidden_states ``[B, V, C]`` (``V = F * T``), encoder_hidden_states ``[B, N, C_text]``,
        attention_mask ``[B, N]`` over the text -> ``([B, V, C], [B, N, C_text])``. Under context
        parallelism hidden_states and the output's video are this rank's shard ``[B, V / P, C]`` and the
        rotary embedding is sharded alike."""
        ulysses = self.ulysses_group()
        query, key, value = (proj(hidden_states).unflatten(2, (attn.heads, -1))
                             for proj in (attn.to_q, attn.to_k, attn.to_v))  # (B, V, H, D)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        text_q, text_k, text_v = (proj(encoder_hidden_states).unflatten(2, (attn.heads, -1))
                                  for proj in (attn.add_q_proj, attn.add_k_proj, attn.add_v_proj))  # (B, N, H, D)
        if attn.norm_added_q is not None:
            text_q = attn.norm_added_q(text_q)
        if attn.norm_added_k is not None:
            text_k = attn.norm_added_k(text_k)
        if image_rotary_emb is not None:
            cos, sin = image_rotary_emb  # (V, H, D/2) each, float32
            query = rotate_pairs(query, cos, sin, torch.float32)
            key = rotate_pairs(key, cos, sin, torch.float32)

        video_len, text_len = query.shape[1], text_q.shape[1]
        order, valid_text = valid_text_first(attention_mask)
        valid_text = valid_text.to(query.device)
        text_q, text_k, text_v = (gather_tokens(t, order) for t in (text_q, text_k, text_v))  # (B, N, H, D)
        if ulysses is None:
            query, key, value = (torch.cat(pair, dim=1) for pair in
                                 ((query, text_q), (key, text_k), (value, text_v)))  # (B, V + N, H, D)
            kv_valid_len = valid_text + video_len  # (B,)
            mask = self.run.require_mask(video_len + text_len)
            out = base.sparse_attention(query, key, value, mask, kv_valid_len=kv_valid_len)  # (B, V + N, H, D)
        else:  # (B, V / P, H, D) video shard here, the whole text
            full_video = video_len * torch.distributed.get_world_size(ulysses)
            seq_len = full_video + text_len
            mask = dense_mask(seq_len) if self.uses_dense() else self.run.require_mask(seq_len)
            video_out, text_out = joint_sequence_parallel_attention(
                (query, key, value), (text_q, text_k, text_v), mask, kv_valid_len=valid_text + full_video,
                group=ulysses)
            out = torch.cat([video_out, text_out], dim=1)  # (B, V / P + N, H, D)
        rows = torch.arange(video_len + text_len, device=out.device)
        padded = rows[None, :] >= (valid_text + video_len)[:, None]  # (B, V + N): text rows past the valid ones
        out = out.masked_fill(padded[:, :, None, None], 0).flatten(2, 3)  # (B, V + N, H*D)

        video_out, text_out = out.split_with_sizes((video_len, text_len), dim=1)
        video_out = attn.to_out[1](attn.to_out[0](video_out))
        if hasattr(attn, "to_add_out"):
            text_out = attn.to_add_out(text_out)
        return video_out, text_out
