"""Where a benchmark's numbers came from: the commit they were measured at, for the recorded tables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def commit() -> str:
    """RADIAL_COMMIT where set (a copied tree whose .git, if any, is not the one measured), else the
    checkout's short HEAD, else "unknown"."""
    if os.environ.get("RADIAL_COMMIT"):
        return os.environ["RADIAL_COMMIT"]
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
