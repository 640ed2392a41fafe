"""ML-Agents' logging helpers: `get_logger`, `set_log_level` and the level constants.

The library logs with `logging.getLogger(__name__)` under the `mlagents_envs`, `mlagents` and
`mlagents_sim` packages and adds no handler of its own. Scripts written for ML-Agents call
`set_log_level` to see what it does: that sets the level of those packages' loggers and of
every logger made with `get_logger`, and prints their records as ML-Agents does, as
"[LEVEL] message" on standard output (at DEBUG, with the time and the source line).

That printing stands in only while the application has not configured logging itself: once
the root logger has a handler (`logging.basicConfig`, mlagents-learn, pytest), records go
there alone instead of being printed twice.
"""

from __future__ import annotations

import logging
import sys

CRITICAL = logging.CRITICAL
FATAL = logging.FATAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG
NOTSET = logging.NOTSET

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DEBUG_LOG_FORMAT = "%(asctime)s %(levelname)s [%(filename)s:%(lineno)d] %(message)s"
LOG_FORMAT = "[%(levelname)s] %(message)s"

#: The packages whose loggers set_log_level governs, as ML-Agents' governs all of its own.
PACKAGES = ("mlagents_envs", "mlagents", "mlagents_sim")


class _StandOutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Prints to the current sys.stdout, once per record however many of the loggers it
    is attached to the record passes, and only while the root logger has no handler."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Called with the handler's lock held, so _last is safe across threads.
        if record is self._last or logging.getLogger().handlers:
            return
        self._last = record
        # The stdout of the moment: scripts and tests redirect it after import.
        self.stream = sys.stdout
        super().emit(record)


_handler = _StandOutHandler()
_handler.setFormatter(logging.Formatter(LOG_FORMAT))
_loggers: set[logging.Logger] = set()
_log_level = NOTSET


def get_logger(name: str) -> logging.Logger:
    """The logger `name`, printing as ML-Agents' do and at the level of set_log_level."""
    logger = logging.getLogger(name)
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    if _log_level != NOTSET:
        logger.setLevel(_log_level)
    _loggers.add(logger)
    return logger


def set_log_level(log_level: int) -> None:
    """Set the level of ML-Agents' loggers (the packages' and get_logger's); DEBUG also
    shows the time and source line of each record."""
    global _log_level
    _log_level = log_level
    for name in PACKAGES:
        get_logger(name)
    for logger in _loggers:
        logger.setLevel(log_level)
    if log_level == DEBUG:
        _handler.setFormatter(logging.Formatter(DEBUG_LOG_FORMAT, datefmt=DATE_FORMAT))
    else:
        _handler.setFormatter(logging.Formatter(LOG_FORMAT))
