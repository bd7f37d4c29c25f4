"""Radial attention in diffusers pipelines: Wan2.1, Wan2.2, HunyuanVideo and Mochi 1.

    import radial.diffusers
    radial.diffusers.enable_radial_attention(pipe, height=720, width=1280, num_frames=81)
    video = pipe(prompt, height=720, width=1280, num_frames=81).frames[0]
    radial.diffusers.disable_radial_attention(pipe)   # the stock processors, exactly

Under Ulysses context parallelism HunyuanVideo and Mochi take radial's plan:
``transformer.enable_parallelism(config=..., cp_plan=radial.diffusers.context_parallel_plan(transformer))``.

Needs diffusers (>= 0.35) only when a pipeline or transformer is handed over; see docs/diffusers.md.
"""

from radial.diffusers.enable import disable_radial_attention, enable_radial_attention, radial_run
from radial.diffusers.parallel_plan import context_parallel_plan
from radial.diffusers.processors.base import RadialProcessor

__all__ = ["enable_radial_attention", "disable_radial_attention", "radial_run", "RadialProcessor",
           "context_parallel_plan"]
