"""HunyuanVideo joint self-attention over video then text, in both its block kinds: dual-stream blocks
project text with their own ``add_*_proj`` weights, single-stream blocks get video and text
concatenated and share the projections. The text is padded to a fixed length; the model's key-only
attention mask becomes a per-batch valid key length.

Under diffusers' context parallelism with radial's plan (:func:`radial.diffusers.context_parallel_plan`)
each rank holds a video shard and the whole text; dense layers and steps then take the same Ulysses
path with an all-ones mask, since the stock processor's would treat the replicated text as sharded."""

from __future__ import annotations

from typing import Optional

import torch

from radial.diffusers.processors import base
from radial.diffusers.processors.joint_parallel import dense_mask, joint_sequence_parallel_attention


def valid_key_lengths(attention_mask: Optional[torch.Tensor], batch: int, seq_len: int,
                      device: torch.device) -> torch.Tensor:
    """int32 ``[B]``: the keys each batch element attends to.

    HunyuanVideo's mask is bool ``[B, 1, 1, S]``, True on the video and the real text tokens, False on
    the text padding after them (a prefix per row, as the transformer builds it), so the count of True
    is the valid length. Padded text queries still attend to the valid keys and stay finite.
    """
    if attention_mask is None:
        return torch.full((batch,), seq_len, dtype=torch.int32, device=device)
    if attention_mask.shape[-1] != seq_len or attention_mask.numel() != batch * seq_len:
        raise ValueError(f"radial: expected a key-only attention mask [B, 1, 1, {seq_len}] with B = {batch},"
                         f" got shape {list(attention_mask.shape)}")
    return attention_mask.reshape(batch, seq_len).sum(dim=-1, dtype=torch.int32).to(device)


class HunyuanVideoRadialProcessor(base.RadialProcessor):
    def __call__(
        self,
        attn,
        hidden_states: torch.Tensor,
        encoder_hidden_states: Optional[torch.Tensor] = None,
        attention_mask: Optional[torch.Tensor] = None,
        image_rotary_emb: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.uses_dense() and self.ulysses_group() is None:
            return self.original(attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb)
        return self.radial(attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb)

    def radial(self, attn, hidden_states, encoder_hidden_states, attention_mask, image_rotary_emb):
        """hidden_states ``[B, V, C]`` (``V = F * T`` video tokens), encoder_hidden_states ``[B, N, C]``
        (text) -> ``([B, V, C], [B, N, C])``. Under context parallelism hidden_states and the output's
        video are this rank's shard ``[B, V / P, C]`` and the rotary embedding is sharded alike."""
        from diffusers.models.embeddings import apply_rotary_emb

        if encoder_hidden_states is None:
            raise ValueError("radial: HunyuanVideo self-attention expects encoder_hidden_states (the text)")
        ulysses = self.ulysses_group()
        video_len, text_len = hidden_states.shape[1], encoder_hidden_states.shape[1]
        dual_stream = attn.add_q_proj is not None
        tokens = hidden_states if dual_stream else torch.cat([hidden_states, encoder_hidden_states], dim=1)

        query, key, value = (proj(tokens).unflatten(2, (attn.heads, -1)) for proj in (attn.to_q, attn.to_k, attn.to_v))
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        if image_rotary_emb is not None:
            # Rotary positions belong to the video tokens only.
            query = _rotate_video(apply_rotary_emb, query, video_len, image_rotary_emb)
            key = _rotate_video(apply_rotary_emb, key, video_len, image_rotary_emb)
        if dual_stream:
            text_q, text_k, text_v = (proj(encoder_hidden_states).unflatten(2, (attn.heads, -1))
                                      for proj in (attn.add_q_proj, attn.add_k_proj, attn.add_v_proj))
            if attn.norm_added_q is not None:
                text_q = attn.norm_added_q(text_q)
            if attn.norm_added_k is not None:
                text_k = attn.norm_added_k(text_k)
            query, key, value = (torch.cat(pair, dim=1) for pair in ((query, text_q), (key, text_k), (value, text_v)))

        if ulysses is None:
            batch, seq_len = query.shape[0], query.shape[1]  # (B, V + N, H, D)
            mask = self.run.require_mask(seq_len)
            kv_valid_len = valid_key_lengths(attention_mask, batch, seq_len, query.device)
            out = base.sparse_attention(query, key, value, mask, kv_valid_len=kv_valid_len)  # (B, V + N, H, D)
        else:
            out = self.sequence_parallel(query, key, value, video_len, attention_mask, ulysses)
        out = out.flatten(2, 3).to(query.dtype)
        video_out, text_out = out[:, :video_len], out[:, video_len:video_len + text_len]
        if getattr(attn, "to_out", None) is not None:
            video_out = attn.to_out[1](attn.to_out[0](video_out))
        if getattr(attn, "to_add_out", None) is not None:
            text_out = attn.to_add_out(text_out)
        return video_out, text_out

    def sequence_parallel(self, query, key, value, video_len: int, attention_mask, group) -> torch.Tensor:
        """query, key, value ``[B, V / P + N, H, D]`` (this rank's video shard, then the whole text)
        -> ``[B, V / P + N, H, D]``, the text rows complete on every rank."""
        world = torch.distributed.get_world_size(group)
        batch, text_len = query.shape[0], query.shape[1] - video_len
        seq_len = video_len * world + text_len
        # The transformer builds its key mask before the plan splits the video: it spans all V + N.
        kv_valid_len = valid_key_lengths(attention_mask, batch, seq_len, query.device)
        mask = dense_mask(seq_len) if self.uses_dense() else self.run.require_mask(seq_len)
        video, text = zip(*(t.split([video_len, text_len], dim=1) for t in (query, key, value)))
        video_out, text_out = joint_sequence_parallel_attention(video, text, mask, kv_valid_len=kv_valid_len,
                                                                group=group)
        return torch.cat([video_out, text_out], dim=1)


def _rotate_video(apply_rotary_emb, x: torch.Tensor, video_len: int, freqs) -> torch.Tensor:
    """x ``[B, S, H, D]``: rotary embedding on its first ``video_len`` tokens, the rest as they are."""
    if x.shape[1] == video_len:
        return apply_rotary_emb(x, freqs, sequence_dim=1)
    return torch.cat([apply_rotary_emb(x[:, :video_len], freqs, sequence_dim=1), x[:, video_len:]], dim=1)
