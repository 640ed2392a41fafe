"""The main job's script runs end to end as a user would start it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from devtools.envtest import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_example(policy: str, steps: int) -> tuple[int, float]:
    port = free_port()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "random_3dball.py"),
            "--steps",
            str(steps),
            "--policy",
            policy,
            "--base-port",
            str(port),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "behavior '3DBall?team=0': observations [(8,)], 2 continuous actions, 12 agents" in (
        result.stdout
    )
    assert f"done: {steps} steps" in result.stdout
    last = [line for line in result.stdout.splitlines() if line.startswith(f"step {steps:5d}")]
    episodes = int(re.search(r"episodes\s+(\d+)", last[0]).group(1))
    found = re.search(r"mean return\s+(-?[\d.]+)", last[0])
    return episodes, float(found.group(1)) if found else 0.0


def test_random_policy_drops_balls_and_the_heuristic_keeps_them() -> None:
    episodes, mean_return = run_example("random", 150)
    # Random tilting drops every ball within a few dozen decisions.
    assert episodes >= 12
    assert mean_return < 3
    heuristic_episodes, _ = run_example("heuristic", 150)
    assert heuristic_episodes < episodes / 4
