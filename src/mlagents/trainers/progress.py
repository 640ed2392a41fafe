"""Console progress: a compact live line per behavior (steps, steps/s, reward, time left).

On a terminal the lines are rewritten in place with a carriage return; in a plain log (a
file, a pipe, CI) a carriage return would pile up unreadable text, so the lines are printed
as ordinary lines at most every `log_interval` seconds instead. Log records go through
`ProgressLogHandler`, which clears the live line first so that the two do not mix.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass
class _Behavior:
    max_steps: int
    start_step: int
    start_time: float = field(default_factory=time.monotonic)
    step: int = 0
    reward: tuple[float, float] | None = None  # mean, std
    elo: float | None = None  # self-play's rating of the learning policy


class ProgressBar:
    """The live progress of every behavior, drawn on stream."""

    WIDTH = 20

    def __init__(
        self,
        stream: TextIO | None = None,
        live: bool | None = None,
        refresh: float = 0.25,
        log_interval: float = 30.0,
    ) -> None:
        self.stream = stream or sys.stdout
        # A carriage return only where something will redraw over it: a terminal.
        self.live = self.stream.isatty() if live is None else live
        self.interval = refresh if self.live else log_interval
        self._behaviors: dict[str, _Behavior] = {}
        self._last_draw = -math.inf
        self._shown = False

    def add(self, name: str, step: int, max_steps: int) -> None:
        self._behaviors[name] = _Behavior(max_steps=max_steps, start_step=step, step=step)

    def update(
        self,
        name: str,
        step: int,
        reward: tuple[float, float] | None = None,
        elo: float | None = None,
    ) -> None:
        """Record name's progress (drawn by the next tick); elo for self-play."""
        behavior = self._behaviors[name]
        behavior.step = step
        if reward is not None:
            behavior.reward = reward
        if elo is not None:
            behavior.elo = elo

    def tick(self, force: bool = False) -> None:
        """Redraw when the refresh interval has passed (or force)."""
        now = time.monotonic()
        if force or now - self._last_draw >= self.interval:
            self._last_draw = now
            self.draw()

    def line(self, name: str) -> str:
        """The progress line of one behavior."""
        b = self._behaviors[name]
        fraction = min(b.step / b.max_steps, 1.0) if b.max_steps else 1.0
        filled = round(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.monotonic() - b.start_time
        rate = (b.step - b.start_step) / elapsed if elapsed > 0 else 0.0
        left = (b.max_steps - b.step) / rate if rate > 0 else math.inf
        reward = f"reward {b.reward[0]:.3f} ± {b.reward[1]:.3f}" if b.reward else "reward -"
        if b.elo is not None:
            reward += f", ELO {b.elo:.1f}"
        return (
            f"{name} [{bar}] {fraction:4.0%} {b.step}/{b.max_steps} steps, "
            f"{rate:,.0f} steps/s, {reward}, {_duration(left)} left"
        )

    def draw(self) -> None:
        if not self._behaviors:
            return
        text = " | ".join(self.line(name) for name in self._behaviors)
        if self.live:
            # \x1b[K erases what a longer previous line left to the right.
            self.stream.write("\r" + text + "\x1b[K")
            self._shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the live line (before something else is printed)."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def finish(self) -> None:
        """End the live line (after a last draw)."""
        if self.live and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


class ProgressLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that clears the live progress line before each record and redraws
    it after, so that log lines stay whole."""

    def __init__(self, bar: ProgressBar, stream: TextIO | None = None) -> None:
        super().__init__(stream or bar.stream)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        live = self.bar.live and self.bar._shown
        self.bar.clear()
        super().emit(record)
        if live:
            self.bar.draw()
