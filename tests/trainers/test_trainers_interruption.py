"""Ctrl-C during training (mlagents.trainers.interruption): a SIGINT is held until the loop
asks, raised at once only inside a wait, and never while saving."""

from __future__ import annotations

import os
import signal
import time

import pytest

from mlagents.trainers.interruption import StopRequests


def send_sigint(stop: StopRequests) -> None:
    """SIGINT to this process, returning once the handler has run (a sleep lets it run)."""
    before = stop.count
    os.kill(os.getpid(), signal.SIGINT)
    deadline = time.monotonic() + 10
    while stop.count == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stop.count == before + 1


def test_a_sigint_waits_for_the_loop_to_ask() -> None:
    with StopRequests() as stop:
        send_sigint(stop)  # no KeyboardInterrupt here, in the middle of "work"
        with pytest.raises(KeyboardInterrupt):
            stop.check()


def test_a_sigint_ends_a_wait_at_once() -> None:
    with StopRequests() as stop, pytest.raises(KeyboardInterrupt), stop.interruptible():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)  # what a wait for the environments is
    assert stop.count == 1


def test_a_wait_begun_after_a_sigint_does_not_begin() -> None:
    with StopRequests() as stop:
        send_sigint(stop)
        with pytest.raises(KeyboardInterrupt), stop.interruptible():
            pytest.fail("the wait began although a stop was requested")


def test_sigints_while_saving_are_counted_not_raised() -> None:
    with StopRequests() as stop:
        stop.saving()
        send_sigint(stop)
        with stop.interruptible():  # closing the environments waits too
            send_sigint(stop)
        stop.check()
    assert stop.count == 2


def test_the_previous_handler_comes_back() -> None:
    previous = signal.getsignal(signal.SIGINT)
    with StopRequests():
        assert signal.getsignal(signal.SIGINT) is not previous
    assert signal.getsignal(signal.SIGINT) is previous
