"""Expert demonstrations for the GAIL and behavioral-cloning tests: a built-in environment
played in-process by its scripted policy, each agent written to a .demo file of its own as
Unity's Demonstration Recorder writes one (each step's agent info paired with the action the
agent held when it reported: its previous decision's, zeros at an episode's start).

The bytes are laid out by `demo_files` (the loader tests' writer) from the wire codec's
messages; mlagents_sim's recorder, once merged, can take its place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlagents_envs.base_env import ActionTuple, BehaviorSpec
from mlagents_envs.codec import actions_to_proto, behavior_spec_to_proto, steps_to_proto
from mlagents_envs.communicator_objects.agent_info_action_pair_pb2 import (
    AgentInfoActionPairProto,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.envs.ball3d import balance_heuristic
from mlagents_sim.envs.basic import basic_heuristic
from mlagents_sim.in_process import InProcessEnv
from tests.trainers.demo_files import demo_bytes, meta

#: The scripted policy of each environment recorded here, from observations to actions.
EXPERTS: dict[str, Callable[[list[np.ndarray]], ActionTuple]] = {
    "Basic": lambda obs: ActionTuple(discrete=basic_heuristic(obs[0]).astype(np.int32)),
    "3DBall": lambda obs: ActionTuple(continuous=balance_heuristic(obs[0])),
}


def _zeros(spec: BehaviorSpec) -> ActionTuple:
    return spec.action_spec.empty_action(1)


def record_expert(name: str, folder: Path, steps: int, seed: int = 0) -> Path:
    """Play environment name for steps with its expert; folder, holding one .demo file per
    agent."""
    folder.mkdir(parents=True, exist_ok=True)
    env = InProcessEnv(make_simulation(name, seed=seed))
    env.reset()
    behavior, spec = next(iter(env.behavior_specs.items()))
    pairs: dict[int, list[AgentInfoActionPairProto]] = {}
    held: dict[int, ActionTuple] = {}
    episodes: dict[int, int] = {}

    def record(agent: int, info: object) -> None:
        action = held.get(agent, _zeros(spec))
        pair = AgentInfoActionPairProto(agent_info=info, action_info=actions_to_proto(action)[0])
        pairs.setdefault(agent, []).append(pair)

    for _ in range(steps):
        decision, terminal = env.get_steps(behavior)
        # Terminal agents come first, as on the wire; an agent may be in both.
        infos = steps_to_proto(decision, terminal, spec)
        for agent, info in zip(terminal.agent_id.tolist(), infos[: len(terminal)], strict=True):
            record(agent, info)
            held[agent] = _zeros(spec)
            episodes[agent] = episodes.get(agent, 0) + 1
        for agent, info in zip(decision.agent_id.tolist(), infos[len(terminal) :], strict=True):
            record(agent, info)
        if len(decision):
            actions = EXPERTS[name](decision.obs)
            for row, agent in enumerate(decision.agent_id.tolist()):
                held[agent] = ActionTuple(
                    actions.continuous[row : row + 1], actions.discrete[row : row + 1]
                )
            env.set_actions(behavior, actions)
        env.step()
    env.close()
    brain = behavior_spec_to_proto(behavior, spec)
    for agent, steps_of_agent in pairs.items():
        header = meta(len(steps_of_agent), episodes.get(agent, 0) + 1)
        (folder / f"{name}_{agent}.demo").write_bytes(demo_bytes(header, brain, steps_of_agent))
    return folder
