"""Timing shared by our side and the peer's (plain Python, loaded by path on both sides)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_seconds(fn: Callable[[], object], budget: float = 0.6, rounds: int = 5) -> float:
    """The fastest time of one call of fn, over rounds of repeated calls within budget.

    The minimum is the figure least disturbed by other work on a noisy machine.
    """
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(budget / rounds / once))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def steps_digest(decision: object, terminal: object) -> str:
    """A digest of the arrays of decoded DecisionSteps and TerminalSteps (any client's),
    so that the sides of a benchmark can show they decoded the same thing."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()

    def add(value: object) -> None:
        array = np.ascontiguousarray(value)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())

    for steps in (decision, terminal):
        for obs in steps.obs:  # type: ignore[attr-defined]
            add(obs)
        add(steps.reward)  # type: ignore[attr-defined]
        add(steps.agent_id)  # type: ignore[attr-defined]
        # Upstream gives group ids as a list of ints.
        add(np.asarray(steps.group_id, dtype=np.int32))  # type: ignore[attr-defined]
        add(steps.group_reward)  # type: ignore[attr-defined]
    add(terminal.interrupted)  # type: ignore[attr-defined]
    for mask in decision.action_mask or []:  # type: ignore[attr-defined]
        add(mask)
    return digest.hexdigest()
