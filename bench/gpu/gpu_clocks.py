"""What the GPU ran at while a benchmark timed it: SM clock, power draw and the clock-limiting reasons,
sampled through nvidia-smi in the background and summarised per timed window.

A long kernel on a card at its power limit runs at a lower clock than a short one, so two TFLOP/s figures
are only comparable alongside the clocks they were measured at. Reading these counters changes nothing on
the card. Without nvidia-smi (or with a driver that knows none of the fields) the monitor reports nothing
and the benchmark still runs.

    with ClockMonitor() as clocks:
        t0 = time.monotonic(); run(); torch.cuda.synchronize(); t1 = time.monotonic()
        print(clocks.summary(t0, t1))   # {"mhz": 1755.0, "watts": 698.1, "power_capped": 0.93, ...}
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import threading
import time
from typing import Optional

# Queried in this order; each sample is one CSV line of them.
FIELDS = ("clocks.sm", "power.draw.instant", "temperature.gpu", "clocks_event_reasons.sw_power_cap",
          "clocks_event_reasons.hw_slowdown", "clocks_event_reasons.sw_thermal_slowdown")
# Older drivers name the same counters differently: the fallback query.
FALLBACK_FIELDS = ("clocks.sm", "power.draw", "temperature.gpu", "clocks_throttle_reasons.sw_power_cap",
                   "clocks_throttle_reasons.hw_slowdown", "clocks_throttle_reasons.sw_thermal_slowdown")


def _gpu_index() -> str:
    """The index nvidia-smi knows the first visible device by."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return visible.split(",")[0].strip() if visible.strip() else "0"


def _query_works(fields: tuple[str, ...], index: str) -> bool:
    result = subprocess.run(["nvidia-smi", "-i", index, f"--query-gpu={','.join(fields)}",
                             "--format=csv,noheader,nounits"], capture_output=True, text=True)
    return result.returncode == 0 and "not a valid field" not in result.stdout + result.stderr


class ClockMonitor:
    """Samples every ``interval_ms`` from ``__enter__`` to ``__exit__``; ``summary`` reads a window of it."""

    def __init__(self, interval_ms: int = 20):
        if interval_ms <= 0:
            raise ValueError(f"interval_ms must be positive, got {interval_ms}")
        self.interval_ms = interval_ms
        self.samples: list[tuple[float, list[str]]] = []
        self.available = False
        self._process: Optional[subprocess.Popen] = None
        self._reader: Optional[threading.Thread] = None

    def __enter__(self) -> "ClockMonitor":
        if shutil.which("nvidia-smi") is None:
            return self
        index = _gpu_index()
        fields = next((f for f in (FIELDS, FALLBACK_FIELDS) if _query_works(f, index)), None)
        if fields is None:
            return self
        self._process = subprocess.Popen(
            ["nvidia-smi", "-i", index, f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits",
             f"-lms={self.interval_ms}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.available = True
        return self

    def _read(self) -> None:
        for line in self._process.stdout:
            values = [v.strip() for v in line.split(",")]
            if len(values) == len(FIELDS):
                self.samples.append((time.monotonic(), values))

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait()
            self._reader.join(timeout=5)

    def summary(self, t0: float, t1: float) -> Optional[dict]:
        """Median SM clock (MHz), median power (W), peak temperature (C), and the share of samples in which
        the power cap, a hardware slowdown or a thermal slowdown held the clock down; None without samples
        in [t0, t1] (a window shorter than the sampling interval, or no monitor)."""
        window = [v for t, v in self.samples if t0 <= t <= t1]
        if not window:
            return None

        def numbers(column: int) -> list[float]:
            out = []
            for values in window:
                try:
                    out.append(float(values[column]))
                except ValueError:  # "[N/A]" on cards that do not report a counter
                    pass
            return out

        def active_share(column: int) -> float:
            return sum(values[column] == "Active" for values in window) / len(window)

        mhz, watts, temps = numbers(0), numbers(1), numbers(2)
        return {
            "samples": len(window),
            "mhz": statistics.median(mhz) if mhz else float("nan"),
            "watts": statistics.median(watts) if watts else float("nan"),
            "max_temp": max(temps) if temps else float("nan"),
            "power_capped": active_share(3),
            "hw_slowdown": active_share(4),
            "thermal": active_share(5),
        }


def describe(summary: Optional[dict]) -> str:
    """One table cell: "1755 MHz, 698 W, capped 93 %" (or "—")."""
    if summary is None:
        return "—"
    text = f"{summary['mhz']:.0f} MHz, {summary['watts']:.0f} W, capped {100 * summary['power_capped']:.0f} %"
    if summary["hw_slowdown"] or summary["thermal"]:
        text += f", slowdown {100 * max(summary['hw_slowdown'], summary['thermal']):.0f} %"
    return text
