"""The model families radial knows, recognised from the transformer's class: where their self-attention
modules are and in which block order, their patch sizes, their text tokens, their presets."""

from __future__ import annotations

from typing import Iterator

import torch

from radial.diffusers.processors.hunyuan_video import HunyuanVideoRadialProcessor
from radial.diffusers.processors.mochi import MochiRadialProcessor
from radial.diffusers.processors.wan import WanRadialProcessor


class Family:
    """One model family. ``blocks`` lists the transformer blocks in order; ``self_attention`` yields
    ``(layer, attention module)`` over them: the layer index is what ``dense_layers`` counts."""

    name: str
    transformer_class: str
    processor_class: type
    attention_name: str  # the self-attention module's attribute name in a block

    def preset(self, transformer, has_second_expert: bool) -> str:
        raise NotImplementedError

    def blocks(self, transformer) -> list[torch.nn.Module]:
        raise NotImplementedError

    def self_attention(self, transformer) -> Iterator[tuple[int, torch.nn.Module]]:
        for layer, block in enumerate(self.blocks(transformer)):
            yield layer, getattr(block, self.attention_name)

    def patch(self, transformer) -> tuple[int, int, int]:
        """(p_t, p_h, p_w): latent frames, rows and columns per token."""
        raise NotImplementedError

    def text_tokens(self, forward_args: dict) -> int:
        """Text tokens appended to the video in self-attention, from the forward's bound arguments."""
        return 0


class WanFamily(Family):
    name = "wan"
    transformer_class = "WanTransformer3DModel"
    processor_class = WanRadialProcessor
    attention_name = "attn1"

    def preset(self, transformer, has_second_expert: bool) -> str:
        # The Wan presets share the schedule and the geometry; the name only labels messages.
        if has_second_expert:
            return "wan2.2-t2v-a14b"
        return "wan2.1-t2v-1.3b" if transformer.config.num_attention_heads == 12 else "wan2.1-t2v-14b"

    def blocks(self, transformer):
        return list(transformer.blocks)

    def patch(self, transformer):
        return tuple(transformer.config.patch_size)


class HunyuanVideoFamily(Family):
    name = "hunyuanvideo"
    transformer_class = "HunyuanVideoTransformer3DModel"
    processor_class = HunyuanVideoRadialProcessor
    attention_name = "attn"

    def preset(self, transformer, has_second_expert: bool) -> str:
        return "hunyuanvideo"

    def blocks(self, transformer):
        # Single-stream blocks are numbered after the dual-stream ones, as in the paper's schedule.
        return list(transformer.transformer_blocks) + list(transformer.single_transformer_blocks)

    def patch(self, transformer):
        c = transformer.config
        return (c.patch_size_t, c.patch_size, c.patch_size)

    def text_tokens(self, forward_args):
        return forward_args["encoder_hidden_states"].shape[1]


class MochiFamily(Family):
    name = "mochi"
    transformer_class = "MochiTransformer3DModel"
    processor_class = MochiRadialProcessor
    attention_name = "attn1"

    def preset(self, transformer, has_second_expert: bool) -> str:
        return "mochi-1"

    def blocks(self, transformer):
        return list(transformer.transformer_blocks)

    def patch(self, transformer):
        p = transformer.config.patch_size
        return (1, p, p)

    def text_tokens(self, forward_args):
        return forward_args["encoder_hidden_states"].shape[1]


FAMILIES = (WanFamily(), HunyuanVideoFamily(), MochiFamily())


def family_of(transformer) -> Family:
    """The family of a transformer by its exact class name (image-to-video variants share the class);
    TypeError naming the supported classes otherwise."""
    name = type(transformer).__name__
    for family in FAMILIES:
        if family.transformer_class == name:
            return family
    supported = ", ".join(f.transformer_class for f in FAMILIES)
    raise TypeError(f"radial: expected a pipeline or transformer of class {supported}; got {name}")
