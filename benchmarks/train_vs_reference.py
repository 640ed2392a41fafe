"""Training speed against the reference trainer: agent steps and wall-clock time to a mean
reward of 90 on 3DBall, our `mlagents-learn` against mlagents 0.28.0's.

Both trainers run, one after the other in the same run, on the same 3DBall executable
(2.x generation, which 0.28 pairs with; it runs this checkout's environment) with the same
config/<trainer>/3DBall.yaml and seed, each over gRPC as a Unity build, each with its own
defaults otherwise (torch threads: ours 1, the reference min(4, cores)). Each is stopped at
its first summary with a mean reward >= the target, or at --max-steps (a cap on the run;
the file's max_steps, which sets the linear schedules, is left as it is). The figures are the
step and the trainer's own "Time Elapsed" of that summary; the ratios are ours / reference.
The reference trainer lives in a virtual environment of its own (devtools/peer_env.py,
built on first use).

    .venv/bin/python benchmarks/train_vs_reference.py [--trainer ppo|sac] [--seeds 1]
        [--target 90] [--max-steps 200000] [--env 3DBall] [--config FILE] [--only ours]

--env and --config run the same comparison on another built-in environment and
configuration (the behavior name in the file must be the environment's); --only runs one
of the two trainers; --group-reward takes the summaries' mean group reward (a group
environment's, such as PushBlock's) instead of their mean reward.

benchmarks/train_ppo.py is this benchmark for PPO, benchmarks/train_sac.py for SAC,
benchmarks/train_curiosity.py for PPO with curiosity on Pyramids and benchmarks/train_poca.py
for MA-POCA on PushBlock.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for devtools, as the other benchmarks do

from devtools.envtest import free_port  # noqa: E402
from devtools.peer_env import PeerUnavailable, reference_trainer  # noqa: E402
from devtools.trainer_runs import (  # noqa: E402
    Summary,
    checkout_interpreter,
    environment,
    learn_command,
    run_learn,
    write_config,
)
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X  # noqa: E402
from mlagents_sim.build import build_executable  # noqa: E402

ENV = "3DBall"


@dataclass
class Outcome:
    """Where one trainer's run reached the target (None: not within the cap)."""

    steps: int | None
    seconds: float | None
    last: Summary | None
    wall: float


def train(
    name: str,
    learn: list[str],
    keep_pythonpath: bool,
    config: Path,
    executable: Path,
    results: Path,
    seed: int,
    target: float,
    max_steps: int,
    num_areas: int = 1,
    group_reward: bool = False,
) -> Outcome:
    def reached(summary: Summary) -> bool:
        value = summary.group_reward if group_reward else summary.reward
        return value is not None and value >= target

    def done(summary: Summary) -> bool:
        return reached(summary) or summary.step >= max_steps

    command = learn_command(
        learn, config, executable, results, f"{name}-{seed}", free_port(), seed, num_areas
    )
    run = run_learn(
        command,
        environment(keep_pythonpath),
        stop=done,
        echo=lambda line: print(f"  {name}: {line.split('] ')[-1]}", flush=True),
    )
    if run.returncode not in (None, 0):
        tail = "".join(run.log[-40:])
        raise SystemExit(f"{name} failed ({run.returncode}):\n{tail}")
    hit = next((s for s in run.summaries if reached(s)), None)
    last = run.summaries[-1] if run.summaries else None
    if hit is None:
        return Outcome(None, None, last, run.wall_seconds)
    return Outcome(hit.step, hit.elapsed, last, run.wall_seconds)


def _describe(outcome: Outcome, max_steps: int) -> str:
    if outcome.steps is None:
        last = outcome.last
        where = "no summary"
        if last is not None:
            where = f"last summary {last.step} steps, reward {last.reward}"
            if last.group_reward is not None:
                where += f", group reward {last.group_reward}"
        return f"not within {max_steps} steps ({where}); {outcome.wall:.1f} s wall"
    return f"{outcome.steps:7d} steps, {outcome.seconds:7.1f} s ({outcome.wall:.1f} s wall)"


def main(
    argv: list[str] | None = None,
    trainer_type: str = "ppo",
    defaults: dict[str, Any] | None = None,
    description: str | None = None,
) -> None:
    """defaults: other defaults of the options, by their dest ("env", "target", ...)."""
    parser = argparse.ArgumentParser(description=description or __doc__.split("\n\n")[0])
    parser.add_argument("--trainer", default=trainer_type, help="config/<trainer>/3DBall.yaml")
    parser.add_argument("--target", type=float, default=90.0)
    parser.add_argument("--max-steps", type=int, default=200_000)
    parser.add_argument("--seeds", type=int, default=1, help="runs per trainer, seeds 0..n-1")
    parser.add_argument("--env", default=ENV, help="a built-in environment")
    parser.add_argument("--config", type=Path, help="default: config/<trainer>/<env>.yaml")
    parser.add_argument("--only", choices=("ours", "reference"), help="run one trainer only")
    parser.add_argument("--num-areas", type=int, default=1, help="areas per executable")
    parser.add_argument("--group-reward", action="store_true", help="judge the mean group reward")
    parser.set_defaults(**(defaults or {}))
    args = parser.parse_args(argv)
    try:
        reference = [str(reference_trainer())]
    except PeerUnavailable as error:
        raise SystemExit(f"The reference trainer is unavailable: {error}") from None
    source = args.config or ROOT / "config" / args.trainer / f"{args.env}.yaml"
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {source}")
    outcomes: dict[str, list[Outcome]] = {"ours": [], "reference": []}
    with tempfile.TemporaryDirectory(prefix="train_vs_reference-") as folder:
        tmp = Path(folder)
        # This checkout's trainer and environment, wherever this script is run from.
        python = str(checkout_interpreter(tmp / "bin"))
        ours = [python, "-m", "mlagents.trainers.learn"]
        executable = build_executable(
            args.env, tmp / "build", python=python, package_version=PACKAGE_VERSION_2X
        )
        # The file as it is: its max_steps sets the schedules (learning rate, beta,
        # epsilon), so a shorter one would change the training; --max-steps only stops it.
        config = write_config(source, tmp / source.name)
        for seed in range(args.seeds):
            for name, learn, keep in (("ours", ours, True), ("reference", reference, False)):
                if args.only not in (None, name):
                    continue
                print(f"{name} (seed {seed}):", flush=True)
                outcome = train(
                    name,
                    learn,
                    keep,
                    config,
                    executable,
                    tmp / "results",
                    seed,
                    args.target,
                    args.max_steps,
                    args.num_areas,
                    args.group_reward,
                )
                outcomes[name].append(outcome)
    measure = "mean group reward" if args.group_reward else "mean reward"
    print(f"\n{args.trainer.upper()} on {args.env}, to a {measure} of {args.target:g}:")
    for name, runs in outcomes.items():
        for seed, outcome in enumerate(runs):
            print(f"  {name:9s} seed {seed}: {_describe(outcome, args.max_steps)}")
    both = [
        (o, r)
        for o, r in zip(outcomes["ours"], outcomes["reference"])
        if o.steps is not None and r.steps is not None
    ]
    if both:
        steps = statistics.mean(o.steps / r.steps for o, r in both)  # type: ignore[operator]
        seconds = statistics.mean(o.seconds / r.seconds for o, r in both)  # type: ignore[operator]
        print(
            f"  ours / reference (mean over {len(both)} seed(s) where both reached it): "
            f"steps {steps:.2f}x, time {seconds:.2f}x"
        )
    else:
        print("  no seed where both reached the target: no ratio")


if __name__ == "__main__":
    main()
