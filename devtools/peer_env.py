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
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_REQUIREMENTS = ["mlagents-envs==0.28.0", "protobuf<3.21"]
PEER_DIR = Path(os.environ.get("MLAGENTS_PEER_VENV", ROOT / ".cache" / "peer-mlagents-envs-0.28.0"))


class PeerUnavailable(RuntimeError):
    """The reference client could not be installed."""


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def peer_python() -> Path:
    """Path of the peer's interpreter, building its virtual environment if needed."""
    marker = PEER_DIR / "ready.json"
    PEER_DIR.parent.mkdir(parents=True, exist_ok=True)
    # A lock, so that parallel test workers build the environment once.
    with open(PEER_DIR.parent / (PEER_DIR.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and json.loads(marker.read_text()) == PEER_REQUIREMENTS:
            return _python(PEER_DIR)
        venv.EnvBuilder(clear=True, with_pip=True).create(PEER_DIR)
        result = subprocess.run(
            [str(_python(PEER_DIR)), "-m", "pip", "install", "--quiet", *PEER_REQUIREMENTS],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PeerUnavailable(
                f"pip could not install {PEER_REQUIREMENTS} into {PEER_DIR}:\n{result.stderr[-4000:]}"
            )
        marker.write_text(json.dumps(PEER_REQUIREMENTS))
    return _python(PEER_DIR)


def run_peer(script: Path | str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a Python file with the peer's interpreter; raise with its stderr if it fails."""
    result = subprocess.run(
        [str(peer_python()), str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        # The peer must never import our packages: keep our src/ off its path.
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"peer script {script} failed ({result.returncode}):\n{result.stderr}")
    return result
