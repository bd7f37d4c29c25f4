"""A one-line text progress bar: redrawn in place on a terminal, a line every 5 % otherwise (logs)."""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

WIDTH = 30


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class ProgressBar:
    """``update(step, loss)`` after each step: ``step 12/100 [###-------] loss 0.1234 (avg 0.1301)
    1.23 s/step, 01:48 left``. The average is over the last 20 steps."""

    def __init__(self, total: int, start: int = 0, stream: Optional[TextIO] = None, enabled: bool = True):
        self.total = total
        self.start = start
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.in_place = enabled and self.stream.isatty()
        self.began = time.perf_counter()
        self.recent: list[float] = []
        self.every = max(1, total // 20)

    def update(self, step: int, loss: float) -> None:
        self.recent = (self.recent + [loss])[-20:]
        if not self.enabled or not (self.in_place or step % self.every == 0 or step == self.total):
            return
        done = max(step - self.start, 1)
        per_step = (time.perf_counter() - self.began) / done
        filled = WIDTH * step // self.total
        line = (f"step {step}/{self.total} [{'#' * filled}{'-' * (WIDTH - filled)}] loss {loss:.4f}"
                f" (avg {sum(self.recent) / len(self.recent):.4f}) {per_step:.2f} s/step,"
                f" {_duration(per_step * (self.total - step))} left")
        self.stream.write(f"\r{line}" if self.in_place else f"{line}\n")
        if self.in_place and step == self.total:
            self.stream.write("\n")
        self.stream.flush()
