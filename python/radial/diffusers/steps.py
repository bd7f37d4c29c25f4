"""Which denoising step is running: the scheduler's own index, so classifier-free guidance's two
transformer calls per step (or one call on a doubled batch) count as one step."""

from __future__ import annotations

from typing import Callable, Optional

StepSource = Callable[[], int]


def scheduler_step(scheduler) -> int:
    """The index of the step about to run. diffusers' schedulers leave ``step_index`` unset until their
    first ``step()``; before it the step is ``begin_index`` (set when a pipeline skips early steps, as
    video-to-video does), else 0."""
    index = getattr(scheduler, "step_index", None)
    if index is not None:
        return int(index)
    begin = getattr(scheduler, "begin_index", None)
    return int(begin) if begin is not None else 0


def step_source(pipeline, scheduler) -> Optional[StepSource]:
    """Reads the step from ``scheduler`` if given, else from the pipeline's scheduler at call time (so a
    scheduler swapped in after enabling is the one read); None without either."""
    if scheduler is not None:
        if not hasattr(scheduler, "step_index"):
            raise TypeError(f"scheduler: expected a diffusers scheduler (with step_index),"
                            f" got {type(scheduler).__name__}")
        return lambda: scheduler_step(scheduler)
    if pipeline is not None and getattr(pipeline, "scheduler", None) is not None:
        return lambda: scheduler_step(pipeline.scheduler)
    return None
