"""Make an executable for an environment of mlagents_sim, to launch as a Unity build:

    python -m mlagents_sim.build 3DBall builds/

writes builds/3DBall.x86_64 (on Linux; builds/3DBall on macOS), a small launcher that runs
the player with this Python interpreter. UnityEnvironment(file_name="builds/3DBall") starts
it like any build.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

from mlagents_envs.codec.generation import check_package_version
from mlagents_envs.env_utils import get_platform
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.catalog import simulation_class


def executable_name(name: str) -> str:
    """The file name of a build called name on this platform."""
    return f"{name}.x86_64" if get_platform() == "linux" else name


def build_executable(
    env: str,
    output_dir: str | os.PathLike[str],
    name: str | None = None,
    python: str | None = None,
    package_version: str | None = None,
) -> Path:
    """Write an executable for env (a built-in name or "package.module:ClassName") into
    output_dir and return its path. python is the interpreter it runs (this one by default);
    package_version the Unity package whose builds it behaves like (the player's default,
    the current generation, when None).
    """
    if get_platform() == "win32":
        raise UnityEnvironmentException(
            "Executables of mlagents_sim are shell launchers, which Windows cannot run as "
            "builds; use the environment in-process (mlagents_sim.InProcessEnv) instead."
        )
    version = ""
    if package_version is not None:
        check_package_version(package_version)
        version = f"--package-version {shlex.quote(package_version)} "
    try:
        simulation_class(env)
    except (ValueError, ImportError) as error:
        raise UnityEnvironmentException(f"Cannot build {env!r}: {error}") from None
    folder = Path(output_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / executable_name(name or env.rpartition(":")[2] or env)
    interpreter = python or sys.executable
    text = (
        "#!/bin/sh\n"
        f"# The mlagents_sim environment {env}, launched like a Unity build.\n"
        f"exec {shlex.quote(interpreter)} -m mlagents_sim.player --env {shlex.quote(env)} "
        f'{version}"$@"\n'
    )
    # Written aside and moved into place whole, so that another process launching the
    # same build never runs a half-written or not yet executable file.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(temporary, 0o755)
    os.replace(temporary, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env", help="a built-in environment, or package.module:ClassName")
    parser.add_argument("output_dir", help="the folder to write the executable into")
    parser.add_argument("--name", help="the file name of the build (default: the env name)")
    parser.add_argument(
        "--package-version",
        help="the Unity package version the build behaves like (default: 3.0.0; 2.x versions "
        "send images channels-last)",
    )
    args = parser.parse_args(argv)
    print(
        build_executable(args.env, args.output_dir, args.name, package_version=args.package_version)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
