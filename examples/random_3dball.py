"""3DBall as an executable, driven through UnityEnvironment with a random policy.

This is what a script written for a Unity build does, against the 3DBall of mlagents_sim:
the executable is launched with the arguments a Unity build gets, the handshake and every
step go over gRPC on the loopback address, and the engine settings go through the engine
configuration side channel. Run it with `bash scripts/run.sh` (until training lands, this
is the main job); `--policy heuristic` swaps in a hand-written balancing controller.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import deque

import numpy as np

from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_sim.build import build_executable
from mlagents_sim.envs.ball3d import balance_heuristic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="environment steps to run")
    parser.add_argument("--policy", choices=["random", "heuristic"], default="random")
    parser.add_argument("--num-areas", type=int, default=1, help="12 agents per area")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--base-port", type=int, default=UnityEnvironment.BASE_ENVIRONMENT_PORT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        executable = build_executable("3DBall", folder)
        print(f"launching {executable.name} (an mlagents_sim build) on port {args.base_port}")
        engine = EngineConfigurationChannel()
        engine.set_configuration_parameters(time_scale=20.0)
        with UnityEnvironment(
            str(executable),
            seed=args.seed,
            no_graphics=True,
            base_port=args.base_port,
            num_areas=args.num_areas,
            side_channels=[engine],
        ) as env:
            run(env, args)


def run(env: UnityEnvironment, args: argparse.Namespace) -> None:
    env.reset()
    (name,) = env.behavior_specs
    spec = env.behavior_specs[name]
    print(
        f"behavior {name!r}: observations {[o.shape for o in spec.observation_specs]}, "
        f"{spec.action_spec.continuous_size} continuous actions, "
        f"{len(env.get_steps(name)[0])} agents"
    )
    rng = np.random.default_rng(args.seed)
    returns: dict[int, float] = {}
    lengths: dict[int, int] = {}
    finished: deque[tuple[float, int]] = deque(maxlen=100)
    episodes = 0
    start = time.perf_counter()
    report_every = max(1, args.steps // 10)
    for step in range(1, args.steps + 1):
        decision, terminal = env.get_steps(name)
        for agent, reward in zip(terminal.agent_id.tolist(), terminal.reward.tolist()):
            finished.append((returns.pop(agent, 0.0) + reward, lengths.pop(agent, 0)))
            episodes += 1
        for agent, reward in zip(decision.agent_id.tolist(), decision.reward.tolist()):
            returns[agent] = returns.get(agent, 0.0) + reward
            lengths[agent] = lengths.get(agent, 0) + 1
        if args.policy == "heuristic":
            actions = spec.action_spec.empty_action(len(decision))
            actions.continuous[:] = balance_heuristic(decision.obs[0])
        else:
            actions = spec.action_spec.random_action(len(decision), rng)
        env.set_actions(name, actions)
        env.step()
        if step % report_every == 0 or step == args.steps:
            rate = step / (time.perf_counter() - start)
            if finished:
                mean_return = np.mean([r for r, _ in finished])
                mean_length = np.mean([n for _, n in finished])
                summary = f"mean return {mean_return:6.2f}, mean length {mean_length:6.1f}"
            else:
                summary = "no episode finished yet"
            print(
                f"step {step:5d}/{args.steps}  {rate:6.0f} steps/s  episodes {episodes:4d}  "
                f"{summary} (last 100 episodes)"
            )
    print(f"done: {args.steps} steps, {episodes} episodes finished, environment closed")


if __name__ == "__main__":
    main()
