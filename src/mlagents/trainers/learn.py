"""mlagents-learn: train every behavior of an environment from a trainer config, each with
the trainer its `trainer_type` names (ppo, sac, or one another package registers under the
entry-point group `mlagents.trainer_type`).

    mlagents-learn config/ppo/3DBall.yaml --env 3DBall --run-id ball
    mlagents-learn config/sac/3DBall.yaml --env 3DBall --run-id ball-sac

--env is the path of an executable, or the name of a registry entry ("3DBall"); without
it, the Unity Editor is waited for (press Play). Flags given on the command line override
the file; flags not given leave the file's values. Results go to results/<run-id>/.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from signal import Signals
from typing import Any, NoReturn

from mlagents.trainers.progress import ProgressBar, ProgressLogHandler
from mlagents.trainers.settings import RunOptions, TrainerConfigError, load_config
from mlagents_envs import timers
from mlagents_envs.base_env import BaseEnv
from mlagents_envs.exception import UnityException
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfig
from mlagents_envs.side_channel.side_channel import SideChannel

logger = logging.getLogger("mlagents.trainers.learn")


class RunError(Exception):
    """A run that cannot start as asked (a used run id, nothing to resume, ...)."""


def _parser() -> argparse.ArgumentParser:
    # Every default is SUPPRESS: only the flags the user gave reach the overrides, so the
    # file's values stand for the others.
    parser = argparse.ArgumentParser(
        prog="mlagents-learn",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        argument_default=argparse.SUPPRESS,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("trainer_config_path", nargs="?", default=None, help="the trainer configuration (YAML)")
    add("--env", dest="env_path", help="an executable's path or a registry name; none: Editor")
    add("--run-id", dest="run_id", help="the name of the run's folder under --results-dir")
    add("--resume", action="store_true", help="continue the run from its last checkpoint")
    add("--force", action="store_true", help="overwrite the results of a used run id")
    add("--initialize-from", dest="initialize_from", help="start from another run's weights")
    add("--inference", action="store_true", help="run the policy without training it")
    add("--seed", type=int, help="the run's seed (-1: random)")
    add("--num-envs", dest="num_envs", type=int, help="environments stepped in parallel")
    add("--num-areas", dest="num_areas", type=int, help="training areas per environment")
    add("--base-port", dest="base_port", type=int, help="the first environment's port")
    add("--no-graphics", dest="no_graphics", action="store_true", help="run without graphics")
    add(
        "--no-graphics-monitor",
        dest="no_graphics_monitor",
        action="store_true",
        help="run every environment but the first without graphics",
    )
    add("--results-dir", dest="results_dir", help="where run folders go")
    add("--torch-device", dest="device", help="the torch device (cpu)")
    add("--timeout-wait", dest="timeout_wait", type=int, help="seconds to wait for an env")
    add("--debug", action="store_true", help="log at debug level")
    engine = parser.add_argument_group("engine settings")
    engine.add_argument("--width", type=int)
    engine.add_argument("--height", type=int)
    engine.add_argument("--quality-level", dest="quality_level", type=int)
    engine.add_argument("--time-scale", dest="time_scale", type=float)
    engine.add_argument("--target-frame-rate", dest="target_frame_rate", type=int)
    engine.add_argument("--capture-frame-rate", dest="capture_frame_rate", type=int)
    restarts = parser.add_argument_group("environment restarts")
    restarts.add_argument("--max-lifetime-restarts", dest="max_lifetime_restarts", type=int)
    restarts.add_argument("--restarts-rate-limit-n", dest="restarts_rate_limit_n", type=int)
    restarts.add_argument(
        "--restarts-rate-limit-period-s", dest="restarts_rate_limit_period_s", type=int
    )
    # Last: everything after it goes to the executable.
    add("--env-args", dest="env_args", nargs=argparse.REMAINDER, help="arguments for the env")
    return parser


def parse_command_line(argv: Sequence[str] | None = None) -> RunOptions:
    """The run's options: the file (or the defaults) with the given flags over it."""
    args = vars(_parser().parse_args(argv))
    config_path = args.pop("trainer_config_path")
    if config_path is None:
        return RunOptions.from_dict({}, overrides=args)
    return load_config(config_path, overrides=args)


