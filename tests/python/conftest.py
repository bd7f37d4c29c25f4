"""Finds the package (the checkout's python/ with its built radial._C first, else an installed radial)
and shares fixtures: devices, seeded generators, the reference mask vectors and the CLI."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")

if (ROOT / "python" / "radial" / f"_C{_EXT_SUFFIX}").exists():
    sys.path.insert(0, str(ROOT / "python"))
try:
    import radial  # noqa: E402
except ImportError as error:
    pytest.exit(
        f"cannot import radial: {error}\n"
        f"Build radial._C for this interpreter ({sys.executable}):\n"
        f"  cmake -S {ROOT} -B {ROOT}/build -DPython_EXECUTABLE={sys.executable}"
        f" && cmake --build {ROOT}/build --target _C\n"
        "or install the package: pip install --no-build-isolation .",
        returncode=4,
    )

import torch  # noqa: E402

from devices import DEVICES  # noqa: E402
from numerics import MEASUREMENTS  # noqa: E402

MASK_VECTORS = ROOT.parent / "shared" / "testdata" / "masks"


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    """Every test that takes it runs on the CPU and, where one is usable, on a CUDA GPU."""
    return torch.device(request.param)


@pytest.fixture
def native_dtype(device) -> torch.dtype:
    """The dtype each backend computes natively: float32 on the CPU, bfloat16 on CUDA (the CUDA kernels
    take bf16 and f16 only; test_errors checks that float32 there is refused by name)."""
    return torch.float32 if device.type == "cpu" else torch.bfloat16


@pytest.fixture
def generator(request) -> torch.Generator:
    """A CPU generator seeded from the test's name; the seed is printed so a failure can be replayed."""
    seed = sum(request.node.nodeid.encode()) % (2**31)
    print(f"seed {seed} for {request.node.nodeid}")
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="session")
def mask_vectors() -> Path:
    if not MASK_VECTORS.is_dir():
        pytest.skip(f"reference mask vectors not found at {MASK_VECTORS} (shared/ beside the checkout)")
    return MASK_VECTORS


@pytest.fixture(scope="session")
def radial_cli() -> str:
    """The command-line tool: $RADIAL_CLI, else build*/radial in the checkout, else `radial` on PATH."""
    candidates = [os.environ.get("RADIAL_CLI", "")]
    candidates += [str(p) for p in sorted(ROOT.glob("build*/radial"))]
    candidates.append(shutil.which("radial") or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return candidate
    pytest.skip("the radial command-line tool is not built (set RADIAL_CLI or build the top-level CMake project)")


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("errors measured on this device, with the tests' tolerances")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)
