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
