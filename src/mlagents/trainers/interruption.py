"""Ctrl-C during training, raised only where it is safe.

Python raises KeyboardInterrupt between any two bytecodes of the main thread. Raised inside
`queue.Queue.put` (TensorBoard's event writer calls it on every summary) it leaves the
queue's condition variable broken, and closing the writer then waits forever: a Ctrl-C at
that moment hung `mlagents-learn` with nothing saved. So while training, SIGINT only records
the request; the training loop raises KeyboardInterrupt at the top of its next iteration, or
at once while it waits for the environments (`interruptible()`), where nothing is half done.
Further Ctrl-Cs while the checkpoint and model are written are counted, not raised, so that
they cannot leave a half-written model behind.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["StopRequests"]


class StopRequests:
    """Counts SIGINTs while installed (`with StopRequests() as stop:`); outside the main
    thread, where Python cannot install a handler, it leaves SIGINT as it is."""

    def __init__(self) -> None:
        #: SIGINTs received while installed.
        self.count = 0
        self._in_wait = False
        self._saving = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self._in_wait and not self._saving:
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if a stop was requested and saving has not begun."""
        if self.count and not self._saving:
            raise KeyboardInterrupt

    def saving(self) -> None:
        """From now on, count SIGINTs without raising: what is being saved gets saved."""
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
