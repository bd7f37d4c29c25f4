"""Timing a transformer forward per block and per self-attention module, and composing a step under
a dense-layers schedule from the per-block times: the method of ``end_to_end.py`` and ``ulysses.py``.

On a GPU the marks are CUDA events (read once the forward is done, so timing adds no host
synchronisation); on a CPU, where every op is synchronous, wall-clock time.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch.nn.attention import sdpa_kernel

from full_size import Case, block_modules, self_attention_modules


def mark(device: torch.device):
    """A point in time on ``device``'s work queue; :func:`elapsed_ms` measures between two."""
    if device.type == "cuda":
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event
    return time.perf_counter()


def elapsed_ms(start, end) -> float:
    """Milliseconds between two :func:`mark` s; waits for a GPU's end mark."""
    if isinstance(start, float):
        return (end - start) * 1e3
    end.synchronize()
    return start.elapsed_time(end)


class ModuleTimer:
    """Marks around every call of the given modules; ``times()`` gives ms per module, per call."""

    def __init__(self, modules: dict[str, torch.nn.Module], device: torch.device):
        self.device = device
        self.marks = {name: [] for name in modules}
        self.handles = []
        for name, module in modules.items():
            self.handles.append(module.register_forward_pre_hook(lambda m, a, n=name: self._start(n)))
            self.handles.append(module.register_forward_hook(lambda m, a, o, n=name: self._end(n)))

    def _start(self, name):
        self.marks[name].append([mark(self.device), None])

    def _end(self, name):
        self.marks[name][-1][1] = mark(self.device)

    def clear(self):
        for calls in self.marks.values():
            calls.clear()

    def times(self) -> dict[str, list[float]]:
        return {name: [elapsed_ms(s, e) for s, e in calls] for name, calls in self.marks.items()}

    def remove(self):
        for handle in self.handles:
            handle.remove()


def self_attention_backend(model, backend) -> list:
    """Self-attention modules run their SDPA under ``backend``; everything else (cross-attention,
    HunyuanVideo's masked text refiner) keeps PyTorch's own choice. Returns the hook handles."""
    handles = []
    for module in self_attention_modules(model).values():
        contexts = []

        def enter(m, args, contexts=contexts):
            contexts.append(sdpa_kernel(backend))
            contexts[-1].__enter__()

        def leave(m, args, out, contexts=contexts):
            contexts.pop().__exit__(None, None, None)

        handles += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    return handles


@dataclass
class RunTimes:
    """One variant's medians: per block kind, a block and its self-attention module (projections
    included); the whole forward; the time outside the blocks."""

    block_ms: dict[str, float]
    attention_ms: dict[str, float]
    step_ms: float
    outside_ms: float


def median_per_kind(times: dict[str, list[float]], case: Case) -> dict[str, float]:
    return {kind: statistics.median(t for name, ts in times.items() if name.startswith(kind + ".") for t in ts)
            for kind, _ in case.kinds}


def timed_run(model, case: Case, inputs: dict, reps: int, backend, device: torch.device,
              before_rep: Optional[Callable[[], None]] = None) -> RunTimes:
    """Times ``reps`` forwards after a warm-up. ``backend``: the SDPA backend the self-attention
    modules' dense calls run under, or None for PyTorch's choice; ``before_rep``: called before each
    forward (a barrier, where ranks must start together)."""
    blocks = ModuleTimer(block_modules(model, case), device)
    attention = ModuleTimer(self_attention_modules(model), device)
    backend_hooks = self_attention_backend(model, backend) if backend is not None else []
    steps, block_times, attention_times = [], {}, {}
    with torch.inference_mode():
        for rep in range(reps + 1):  # the first is a warm-up
            blocks.clear()
            attention.clear()
            if before_rep is not None:
                before_rep()
            start = mark(device)
            model(**inputs, return_dict=False)
            end = mark(device)
            if rep == 0:
                continue
            steps.append(elapsed_ms(start, end))
            for name, ts in blocks.times().items():
                block_times.setdefault(name, []).extend(ts)
            for name, ts in attention.times().items():
                attention_times.setdefault(name, []).extend(ts)
    for handle in backend_hooks:
        handle.remove()
    blocks.remove()
    attention.remove()
    step = statistics.median(steps)
    outside = step - sum(block_times[name][0] for name in block_times)  # one forward's blocks
    return RunTimes(median_per_kind(block_times, case), median_per_kind(attention_times, case), step, outside)


def composed(case: Case, dense: RunTimes, sparse: RunTimes, dense_layers: int, field: str = "block_ms") -> float:
    """Over the real model's blocks in layer order: the first ``dense_layers`` at their kind's dense
    time, the rest at the radial time (``field``: whole blocks, or their self-attention only)."""
    total, layer = 0.0, 0
    for kind, count in case.kinds:
        for _ in range(count):
            total += getattr(dense if layer < dense_layers else sparse, field)[kind]
            layer += 1
    return total


def step_ms(case: Case, dense: RunTimes, sparse: RunTimes, dense_layers: int) -> float:
    """One step of the real model: the time outside the blocks plus :func:`composed` blocks."""
    return dense.outside_ms + composed(case, dense, sparse, dense_layers)
