"""The scripted policies of the built-in environments, by environment and behavior name.

Each heuristic maps a batch of observations (one array per observation of the behavior, in
spec order, with n_agents rows) to actions: an ActionTuple, or one array that is the
continuous part for purely continuous behaviors and the discrete part otherwise. To add an
environment, add its entry to EXPERTS.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BaseEnv, DecisionSteps
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.envs.ball3d import balance_heuristic
from mlagents_sim.envs.basic import basic_heuristic, hybrid_heuristic
from mlagents_sim.envs.gridworld import walk_to_goal
from mlagents_sim.envs.hallway import hallway_heuristic
from mlagents_sim.envs.pushblock import push_planner
from mlagents_sim.envs.pyramids import pyramids_heuristic
from mlagents_sim.envs.soccer import soccer_heuristic
from mlagents_sim.envs.sorter import sort_heuristic
from mlagents_sim.envs.strikers import goalie_heuristic, striker_heuristic

Heuristic = Callable[..., "np.ndarray | ActionTuple"]

#: Environment name -> behavior name (without the team) -> its scripted policy.
EXPERTS: dict[str, dict[str, Heuristic]] = {
    "Basic": {"Basic": basic_heuristic},
    "3DBall": {"3DBall": balance_heuristic},
    "Hybrid": {"Hybrid": hybrid_heuristic},
    "GridWorld": {"GridWorld": walk_to_goal},
    "VisualHallway": {"VisualHallway": hallway_heuristic},
    "Sorter": {"Sorter": sort_heuristic},
    "PushBlock": {"PushBlock": push_planner},
    "Pyramids": {"Pyramids": pyramids_heuristic},
    "StrikersVsGoalie": {"Striker": striker_heuristic, "Goalie": goalie_heuristic},
    "SoccerTwos": {"SoccerTwos": soccer_heuristic},
}


def expert(env_name: str, behavior: str) -> Heuristic:
    """The scripted policy of a behavior (name or "Name?team=N") of a built-in environment."""
    behaviors = EXPERTS.get(env_name)
    if behaviors is None:
        raise UnityEnvironmentException(
            f"No scripted policy for environment {env_name!r}; there are for {sorted(EXPERTS)}."
        )
    name = behavior.partition("?")[0]
    if name not in behaviors:
        raise UnityEnvironmentException(
            f"{env_name} has no scripted policy for behavior {name!r}; it has {sorted(behaviors)}."
        )
    return behaviors[name]


def expert_actions(heuristic: Heuristic, decision: DecisionSteps, spec: ActionSpec) -> ActionTuple:
    """The heuristic's actions for the agents of decision, as an ActionTuple of spec."""
    actions = heuristic(*decision.obs)
    if isinstance(actions, ActionTuple):
        return actions
    if spec.continuous_size and not spec.discrete_size:
        return ActionTuple(continuous=np.asarray(actions, dtype=np.float32))
    return ActionTuple(discrete=np.asarray(actions, dtype=np.int32))


def act(env: BaseEnv, env_name: str) -> None:
    """Set the scripted actions of every behavior of env whose agents asked for one."""
    for behavior, spec in env.behavior_specs.items():
        decision, _ = env.get_steps(behavior)
        if len(decision):
            heuristic = expert(env_name, behavior)
            env.set_actions(behavior, expert_actions(heuristic, decision, spec.action_spec))
