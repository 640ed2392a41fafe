"""The main job's script runs end to end as a user would start it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wire_roundtrip_runs_and_agents_reach_the_goal():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "wire_roundtrip.py"), "--steps", "60"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "environment end received 2 engine settings from Python" in result.stdout
    last = [line for line in result.stdout.splitlines() if line.startswith("step   60/60")]
    assert last, result.stdout
    episodes = int(re.search(r"episodes\s+(\d+)", last[0]).group(1))
    mean_return = float(re.search(r"mean return \(last 50\)\s+(-?[\d.]+)", last[0]).group(1))
    # Agents start at most 18 cells from the goal and mostly walk right: many episodes end
    # within 60 exchanges, each worth close to +1.
    assert episodes > 12
    assert mean_return > 0.5
    assert "done: 60 exchanges" in result.stdout
