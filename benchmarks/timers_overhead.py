"""What a hierarchical timer costs: per timed block, per @timed call, and to import.

    .venv/bin/python benchmarks/timers_overhead.py [--peer PYTHON]

Each figure is the best per-call time over repeated runs (benchmarks/_timing.py), minus
the same call without a timer. --peer PYTHON also runs this script under another Python
whose `mlagents_envs` is ML-Agents' own (the 0.28 reference client's virtual environment,
for instance), so that both implementations are measured in one run. The import figure
includes compiling the module when no bytecode cache is written (PYTHONDONTWRITEBYTECODE).

Measured (2 shared cores, Python 3.11): a block +0.46 us and an @timed call +0.27 us
(ML-Agents 0.28's: +1.05 us and +1.2 us); import 0.4 ms from bytecode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import best_seconds  # noqa: E402


def measure() -> dict[str, float]:
    """Nanoseconds: import, a bare call, and what a timer adds to a block and a call."""
    # Loaded first, so that the import figure is the module's own cost.
    import functools  # noqa: F401
    import threading  # noqa: F401
    import typing  # noqa: F401

    start = time.perf_counter()
    from mlagents_envs import timers

    import_ms = (time.perf_counter() - start) * 1e3

    def work() -> None:
        pass

    timed_work = timers.timed(work)

    def bare_block() -> None:
        work()

    def timed_block() -> None:
        with timers.hierarchical_timer("block"):
            work()

    stack = timers.TimerStack()

    def explicit_stack_block() -> None:
        with timers.hierarchical_timer("block", stack):
            work()

    # Timers nest under an open one, as in a trainer loop.
    with timers.hierarchical_timer("outer"):
        bare = best_seconds(bare_block, budget=1.0, rounds=15)
        block = best_seconds(timed_block, budget=1.0, rounds=15)
        explicit = best_seconds(explicit_stack_block, budget=1.0, rounds=15)
        call = best_seconds(work, budget=1.0, rounds=15)
        timed_call = best_seconds(timed_work, budget=1.0, rounds=15)
    return {
        "import_ms": import_ms,
        "bare_call_ns": call * 1e9,
        "hierarchical_timer_ns": (block - bare) * 1e9,
        "hierarchical_timer_given_stack_ns": (explicit - bare) * 1e9,
        "timed_call_ns": (timed_call - call) * 1e9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", help="a Python whose mlagents_envs is ML-Agents' own")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure()
    if args.json:
        print(json.dumps(figures))
        return
    rows = {"ours": figures}
    if args.peer:
        # Without PYTHONPATH, which may name our package: the peer must import its own.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        out = subprocess.run(
            [args.peer, __file__, "--json"], check=True, capture_output=True, text=True, env=env
        ).stdout
        rows["ML-Agents 0.28"] = json.loads(out)
    for name, row in rows.items():
        print(
            f"{name:>15}: timer block +{row['hierarchical_timer_ns']:.0f} ns "
            f"(given stack +{row['hierarchical_timer_given_stack_ns']:.0f} ns), "
            f"@timed call +{row['timed_call_ns']:.0f} ns "
            f"(bare call {row['bare_call_ns']:.0f} ns), import {row['import_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