# Environments.


def create_environment(
    env_path: str | None,
    seed: int,
    num_areas: int,
    no_graphics: bool,
    no_graphics_monitor: bool,
    timeout_wait: int,
    base_port: int,
    env_args: Sequence[str] | None,
    log_folder: str | None,
    worker_id: int,
    side_channels: list[SideChannel],
) -> BaseEnv:
    """Make environment worker_id (in its worker process): a registry entry by name, an
    executable by path, or the Editor when env_path is None."""
    from mlagents_envs.environment import UnityEnvironment

    kwargs: dict[str, Any] = {
        "worker_id": worker_id,
        "base_port": base_port,
        # Environments of one run differ by seed, or parallel copies would repeat each other.
        "seed": seed + worker_id,
        "no_graphics": no_graphics,
        "no_graphics_monitor": no_graphics_monitor,
        "timeout_wait": timeout_wait,
        "additional_args": list(env_args or []),
        "side_channels": side_channels,
        "log_folder": log_folder,
        "num_areas": num_areas,
    }
    entry = _registry_entry(env_path)
    if entry is not None:
        return entry.make(**kwargs)  # type: ignore[no-any-return]
    return UnityEnvironment(file_name=env_path, **kwargs)


def _registry_entry(env_path: str | None) -> Any:
    """The registry entry env_path names, unless it is None or an existing path."""
    if env_path is None or os.path.exists(env_path):
        return None
    from mlagents_envs.registry import default_registry

    try:
        return default_registry[env_path]
    except KeyError:
        return None


def _check_env(env_path: str | None) -> None:
    """Fail before any worker starts when --env names nothing."""
    if env_path is None or _registry_entry(env_path) is not None:
        return
    path = Path(env_path)
    if path.exists() or any(path.parent.glob(path.name + ".*")):
        return  # UnityEnvironment finds builds by their bare name (3DBall -> 3DBall.x86_64)
    raise RunError(
        f"--env {env_path!r}: no such executable, and no registry entry of that name "
        "(mlagents-registry list shows them)."
    )


# Run folders.


def prepare_run_dir(options: RunOptions) -> Path:
    """The run's folder, checked against --resume / --force and made ready."""
    checkpoint = options.checkpoint_settings
    run_dir = checkpoint.write_path
    used = run_dir.is_dir() and any(run_dir.iterdir())
    if checkpoint.resume:
        if not used:
            raise RunError(f"--resume: there is no run {checkpoint.run_id!r} in {run_dir.parent}.")
    elif used:
        if not checkpoint.force:
            raise RunError(
                f"Previous data from run id {checkpoint.run_id!r} was found in {run_dir}. "
                "Use --resume to continue that run, --force to overwrite it, or another "
                "--run-id."
            )
        logger.info("--force: removing the previous results in %s", run_dir)
        shutil.rmtree(run_dir)
    init = checkpoint.maybe_init_path
    if init is not None and not init.is_dir():
        raise RunError(f"--initialize-from: there is no run {checkpoint.initialize_from!r}.")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def run_training(options: RunOptions, progress: ProgressBar | None = None) -> Signals | None:
    """Train as options say (the resolved configuration is written to the run folder);
    progress: where the live progress line goes (none: no progress line). Returns the
    signal that stopped the run early (SIGINT or SIGTERM), if one did."""
    import torch

    from mlagents.trainers.checkpoints import TrainingStatus
    from mlagents.trainers.interruption import StopRequests
    from mlagents.trainers.stats import ConsoleWriter, StatsReporter, TensorboardWriter
    from mlagents.trainers.subprocess_env_manager import SubprocessEnvManager
    from mlagents.trainers.trainer_controller import TrainerController, random_seed

    start_timers(torch.__version__)
    env = options.env_settings
    engine = options.engine_settings
    _check_env(env.env_path)
    run_dir = prepare_run_dir(options)
    options.save(run_dir / "configuration.yaml")
    seed = env.seed if env.seed != -1 else random_seed()
    logger.info("Run %s in %s, seed %d.", options.checkpoint_settings.run_id, run_dir, seed)
    device = options.torch_settings.device
    if device not in (None, "cpu"):
        logger.warning("--torch-device %s: training runs on the CPU here.", device)
    # The networks are small MLPs: one thread per process beats contention between many.
    torch.set_num_threads(1)
    if env.env_path is None:
        logger.info(
            "Listening on port %d: start training by pressing Play in the Editor.", env.base_port
        )
    factory = functools.partial(
        create_environment,
        env.env_path,
        seed,
        env.num_areas,
        engine.no_graphics,
        engine.no_graphics_monitor,
        env.timeout_wait,
        env.base_port,
        env.env_args,
        str(options.checkpoint_settings.run_logs_dir),
    )
    status_path = options.checkpoint_settings.run_logs_dir / "training_status.json"
    status = TrainingStatus.load(status_path)
    StatsReporter.add_writer(ConsoleWriter())
    StatsReporter.add_writer(TensorboardWriter(str(run_dir)))
    # Ctrl-C is held from here to the end of the run: the controller raises it where it
    # is safe, and one that comes while or after it saves does not break the saving.
    with StopRequests() as stop:
        try:
            env_manager = SubprocessEnvManager(
                factory,
                env.num_envs,
                engine_config=EngineConfig(
                    engine.width,
                    engine.height,
                    engine.quality_level,
                    engine.time_scale,
                    engine.target_frame_rate,
                    engine.capture_frame_rate,
                ),
                max_lifetime_restarts=env.max_lifetime_restarts,
                restarts_rate_limit_n=env.restarts_rate_limit_n,
                restarts_rate_limit_period_s=env.restarts_rate_limit_period_s,
            )
            controller = TrainerController(
                options, env_manager, run_dir, status, seed, progress, stop=stop
            )
            controller.start_learning()
        finally:
            stop.saving()
            StatsReporter.remove_writers()
            write_timing_tree(options.checkpoint_settings.run_logs_dir)
    return stop.first


