"""Logs as an ML-Agents script does, for the logging tests: python compat_logging_script.py
MODE, where MODE is "script" (only get_logger and set_log_level, so that ML-Agents' module
runs it too), "library" (our library's own loggers as well) or "configured" (the
application configured logging first)."""

from __future__ import annotations

import logging
import sys

from mlagents_envs import logging_util


def main() -> None:
    mode = sys.argv[1]
    if mode == "configured":
        logging.basicConfig(stream=sys.stderr, format="root: %(name)s %(message)s")
    mine = logging_util.get_logger("myscript")
    mine.debug("hidden: the level is not set yet")
    mine.warning("a warning")
    logging_util.set_log_level(logging_util.INFO)
    mine.info("an info")
    mine.debug("hidden: below INFO")
    if mode in ("library", "configured"):
        library = logging.getLogger("mlagents_envs.environment")
        library.info("from the library")
        library.debug("hidden: library below INFO")
        logging.getLogger("mlagents.trainers.learn").info("from the trainers")
        logging.getLogger("elsewhere").info("hidden: not ours")
    logging_util.set_log_level(logging_util.DEBUG)
    mine.debug("a debug line")
    later = logging_util.get_logger("later")
    later.debug("made after set_log_level")
    if mode in ("library", "configured"):
        logging.getLogger("mlagents_sim.academy").debug("library debug")
    logging_util.set_log_level(logging_util.WARNING)
    mine.info("hidden: below WARNING")
    later.error("an error")


if __name__ == "__main__":
    main()
