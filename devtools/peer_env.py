"""The reference client, mlagents-envs 0.28.0, in a virtual environment of its own.

Its generated protobuf code needs protobuf<3.21, which cannot live beside ours, so tests and
benchmarks talk to it through files and subprocesses. The environment is built on first use
under .cache/ and reused while its marker file says it is complete.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_REQUIREMENTS = ["mlagents-envs==0.28.0", "protobuf<3.21"]
PEER_DIR = Path(os.environ.get("MLAGENTS_PEER_VENV", ROOT / ".cache" / "peer-mlagents-envs-0.28.0"))


class PeerUnavailable(RuntimeError):
    """The reference client could not be installed."""


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def peer_python(base_python: str | None = None) -> Path:
    """Path of the peer's interpreter, building its virtual environment if needed.

    base_python builds the environment from another interpreter (in a folder of its own);
    by default it is built from the interpreter running this code.
    """
    env_dir = PEER_DIR
    if base_python is not None:
        env_dir = PEER_DIR.with_name(f"{PEER_DIR.name}-{Path(base_python).name}")
    return cached_venv(env_dir, PEER_REQUIREMENTS, base_python)


def cached_venv(env_dir: Path, requirements: list[str], base_python: str | None = None) -> Path:
    """The interpreter of a virtual environment holding requirements, built on first use
    and reused while its marker file lists the same requirements.
    """
    marker = env_dir / "ready.json"
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    # A lock, so that parallel test workers build the environment once.
    with open(env_dir.parent / (env_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and json.loads(marker.read_text()) == requirements:
            return _python(env_dir)
        base = base_python or sys.executable
        _run_or_fail([base, "-m", "venv", "--clear", str(env_dir)], env_dir)
        _run_or_fail(
            [str(_python(env_dir)), "-m", "pip", "install", "--quiet", *requirements], env_dir
        )
        marker.write_text(json.dumps(requirements))
    return _python(env_dir)


def _run_or_fail(command: list[str], env_dir: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PeerUnavailable(
            f"Could not build the peer environment {env_dir} ({' '.join(command)}):\n"
            f"{result.stderr[-4000:]}"
        )


def run_peer(
    script: Path | str, *args: str, timeout: float = 600, base_python: str | None = None
) -> subprocess.CompletedProcess:
    """Run a Python file with the peer's interpreter; raise with its stderr if it fails."""
    result = subprocess.run(
        [str(peer_python(base_python)), str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        # The peer must never import our packages: keep our src/ off its path.
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"peer script {script} failed ({result.returncode}):\n{result.stderr}")
    return result
