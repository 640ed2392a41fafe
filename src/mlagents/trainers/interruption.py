"""Ctrl-C (SIGINT) and SIGTERM during training, acted on only where it is safe.

Python raises KeyboardInterrupt between any two bytecodes of the main thread. Raised inside
`queue.Queue.put` (TensorBoard's event writer calls it on every summary) it leaves the
queue's condition variable broken, and closing the writer then waits forever: a Ctrl-C at
that moment hung `mlagents-learn` with nothing saved. So while training, a signal only
records the request; the training loop raises KeyboardInterrupt at the top of its next
iteration, or at once while it waits for the environments (`interruptible()`), where nothing
is half done. Further signals while the checkpoint and model are written are counted, not
raised, so that they cannot leave a half-written model behind.

SIGTERM (what `docker stop`, Kubernetes and cluster schedulers send before they kill) is
handled as Ctrl-C is, so that a stopped job keeps what it trained; by default it would end
the process at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["StopRequests"]


#: The signals handled.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequests:
    """Counts SIGINTs and SIGTERMs while installed (`with StopRequests() as stop:`);
    outside the main thread, where Python cannot install a handler, it leaves them as they
    are."""

    def __init__(self) -> None:
        #: Signals received while installed.
        self.count = 0
        #: The first one received (None: none yet).
        self.first: signal.Signals | None = None
        self._in_wait = False
        self._saving = False
        self._previous: dict[int, Any] = {}
        self._depth = 0  # nested `with`s: the outermost installs and restores

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            if self._depth == 0:
                for number in SIGNALS:
                    self._previous[number] = signal.signal(number, self._on_signal)
            self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._depth:
            self._depth -= 1
            if self._depth == 0:
                for number, previous in self._previous.items():
                    signal.signal(number, previous)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.first is None:
            self.first = signal.Signals(signum)
        if self._in_wait and not self._saving:
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if a stop was requested and saving has not begun."""
        if self.count and not self._saving:
            raise KeyboardInterrupt

    def saving(self) -> None:
        """From now on, count signals without raising: what is being saved gets saved."""
        self._saving = True

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A blocking wait that a Ctrl-C may end at once (with KeyboardInterrupt)."""
        self.check()
        self._in_wait = True
        try:
            yield
        finally:
            self._in_wait = False
