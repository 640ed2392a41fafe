"""The Policy interface the environment managers call."""

from __future__ import annotations

from abc import ABC, abstractmethod

from mlagents.trainers.action_info import ActionInfo
from mlagents_envs.base_env import BehaviorSpec, DecisionSteps


class Policy(ABC):
    """Decides for every agent of one behavior that asked, in one call (one forward pass
    for a neural network)."""

    #: Whether the policy's trainer learns from teammates: the agent processors then record,
    #: for every step of a grouped agent, what the other members of its group saw and did
    #: (a cost the trainers that do not need it are spared).
    needs_group_status: bool = False

    def __init__(self, behavior_spec: BehaviorSpec) -> None:
        self.behavior_spec = behavior_spec

    @abstractmethod
    def get_action(self, decision_requests: DecisionSteps, worker_id: int = 0) -> ActionInfo:
        """The actions of the agents in decision_requests, in their order."""

    def get_current_step(self) -> int:
        """The training step the policy is at (0 for policies that do not learn)."""
        return 0
