"""How a benchmark hands over its markdown: printed, and appended to the results file named by --out."""

from __future__ import annotations

from typing import Optional


def publish(lines: list[str], out: Optional[str]) -> None:
    """Prints the lines as one block and, if ``out`` is given, appends them to it with a blank line after."""
    report = "\n".join(lines) + "\n"
    print(report)
    if out:
        with open(out, "a") as f:
            f.write(report + "\n")
