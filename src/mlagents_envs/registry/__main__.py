"""The registry from the command line.

mlagents-registry list                 # the environments, their rewards and summaries
mlagents-registry launch 3DBall        # start one and step it with random actions
mlagents-registry --manifest URL ...   # also read the environments of a manifest
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from mlagents_envs.registry.unity_env_registry import default_registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlagents-registry", description=__doc__)
    parser.add_argument("--manifest", action="append", default=[], help="a manifest path/URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the environments")
    launch = commands.add_parser("launch", help="start an environment and step it randomly")
    launch.add_argument("identifier")
    launch.add_argument("--steps", type=int, default=100)
    launch.add_argument("--seed", type=int, default=0)
    launch.add_argument("--base-port", type=int, default=None)
    launch.add_argument("--num-areas", type=int, default=1)
    args = parser.parse_args(argv)

    for manifest in args.manifest:
        default_registry.register_from_yaml(manifest)
    if args.command == "list":
        for identifier in sorted(default_registry):
            entry = default_registry[identifier]
            summary = (entry.description or "").strip().splitlines()
            reward = "-" if entry.expected_reward is None else f"{entry.expected_reward:g}"
            print(f"{identifier:24s} expected reward {reward:>6s}  {summary[0] if summary else ''}")
        return 0
    entry = default_registry[args.identifier]
    kwargs = {"seed": args.seed, "num_areas": args.num_areas, "no_graphics": True}
    if args.base_port is not None:
        kwargs["base_port"] = args.base_port
    rng = np.random.default_rng(args.seed)
    with entry.make(**kwargs) as env:
        env.reset()
        print(f"{args.identifier}: behaviors {sorted(env.behavior_specs)}")
        ended = 0
        for _ in range(args.steps):
            for name, spec in env.behavior_specs.items():
                decision, terminal = env.get_steps(name)
                ended += len(terminal)
                env.set_actions(name, spec.action_spec.random_action(len(decision), rng))
            env.step()
        print(f"{args.steps} steps with random actions, {ended} episodes ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())
