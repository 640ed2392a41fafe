"""Starting environments the way the seeds' scripts expect them: a player that connects to
Python as the Unity Editor does after Play is pressed, and ports for several workers."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.envtest import free_port


@contextmanager
def editor(env: str, port: int, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A player of env that connects to port (it waits for Python to listen), logging to
    log_file: the Unity Editor in Play mode. Stopped on exit if still running."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlagents_sim.player",
            "--env",
            env,
            "--mlagents-port",
            str(port),
            "-logFile",
            str(log_file),
        ]
    )
    try:
        yield process
    finally:
        try:
            # Closing the environment sends QUIT, after which the player exits by itself.
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_ports(count: int) -> int:
    """A base port such that base ... base + count - 1 are free now."""
    for _ in range(100):
        base = free_port()
        if all(_bindable(base + k) for k in range(1, count)):
            return base
    raise RuntimeError(f"found no {count} free consecutive ports")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
