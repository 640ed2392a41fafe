"""mlagents-learn on the registry's Basic executable, as the tests of whole runs call it."""

from __future__ import annotations

from pathlib import Path

from devtools.envtest import free_port
from mlagents.trainers.learn import main


def learn_basic(config: Path, results: Path, *flags: str) -> int:
    """Run mlagents-learn with config on Basic (seed 1, a free port, no graphics), results
    under results; flags are added last. Its exit status."""
    command = [str(config), "--env", "Basic", "--results-dir", str(results)]
    command += ["--base-port", str(free_port()), "--no-graphics", "--seed", "1"]
    return main([*command, *flags])
