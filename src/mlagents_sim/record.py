"""Record expert demonstrations: a built-in environment played by its scripted policy.

    python -m mlagents_sim.record --env Basic --steps 1000 --out demos/ExpertBasic.demo

runs the environment in this process with the scripted policies of mlagents_sim.experts for
every behavior, records --agents agents (1 by default) of --behavior (the first by default)
until each has --steps steps, and prints the files written. --seed seeds the environment;
--package-version records images in that Unity generation's layout (2.x: height, width,
channels, which the ML-Agents 0.28 trainer reads).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from mlagents_envs.codec.generation import PACKAGE_VERSION_3X, check_package_version
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.catalog import make_simulation
from mlagents_sim.demonstrations import DemonstrationRecorder
from mlagents_sim.experts import act
from mlagents_sim.in_process import InProcessEnv

#: Outputs allowed per recorded step before giving up (a behavior whose agents never ask).
_PATIENCE = 50


def record_expert(
    env_name: str,
    out: str | os.PathLike[str],
    steps: int,
    *,
    seed: int = 0,
    package_version: str = PACKAGE_VERSION_3X,
    behavior: str | None = None,
    agents: int = 1,
) -> list[Path]:
    """Record `steps` steps of `agents` agents of env_name played by its scripted policy
    into out (a .demo file or a folder); the files written."""
    if steps < 1:
        raise UnityEnvironmentException(f"steps={steps} must be at least 1.")
    recorder = DemonstrationRecorder(out, behavior=behavior, agents=agents, max_steps=steps)
    sim = make_simulation(env_name, seed=seed)
    with InProcessEnv(sim, package_version=package_version, record_demo=recorder) as env:
        env.reset()
        for _ in range(_PATIENCE * steps + 1000):
            if recorder.done:
                break
            act(env, env_name)
            env.step()
        else:
            raise UnityEnvironmentException(
                f"{env_name}: recorded only {recorder.steps} of {steps} steps of "
                f"{recorder.behavior or 'its first behavior'}; do its agents ask for decisions?"
            )
    return recorder.paths


def ensure_expert_demo(
    env_name: str,
    folder: str | os.PathLike[str],
    steps: int = 2000,
    *,
    seed: int = 0,
    package_version: str = PACKAGE_VERSION_3X,
) -> Path:
    """folder/Expert<env_name>.demo, recorded from the scripted policy on first use (one
    agent of the first behavior). An existing file is returned as it is."""
    folder = Path(folder)
    path = folder / f"Expert{env_name}.demo"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    # Recorded aside and moved into place whole: a parallel caller never sees half a file.
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        (written,) = record_expert(
            env_name,
            Path(scratch) / path.name,
            steps,
            seed=seed,
            package_version=package_version,
        )
        os.replace(written, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="a built-in environment")
    parser.add_argument("--steps", type=int, required=True, help="steps to record per agent")
    parser.add_argument("--out", required=True, help="a .demo file, or a folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--package-version", default=PACKAGE_VERSION_3X)
    parser.add_argument("--behavior", help="the behavior to record (default: the first)")
    parser.add_argument("--agents", type=int, default=1, help="agents to record, a file each")
    args = parser.parse_args(argv)
    try:
        check_package_version(args.package_version)
        paths = record_expert(
            args.env,
            args.out,
            args.steps,
            seed=args.seed,
            package_version=args.package_version,
            behavior=args.behavior,
            agents=args.agents,
        )
    except (UnityEnvironmentException, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
