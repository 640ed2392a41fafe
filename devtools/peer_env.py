"""The reference clients, each in a virtual environment of its own.

Two upstream clients serve as references, one per generation of Unity builds:
mlagents-envs 0.28.0 (Unity package 2.x) runs on this interpreter, and mlagents-envs 1.1.0
(Unity package 3.x) needs a Python 3.10. Their generated protobuf code needs protobuf<3.21,
which cannot live beside ours, so tests and benchmarks talk to them through files and
subprocesses. Each environment is built on first use under .cache/ and reused while its
marker file says it is complete.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class PeerUnavailable(RuntimeError):
    """A reference client could not be installed (or has no interpreter to run on)."""


@dataclass(frozen=True)
class Peer:
    """One reference client: how to install it and which interpreter it needs."""

    version: str
    #: pip install commands (their arguments), run in order in a fresh environment.
    installs: tuple[tuple[str, ...], ...]
    #: The environment variable that points at a ready-made environment (skips the build).
    venv_variable: str
    #: "3.10" when the client needs that Python; None runs it on this interpreter.
    python_version: str | None = None

    @property
    def default_dir(self) -> Path:
        return ROOT / ".cache" / f"peer-mlagents-envs-{self.version}"

    @property
    def env_dir(self) -> Path:
        return Path(os.environ.get(self.venv_variable, self.default_dir))


#: The 2.x-generation client.
PEER_028 = Peer(
    version="0.28.0",
    installs=(("mlagents-envs==0.28.0", "protobuf<3.21"),),
    venv_variable="MLAGENTS_PEER_VENV",
)

#: The 3.x-generation client. Its metadata asks for Python <3.11 and pins what our numpy and
#: protobuf exclude, hence --no-deps and its working dependencies listed by hand.
PEER_110 = Peer(
    version="1.1.0",
    installs=(
        ("--ignore-requires-python", "--no-deps", "mlagents-envs==1.1.0"),
        (
            "grpcio<=1.48.2",
            "protobuf<3.21",
            "numpy>=1.23.5,<1.24",
            "gym",
            "pettingzoo==1.15.0",
            "filelock",
            "Pillow",
            "cloudpickle",
            "pyyaml",
        ),
    ),
    venv_variable="MLAGENTS_PEER_VENV_1_1",
    python_version="3.10",
)


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def find_python310() -> str | None:
    """A working Python 3.10, or None.

    Looks at $MLAGENTS_PY310, then pyenv's versions (~/.pyenv/versions/3.10*; its shims
    exist but may refuse to run), then python3.10 on PATH; a candidate counts only if it
    runs and is 3.10.
    """
    candidates = [os.environ.get("MLAGENTS_PY310", "")]
    candidates += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10"))]
    candidates.append(shutil.which("python3.10") or "")
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


def _base_python(peer: Peer, base_python: str | None) -> str | None:
    if base_python is not None or peer.python_version is None:
        return base_python
    if sys.version_info[:2] == (3, 10):
        return None
    found = find_python310()
    if found is None:
        raise PeerUnavailable(
            f"mlagents-envs {peer.version} needs Python {peer.python_version} and none was "
            "found: set MLAGENTS_PY310 to its interpreter, install it under pyenv, or put "
            "python3.10 on PATH."
        )
    return found


def peer_python(base_python: str | None = None, peer: Peer = PEER_028) -> Path:
    """Path of a peer's interpreter, building its virtual environment if needed.

    base_python builds the environment from another interpreter (in a folder of its own);
    by default it is built from the interpreter the peer needs (this one for 0.28).
    """
    env_dir = peer.env_dir
    if base_python is not None:
        # In this checkout's cache: the variable names one environment, not a family.
        default = peer.default_dir
        env_dir = default.with_name(f"{default.name}-{Path(base_python).name}")
    try:
        base = _base_python(peer, base_python)
    except PeerUnavailable:
        # An environment built earlier runs without its base interpreter being found.
        if _is_ready(env_dir, peer.installs):
            return _python(env_dir)
        raise
    return cached_venv(env_dir, *peer.installs, base_python=base)


def _recorded(installs: Sequence[Sequence[str]]) -> list:
    # One install is recorded as its plain list, as markers of existing caches have it.
    return list(installs[0]) if len(installs) == 1 else [list(i) for i in installs]


def _is_ready(env_dir: Path, installs: Sequence[Sequence[str]]) -> bool:
    marker = env_dir / "ready.json"
    return marker.exists() and json.loads(marker.read_text()) == _recorded(installs)


def cached_venv(env_dir: Path, *installs: Sequence[str], base_python: str | None = None) -> Path:
    """The interpreter of a virtual environment made by the given pip installs (one list of
    arguments per `pip install`, run in order), built on first use and reused while its
    marker file lists the same installs.
    """
    marker = env_dir / "ready.json"
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    # A lock, so that parallel test workers build the environment once.
    with open(env_dir.parent / (env_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_ready(env_dir, installs):
            return _python(env_dir)
        base = base_python or sys.executable
        _run_or_fail([base, "-m", "venv", "--clear", str(env_dir)], env_dir)
        for arguments in installs:
            _run_or_fail(
                [str(_python(env_dir)), "-m", "pip", "install", "--quiet", *arguments], env_dir
            )
        marker.write_text(json.dumps(_recorded(installs)))
    return _python(env_dir)


def _run_or_fail(command: list[str], env_dir: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PeerUnavailable(
            f"Could not build the peer environment {env_dir} ({' '.join(command)}):\n"
            f"{result.stderr[-4000:]}"
        )


def run_peer(
    script: Path | str,
    *args: str,
    timeout: float = 600,
    base_python: str | None = None,
    peer: Peer = PEER_028,
) -> subprocess.CompletedProcess:
    """Run a Python file with a peer's interpreter; raise with its stderr if it fails."""
    result = subprocess.run(
        [str(peer_python(base_python, peer)), str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        # The peer must never import our packages: keep our src/ off its path.
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"peer script {script} failed ({result.returncode}):\n{result.stderr}")
    return result
