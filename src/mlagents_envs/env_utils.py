"""Finding and launching a built Unity environment executable."""

from __future__ import annotations

import glob
import logging
import os
import shlex
import subprocess
import sys

from mlagents_envs.exception import UnityEnvironmentException

logger = logging.getLogger(__name__)

_EXECUTABLE_SUFFIXES = (".app", ".exe", ".x86_64", ".x86")


def get_platform() -> str:
    """The platform whose build layout to expect: "linux", "darwin" or "win32".

    Old Pythons report "linux2"; Cygwin and MSYS run Windows builds. Other Unix-likes have no
    Unity player of their own and can only run Linux builds, so they map to "linux".
    """
    platform = sys.platform
    if platform == "darwin":
        return "darwin"
    if platform in ("win32", "cygwin", "msys"):
        return "win32"
    return "linux"


def _strip_suffix(path: str) -> str:
    """`path` without one trailing executable suffix (matched case-insensitively: Windows
    users write ".EXE")."""
    lowered = path.lower()
    for suffix in _EXECUTABLE_SUFFIXES:
        if lowered.endswith(suffix):
            return path[: -len(suffix)]
    return path


def _resolve(env_path: str | os.PathLike[str]) -> tuple[str | None, list[str]]:
    """The executable file for `env_path` (or None) and the candidates tried, in order, as
    they should be shown to the user (a glob pattern stays a pattern)."""
    given = os.path.expanduser(os.fspath(env_path))
    # "Env.app/" from shell completion must still name the bundle.
    given = given.rstrip(os.sep + (os.altsep or "")) or given
    base = _strip_suffix(given)
    platform = get_platform()

    tried: list[str] = []

    def accept(candidate: str) -> bool:
        tried.append(candidate)
        return os.path.isfile(candidate)

    # A suffix the user wrote out names the file they mean, over a sibling sharing its stem.
    if given != base and accept(given):
        return given, tried

    if platform == "darwin":
        macos_dir = os.path.join(base + ".app", "Contents", "MacOS")
        if accept(os.path.join(macos_dir, os.path.basename(base))):
            return tried[-1], tried
        # The executable inside a bundle is named after the product, which may differ from the
        # bundle's name when the build was renamed.
        tried.append(os.path.join(macos_dir, "*"))
        for candidate in sorted(glob.glob(os.path.join(glob.escape(macos_dir), "*"))):
            if os.path.isfile(candidate):
                return candidate, tried
        others = [base]
    elif platform == "win32":
        others = [base + ".exe", base]
    else:
        others = [base, base + ".x86_64", base + ".x86"]

    for candidate in others:
        if candidate not in tried and accept(candidate):
            return candidate, tried
    return None, tried


def validate_environment_path(env_path: str | os.PathLike[str]) -> str | None:
    """The path of the environment executable named by `env_path`, or None if there is none.

    `env_path` may carry the platform's executable suffix (".x86_64", ".x86", ".exe", ".app")
    or not, and may start with "~". On macOS a path to a .app bundle resolves to the executable
    inside `Contents/MacOS`.
    """
    return _resolve(env_path)[0]


def launch_executable(
    file_name: str | os.PathLike[str], args: list[str]
) -> subprocess.Popen[bytes]:
    """Start the environment executable named by `file_name` with `args`.

    Raises UnityEnvironmentException, saying what to fix, when there is no such executable, when
    the path is a directory, when the file is not executable, or when the OS refuses to run it.
    """
    path, tried = _resolve(file_name)
    if path is None:
        given = os.path.expanduser(os.fspath(file_name))
        if os.path.isdir(given):
            raise UnityEnvironmentException(
                f"The environment path {given!r} is a directory, not an executable. Pass the "
                "path of the built executable file (on macOS, a .app bundle with an executable "
                "in Contents/MacOS)."
            )
        candidates = "\n".join(f"  {candidate}" for candidate in tried)
        raise UnityEnvironmentException(
            f"Couldn't find the environment executable {given!r} for platform "
            f"{get_platform()!r}. Tried:\n{candidates}\n"
            f"Relative paths are resolved from the current working directory {os.getcwd()!r}. "
            "Check the path, and that the environment was built for this platform."
        )
    if not os.access(path, os.X_OK):
        raise UnityEnvironmentException(
            f"The environment executable {path!r} is not executable. Make it so with "
            f"`chmod +x {shlex.quote(path)}` and try again."
        )

    # Absolute: a bare name ("3DBall.x86_64" in the working directory) would be looked up
    # on PATH instead.
    command = [os.path.abspath(path), *args]
    logger.debug("Launching the environment: %s", shlex.join(command))
    creationflags = 0
    if sys.platform == "win32":
        # Windows has no sessions: a new process group is what keeps Ctrl-C away from the child.
        creationflags = subprocess.CREATE_NEW_PROCESS_GROUP
    try:
        # In its own session, a Ctrl-C in the terminal reaches only Python, which can then close
        # the environment cleanly instead of both dying at once.
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            creationflags=creationflags,
        )
    except OSError as error:
        raise UnityEnvironmentException(
            f"Couldn't launch the environment executable {path!r}: {error}. Check that it is a "
            "build for this platform and that its file system allows running programs."
        ) from error
