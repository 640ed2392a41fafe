"""The player: runs one environment of mlagents_sim the way a Unity build runs.

    python -m mlagents_sim.player --env 3DBall --mlagents-port 5005 -nographics -batchmode

It takes the arguments Unity builds take (`--mlagents-port N`, `-nographics`, `-batchmode`,
`-logFile F`; any other Unity flag is accepted and ignored) plus `--env NAME`, where NAME is
a built-in environment or "package.module:ClassName", and `--package-version VERSION`, the
com.unity.ml-agents version whose builds it behaves like (3.0.0 by default: images
channels-first; 2.x versions send them channels-last). Executables made by
`mlagents_sim.build` call it, so UnityEnvironment(file_name=...) starts it as a build.
A scene may read options of its own from the other arguments (its Simulation's
`command_line_options`: SoccerTwos' `--opponent-skill S`).

Recording demonstrations while a trainer or a script drives it (as a Demonstration Recorder
component on an agent does in Unity; see mlagents_sim.demonstrations):

    --record-demo PATH             a .demo file, or a folder for files named after the behavior
    --record-demo-behavior NAME    the behavior to record (default: the first)
    --record-demo-agents N         record N agents, one file each (default: 1)
    --record-demo-steps N          stop after N steps per agent (default: 0, until it quits)

The files are complete when the environment quits (UnityEnvironment.close()) or reaches
--record-demo-steps.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlagents_envs.codec.generation import PACKAGE_VERSION_3X, check_package_version
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.catalog import simulation_class
from mlagents_sim.demonstrations import DemonstrationRecorder
from mlagents_sim.remote import RemoteSession

logger = logging.getLogger("mlagents_sim.player")

# What a Unity build listens to when no port is given: the Editor's port.
DEFAULT_PORT = 5004


@dataclass
class PlayerArgs:
    env: str | None = None
    port: int = DEFAULT_PORT
    no_graphics: bool = False
    batch_mode: bool = False
    log_file: str | None = None
    connect_timeout: float = 30.0
    package_version: str = PACKAGE_VERSION_3X
    record_demo: str | None = None
    record_demo_behavior: str | None = None
    record_demo_agents: int = 1
    record_demo_steps: int = 0
    ignored: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str]) -> PlayerArgs:
    """Read Unity-style arguments. Unity matches its single-dash flags case-insensitively,
    and so does this; unknown flags are kept in `ignored`."""
    args = PlayerArgs()
    items = list(argv)
    i = 0

    def value(flag: str) -> str:
        if i + 1 >= len(items):
            raise SystemExit(f"{flag} needs a value")
        return items[i + 1]

    def count(flag: str, minimum: int = 0) -> int:
        try:
            number = int(value(flag))
        except ValueError:
            raise SystemExit(f"{flag} needs an integer, got {items[i + 1]!r}") from None
        if number < minimum:
            raise SystemExit(f"{flag} needs a number >= {minimum}, got {number}")
        return number

    while i < len(items):
        item = items[i]
        key = item.lower()
        if key in ("--env", "-env"):
            args.env = value(item)
            i += 1
        elif key in ("--mlagents-port", "-mlagents-port"):
            try:
                args.port = int(value(item))
            except ValueError:
                raise SystemExit(f"{item} needs an integer, got {items[i + 1]!r}") from None
            i += 1
        elif key == "--package-version":
            try:
                args.package_version = check_package_version(value(item))
            except UnityEnvironmentException as error:
                raise SystemExit(f"{item}: {error}") from None
            i += 1
        elif key == "--record-demo":
            args.record_demo = value(item)
            i += 1
        elif key == "--record-demo-behavior":
            args.record_demo_behavior = value(item)
            i += 1
        elif key == "--record-demo-agents":
            args.record_demo_agents = count(item, minimum=1)
            i += 1
        elif key == "--record-demo-steps":
            args.record_demo_steps = count(item)
            i += 1
        elif key == "--connect-timeout":
            args.connect_timeout = float(value(item))
            i += 1
        elif key == "-nographics":
            args.no_graphics = True
        elif key == "-batchmode":
            args.batch_mode = True
        elif key == "-logfile":
            # Unity allows -logFile with no path (log to stdout); so does this.
            nxt = items[i + 1] if i + 1 < len(items) else None
            if nxt is not None and not nxt.startswith("-"):
                args.log_file = nxt
                i += 1
            else:
                args.log_file = "-"
        else:
            args.ignored.append(item)
        i += 1
    return args


def _configure_logging(log_file: str | None) -> None:
    handler: logging.Handler
    if log_file and log_file != "-":
        try:
            os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
            handler = logging.FileHandler(log_file, mode="w", encoding="utf-8")
        except OSError as error:
            # As a Unity player does: no log file is no reason not to run.
            print(
                f"Cannot write the log file {log_file} ({error}); logging to stderr.",
                file=sys.stderr,
            )
            handler = logging.StreamHandler(sys.stderr)
    else:
        handler = logging.StreamHandler(sys.stdout if log_file == "-" else sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    _configure_logging(args.log_file)
    if args.env is None:
        logger.error("No environment chosen: pass --env NAME.")
        return 2
    try:
        cls = simulation_class(args.env)
    except (ValueError, ImportError) as error:
        logger.error("%s", error)
        return 2
    try:
        options, args.ignored = cls.command_line_options(args.ignored)
    except ValueError as error:
        logger.error("%s", error)
        return 2
    if args.ignored:
        logger.info("Ignoring arguments: %s", " ".join(args.ignored))
    logger.info(
        "Environment %s (Unity package %s) connecting to the trainer on port %d.",
        args.env,
        args.package_version,
        args.port,
    )
    recorder = None
    if args.record_demo is not None:
        recorder = DemonstrationRecorder(
            args.record_demo,
            behavior=args.record_demo_behavior,
            agents=args.record_demo_agents,
            max_steps=args.record_demo_steps,
        )
    session = RemoteSession(
        port=args.port,
        name=args.env,
        factory=lambda seed, areas: cls(seed=seed, num_areas=areas, **options),
        connect_timeout=args.connect_timeout,
        package_version=args.package_version,
        demo_recorder=recorder,
    )
    try:
        session.run()
    except Exception:
        logger.exception("The environment failed.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
