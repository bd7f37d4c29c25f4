"""Context-parallel plans, in diffusers' ``_cp_plan`` format, for the models diffusers ships without
one, so radial's processors can run them under ``enable_parallelism`` (Ulysses):

    plan = radial.diffusers.context_parallel_plan(transformer)
    transformer.enable_parallelism(config=ContextParallelConfig(ulysses_degree=P), cp_plan=plan)

HunyuanVideo and Mochi 1: the video tokens and the rotary embedding are split along the sequence, the
text stays replicated (it is short, and each rank cuts its own slice inside attention), the output is
gathered at ``proj_out``.
"""

from __future__ import annotations

from radial.diffusers.families import family_of


def context_parallel_plan(transformer) -> dict:
    """The plan for ``transformer`` (a ``HunyuanVideoTransformer3DModel`` or ``MochiTransformer3DModel``);
    a dict of module names to
    ``ContextParallelInput`` / ``ContextParallelOutput``, as ``enable_parallelism(cp_plan=...)`` takes.

    The video count ``V = F * T`` of every call must be divisible by the Ulysses degree (diffusers'
    equal split); the text may have any length.
    """
    from diffusers.models._modeling_parallel import ContextParallelInput, ContextParallelOutput

    transformer = getattr(transformer, "_orig_mod", transformer)
    family = family_of(transformer)
    if family.name == "hunyuanvideo":
        if transformer.config.image_condition_type == "token_replace":
            # Its blocks gate the first frame's tokens by position (hidden_states[:, :num_tokens]), which
            # a video shard does not start at on every rank.
            raise NotImplementedError("radial: HunyuanVideo with image_condition_type='token_replace' has no"
                                      " context-parallel plan")
        # The first block that sees the video: split there, after the transformer has built its key mask
        # over the whole sequence (the processors read the valid key counts of all V + N tokens from it).
        first = "transformer_blocks.0" if len(transformer.transformer_blocks) else "single_transformer_blocks.0"
        rope_dims = 2  # cos, sin: [V, D] each
    elif family.name == "mochi":
        first = "transformer_blocks.0"
        rope_dims = 3  # cos, sin: [V, H, D / 2] each
    else:
        raise TypeError(f"radial: context_parallel_plan covers HunyuanVideoTransformer3DModel and"
                        f" MochiTransformer3DModel (Wan has diffusers' own _cp_plan); got {type(transformer).__name__}")
    return {
        first: {"hidden_states": ContextParallelInput(split_dim=1, expected_dims=3, split_output=False)},
        # Every block then gets the rotary rows of its own video shard.
        "rope": {
            0: ContextParallelInput(split_dim=0, expected_dims=rope_dims, split_output=True),
            1: ContextParallelInput(split_dim=0, expected_dims=rope_dims, split_output=True),
        },
        "proj_out": ContextParallelOutput(gather_dim=1, expected_dims=3),
    }
