"""One process per rank for the multi-process (gloo) tests: a free loopback port for the rendezvous,
the launch of a worker script on every rank, and the worker's way out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(world: int, argv_for_rank: Callable[[int, int], list[str]], timeout: float = 300) -> None:
    """Runs ``python *argv_for_rank(rank, port)`` for every rank at once and waits for all of them
    (every one, so that no rank is left running when another fails); asserts each exited with 0."""
    port = free_port()
    procs = [subprocess.Popen([sys.executable, *argv_for_rank(rank, port)]) for rank in range(world)]
    codes = [p.wait(timeout=timeout) for p in procs]
    assert codes == [0] * world, f"ranks exited with {codes}"


def exit_rank() -> None:
    """Ends a worker's process once its work is done and its process group destroyed, without the
    interpreter's finalization: there gloo's threads can still hold tensors whose release needs the GIL,
    and the process aborts ("terminate called without an active exception", SIGABRT; seen once in
    about 70 runs of a worker). A worker that failed raised before getting here, and exits 1 as usual."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