def start_timers(torch_version: str) -> None:
    """Start the timer tree afresh for a run, with the versions ML-Agents records in it."""
    import numpy

    import mlagents.trainers
    import mlagents_envs
    from mlagents_envs.environment import UnityEnvironment

    timers.reset_timers()
    timers.add_metadata("mlagents_version", mlagents.trainers.__version__)
    timers.add_metadata("mlagents_envs_version", mlagents_envs.__version__)
    timers.add_metadata("communication_protocol_version", UnityEnvironment.API_VERSION)
    timers.add_metadata("pytorch_version", torch_version)
    timers.add_metadata("numpy_version", numpy.__version__)


def write_timing_tree(output_dir: Path) -> None:
    """Write the timer tree to output_dir/timers.json, as ML-Agents does at a run's end."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with (output_dir / "timers.json").open("w", encoding="utf-8") as out:
            json.dump(timers.get_timer_tree(), out, indent=4)
    except OSError as error:
        logger.warning("Could not write the timers to %s: %s", output_dir, error)


def _configure_logging(debug: bool, bar: ProgressBar) -> logging.Handler:
    """Log to stdout through bar's handler, which keeps log lines and the progress apart."""
    handler = ProgressLogHandler(bar)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """The mlagents-learn command; returns the exit status."""
    try:
        options = parse_command_line(argv)
    except (TrainerConfigError, OSError) as error:
        print(f"mlagents-learn: error: {error}", file=sys.stderr)
        return 2
    bar = ProgressBar(sys.stdout)
    handler = _configure_logging(options.debug, bar)
    try:
        stopped_by = run_training(options, bar)
    except (RunError, FileNotFoundError, UnityException) as error:
        # What was trained is saved by then (the controller saves on every exit).
        print(f"mlagents-learn: error: {error}", file=sys.stderr)
        return 1
    finally:
        logging.getLogger().removeHandler(handler)
    if stopped_by == signal.SIGTERM:
        # Saved, but the job did not finish: schedulers tell a stopped job by this status.
        return 128 + signal.SIGTERM
    return 0


def cli() -> NoReturn:
    """The mlagents-learn program: main, then exit with its status."""
    try:
        code = main()
    finally:
        # The run is saved (or failed) by now: a Ctrl-C pressed again from here on could
        # only turn the exit into a KeyboardInterrupt traceback (in torch's exit hooks).
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    cli()
