"""Runs of an `mlagents-learn` (ours or the reference trainer) on an executable, and their
summary lines, for tests and benchmarks that compare trainers.

Both trainers log one line per summary period, "<behavior>. Step: N. Time Elapsed: T s.
Mean Reward: R. ..." (or "No episode was completed ..."), on stdout or stderr.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_SUMMARY = re.compile(
    r"Step: (?P<step>\d+)\. Time Elapsed: (?P<time>[\d.]+) s\."
    r"(?: Mean Reward: (?P<reward>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?))?"
    r"(?:\. Mean Group Reward: (?P<group>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?))?"
)


@dataclass(frozen=True)
class Summary:
    """One summary line: agent steps, the trainer's seconds since it started, mean reward
    (None when no episode ended in the period) and, in a group environment, mean group
    reward."""

    step: int
    elapsed: float
    reward: float | None
    group_reward: float | None = None


def parse_summary(line: str) -> Summary | None:
    """The summary in a log line, or None when the line is not one."""
    match = _SUMMARY.search(line)
    if match is None:
        return None
    reward, group = match["reward"], match["group"]
    return Summary(
        int(match["step"]),
        float(match["time"]),
        None if reward is None else float(reward),
        None if group is None else float(group),
    )


def write_config(
    source: Path, destination: Path, overrides: Mapping[str, Any] | None = None
) -> Path:
    """Copy a trainer configuration with some settings of every behavior replaced (for
    example {"max_steps": 5000})."""
    config = yaml.safe_load(source.read_text())
    for settings in config["behaviors"].values():
        settings.update(overrides or {})
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(yaml.safe_dump(config, sort_keys=False))
    return destination


def learn_command(
    learn: Sequence[str],
    config: Path,
    executable: Path,
    results_dir: Path,
    run_id: str,
    base_port: int,
    seed: int = 0,
    num_areas: int = 1,
) -> list[str]:
    """The command line of a training run, with the options both trainers share."""
    return [
        *learn,
        str(config),
        f"--env={executable}",
        f"--run-id={run_id}",
        f"--results-dir={results_dir}",
        f"--base-port={base_port}",
        f"--seed={seed}",
        f"--num-areas={num_areas}",
        "--no-graphics",
        "--force",
    ]


def environment(keep_pythonpath: bool) -> dict[str, str]:
    """This process's environment; without PYTHONPATH for the reference trainer, which must
    never import our packages (they share its package names)."""
    return {k: v for k, v in os.environ.items() if keep_pythonpath or k != "PYTHONPATH"}


def checkout_interpreter(folder: Path) -> Path:
    """A launcher of this interpreter with this checkout's src/ first on its path, to build
    executables with (build_executable's python): an executable then runs this checkout's
    environments whichever trainer launches it, with or without PYTHONPATH."""
    src = Path(__file__).resolve().parent.parent / "src"
    folder.mkdir(parents=True, exist_ok=True)
    launcher = folder / "python-checkout"
    launcher.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(src))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(sys.executable)} "$@"\n'
    )
    launcher.chmod(0o755)
    return launcher


@dataclass
class Run:
    """What a training run left: its return code (None when stopped), log and summaries."""

    returncode: int | None
    log: list[str]
    summaries: list[Summary]
    wall_seconds: float


def run_learn(
    command: Sequence[str],
    env: Mapping[str, str],
    stop: Callable[[Summary], bool] = lambda summary: False,
    timeout: float = 3600,
    echo: Callable[[str], None] | None = None,
) -> Run:
    """Run a trainer to its end, or until stop(summary) is true (then the trainer and the
    environments it started are ended: they run in a process group of their own)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env),
        start_new_session=True,
    )
    log: list[str] = []
    summaries: list[Summary] = []
    stopped = False
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            summary = parse_summary(line)
            if summary is None:
                continue
            summaries.append(summary)
            if echo is not None:
                echo(line.rstrip())
            if stop(summary):
                stopped = True
                break
            if time.perf_counter() - start > timeout:
                break
    finally:
        wall = time.perf_counter() - start
        if process.poll() is None:
            _end_group(process)
        process.wait()
    return Run(None if stopped else process.returncode, log, summaries, wall)


def _end_group(process: subprocess.Popen) -> None:
    # The trainer's group holds the environment executables it launched.
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 15.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
