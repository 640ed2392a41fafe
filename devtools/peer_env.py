"""The reference clients and the reference trainer, each in a virtual environment of its own.

Two upstream clients serve as references, one per generation of Unity builds:
mlagents-envs 0.28.0 (Unity package 2.x) runs on this interpreter, and mlagents-envs 1.1.0
(Unity package 3.x) needs a Python 3.10. The reference trainer is mlagents 0.28.0's
`mlagents-learn` on Python 3.11 (REFERENCE_TRAINER). Their generated protobuf code needs
protobuf<3.21, which cannot live beside ours, so tests and benchmarks talk to them through
files and subprocesses. Each environment is built on first use under .cache/ and reused
while its marker file says it is complete (the same installs and the same patch).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class PeerUnavailable(RuntimeError):
    """A reference package could not be installed (or has no interpreter to run on)."""


@dataclass(frozen=True)
class Peer:
    """One reference package (a client or the trainer): how to install it, which interpreter
    it needs, what to patch after."""

    version: str
    #: pip install commands (their arguments), run in order in a fresh environment.
    installs: tuple[tuple[str, ...], ...]
    #: The environment variable that points at a ready-made environment (skips the build).
    venv_variable: str
    #: "3.10" when the client needs that Python; None runs it on this interpreter.
    python_version: str | None = None
    #: The distribution installed, which names the cached environment.
    package: str = "mlagents-envs"
    #: Run on the environment's interpreter after the installs (e.g. to patch a file).
    patch: Callable[[Path], None] | None = None
    #: Recorded in the marker with the installs: change it when the patch changes.
    patch_version: str | None = None

    @property
    def default_dir(self) -> Path:
        return ROOT / ".cache" / f"peer-{self.package}-{self.version}"

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


@dataclass(frozen=True)
class SourcePatch:
    """A change to an installed module, found by a pattern and checked: the module must hold
    `count` places, each either unpatched (`pattern`) or already patched (`patched`)."""

    module: str  # its path under site-packages
    why: str
    pattern: str
    replacement: str
    patched: str
    count: int

    def apply(self, site_packages: Path) -> None:
        path = site_packages / self.module
        if not path.is_file():
            raise PeerUnavailable(f"{path} is missing; cannot apply the patch: {self.why}")
        text = path.read_text()
        to_patch = len(re.findall(self.pattern, text))
        patched = len(re.findall(self.patched, text))
        if to_patch + patched != self.count:
            raise PeerUnavailable(
                f"{path} should have {self.count} places for the patch ({self.why}); found "
                f"{to_patch} to patch and {patched} patched. Is this the release it is for?"
            )
        if to_patch:
            path.write_text(re.sub(self.pattern, self.replacement, text))


#: What mlagents 0.28.0 needs to run on Python 3.11 and torch 2.13.
TRAINER_PATCHES = (
    SourcePatch(
        "mlagents/trainers/settings.py",
        "cattrs dispatches types through functools.singledispatch, which on Python 3.11 "
        "refuses subscripted generics: register the two Dict[...] structure hooks by predicate",
        r"cattr\.register_structure_hook\(\s*(Dict\[[^\]]+\]),",
        r"cattr.register_structure_hook_func(lambda t: t == \1,",
        r"cattr\.register_structure_hook_func\(\s*lambda t: t == Dict\[",
        count=2,
    ),
    SourcePatch(
        "mlagents/trainers/torch/model_serialization.py",
        "torch 2.13's onnx.export defaults to the dynamo exporter, which needs onnxscript; "
        "mlagents 0.28 was written for the TorchScript exporter",
        r"( +)(dynamic_axes=self\.dynamic_axes,\n)(?!\s*dynamo=False)",
        r"\1\2\1dynamo=False,\n",
        r"dynamic_axes=self\.dynamic_axes,\n\s*dynamo=False,",
        count=1,
    ),
)


def _patch_trainer(python: Path) -> None:
    """Apply the reference trainer's patches (idempotent; PeerUnavailable when a file does
    not look as expected)."""
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for patch in TRAINER_PATCHES:
        patch.apply(Path(purelib))


#: The reference trainer, mlagents 0.28.0's `mlagents-learn` (it pairs with 2.x builds). Its
#: metadata pins releases that do not install on Python 3.11, hence --no-deps and a working
#: set by hand. torch is pinned to the CPU build (a loose torch pulls the CUDA build) and
#: installed without its requirements, listed after it but for setuptools.
REFERENCE_TRAINER = Peer(
    version="0.28.0",
    installs=(
        ("--no-deps", "mlagents==0.28.0", "mlagents-envs==0.28.0", "torch==2.13.0"),
        (
            "protobuf==3.20.3",
            "numpy==1.23.5",
            "setuptools<70",
            "cattrs==23.1.2",
            "tensorboard==2.12.0",
            "grpcio",
            "Pillow",
            "pyyaml",
            "cloudpickle",
            "h5py",
            "attrs",
            # For torch's ONNX export: a release that works with protobuf 3.20 and numpy 1.23.
            "onnx==1.14.1",
            # torch's own requirements but setuptools: its metadata asks for setuptools>=77,
            # which has no pkg_resources, and mlagents imports pkg_resources.
            "filelock",
            "typing-extensions>=4.10.0",
            "sympy>=1.13.3",
            "networkx>=2.5.1",
            "jinja2",
            "fsspec>=0.8.5",
        ),
    ),
    venv_variable="MLAGENTS_REFERENCE_TRAINER_VENV",
    python_version="3.11",
    package="mlagents",
    patch=_patch_trainer,
    patch_version="dict-hooks-by-predicate,onnx-without-dynamo-2",
)


def reference_trainer() -> Path:
    """The `mlagents-learn` script of the reference trainer, building it if needed."""
    python = peer_python(peer=REFERENCE_TRAINER)
    return python.parent / ("mlagents-learn.exe" if sys.platform == "win32" else "mlagents-learn")


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def find_python310() -> str | None:
    """A working Python 3.10, or None (see find_python)."""
    return find_python("3.10")


def find_python(version: str) -> str | None:
    """A working Python of the given "major.minor" version, or None.

    Looks at $MLAGENTS_PY310 (for 3.10; $MLAGENTS_PY311 for 3.11 and so on), then pyenv's
    versions (~/.pyenv/versions/3.10*; its shims exist but may refuse to run), then
    python3.10 on PATH; a candidate counts only if it runs and is that version.
    """
    wanted = tuple(int(part) for part in version.split("."))
    variable = "MLAGENTS_PY" + version.replace(".", "")
    candidates = [os.environ.get(variable, "")]
    candidates += [
        str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}"))
    ]
    candidates.append(shutil.which(f"python{version}") or "")
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [candidate, "-c", f"import sys; print(sys.version_info[:2] == {wanted})"],
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
    version = peer.python_version
    if ".".join(map(str, sys.version_info[:2])) == version:
        return None
    found = find_python(version)
    if found is None:
        raise PeerUnavailable(
            f"{peer.package} {peer.version} needs Python {version} and none was found: set "
            f"MLAGENTS_PY{version.replace('.', '')} to its interpreter, install it under "
            f"pyenv, or put python{version} on PATH."
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
        if _is_ready(env_dir, peer.installs, peer.patch_version):
            return _python(env_dir)
        raise
    return cached_venv(
        env_dir,
        *peer.installs,
        base_python=base,
        patch=peer.patch,
        patch_version=peer.patch_version,
    )


def _recorded(installs: Sequence[Sequence[str]], patch_version: str | None = None) -> object:
    # One install is recorded as its plain list, as markers of existing caches have it.
    recorded = list(installs[0]) if len(installs) == 1 else [list(i) for i in installs]
    if patch_version is None:
        return recorded
    return {"installs": recorded, "patch": patch_version}


def _is_ready(
    env_dir: Path, installs: Sequence[Sequence[str]], patch_version: str | None = None
) -> bool:
    marker = env_dir / "ready.json"
    return marker.exists() and json.loads(marker.read_text()) == _recorded(installs, patch_version)


def cached_venv(
    env_dir: Path,
    *installs: Sequence[str],
    base_python: str | None = None,
    patch: Callable[[Path], None] | None = None,
    patch_version: str | None = None,
) -> Path:
    """The interpreter of a virtual environment made by the given pip installs (one list of
    arguments per `pip install`, run in order) and then `patch(interpreter)` if given, built
    on first use and reused while its marker file lists the same installs and patch_version.
    """
    marker = env_dir / "ready.json"
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    # A lock, so that parallel test workers build the environment once.
    with open(env_dir.parent / (env_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_ready(env_dir, installs, patch_version):
            return _python(env_dir)
        base = base_python or sys.executable
        _run_or_fail([base, "-m", "venv", "--clear", str(env_dir)], env_dir)
        for arguments in installs:
            _run_or_fail(
                [str(_python(env_dir)), "-m", "pip", "install", "--quiet", *arguments], env_dir
            )
        if patch is not None:
            patch(_python(env_dir))
        marker.write_text(json.dumps(_recorded(installs, patch_version)))
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
