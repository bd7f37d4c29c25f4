"""bench/gpu/gpu_clocks.py: the per-window summary of nvidia-smi samples (no GPU needed)."""
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "gpu"))
from gpu_clocks import ClockMonitor, describe  # noqa: E402


def monitor_with(samples):
    monitor = ClockMonitor()
    monitor.samples = samples
    return monitor


def test_summary_reads_only_the_window():
    monitor = monitor_with([
        (0.5, ["1980", "300.0", "40", "Not Active", "Not Active", "Not Active"]),  # before the window
        (1.0, ["1755", "690.5", "61", "Active", "Not Active", "Not Active"]),
        (1.1, ["1740", "701.0", "63", "Active", "Not Active", "Not Active"]),
        (1.2, ["1800", "650.0", "62", "Not Active", "Not Active", "Not Active"]),
        (2.5, ["345", "80.0", "45", "Not Active", "Not Active", "Not Active"]),  # after it
    ])
    summary = monitor.summary(0.9, 1.3)
    assert summary["samples"] == 3
    assert summary["mhz"] == 1755
    assert summary["watts"] == 690.5
    assert summary["max_temp"] == 63
    assert summary["power_capped"] == pytest.approx(2 / 3)
    assert summary["hw_slowdown"] == 0 and summary["thermal"] == 0
    assert describe(summary) == "1755 MHz, 690 W, capped 67 %"


def test_counters_a_card_does_not_report_are_left_out():
    monitor = monitor_with([(1.0, ["1500", "[N/A]", "[N/A]", "Not Active", "Active", "Not Active"])])
    summary = monitor.summary(0.0, 2.0)
    assert summary["mhz"] == 1500 and math.isnan(summary["watts"]) and math.isnan(summary["max_temp"])
    assert summary["hw_slowdown"] == 1
    assert describe(summary).endswith("slowdown 100 %")


def test_no_samples_means_no_summary():
    assert monitor_with([]).summary(0.0, 1.0) is None
    assert describe(None) == "—"


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="interval_ms"):
        ClockMonitor(interval_ms=0)
