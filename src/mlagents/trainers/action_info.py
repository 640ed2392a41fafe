"""ActionInfo: what a policy decided for the agents of one behavior that asked."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlagents_envs.base_env import ActionTuple, AgentId

#: Per-agent arrays a policy computed with its actions (log probabilities, values...), each
#: with one row per agent, in the order of agent_ids.
ActionInfoOutputs = dict[str, Any]


class ActionInfo(NamedTuple):
    """- action: the actions the policy sampled (what the trainer learns from);
    - env_action: the actions sent to the environment (continuous ones clipped);
    - outputs: other per-agent outputs, such as "log_probs" and "values";
    - agent_ids: the agents, in the order of the rows.
    """

    action: ActionTuple
    env_action: ActionTuple
    outputs: ActionInfoOutputs
    agent_ids: list[AgentId]

    @staticmethod
    def empty() -> ActionInfo:
        nothing = ActionTuple(np.zeros((0, 0), np.float32), np.zeros((0, 0), np.int32))
        return ActionInfo(nothing, nothing, {}, [])
