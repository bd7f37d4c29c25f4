"""The compiled core, ``radial._C`` (pybind11, no PyTorch inside), with a clear message when absent."""

from __future__ import annotations

try:
    from radial import _C
except ImportError as error:  # pragma: no cover - exercised only on a tree that was never built
    raise ImportError(
        "radial._C is not built. Build it with\n"
        "  cmake -S . -B build -DPython_EXECUTABLE=$(which python) && cmake --build build --target _C\n"
        "(it lands in python/radial/, so PYTHONPATH=python works), or install the package with\n"
        "  pip install --no-build-isolation .\n"
        f"Import error: {error}"
    ) from error

__all__ = ["_C"]
