"""EnvManager: steps environments with the current policies and hands the results to the
agent managers.

A trainer loop calls `get_steps()` (which also installs policies trainers published, without
waiting for them) and then `process_steps()`; `reset(config)` ends every episode and sends
environment parameters.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, NamedTuple

from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.policy.policy import Policy
from mlagents_envs.base_env import BehaviorName, BehaviorSpec, DecisionSteps, TerminalSteps
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.stats_side_channel import EnvironmentStats

logger = logging.getLogger(__name__)

AllStepResult = dict[BehaviorName, tuple[DecisionSteps, TerminalSteps]]
AllGroupSpec = dict[BehaviorName, BehaviorSpec]


class EnvironmentStep(NamedTuple):
    """What one environment returned for one step: the steps of every behavior, the worker
    it came from, the actions that led to it, and the statistics it sent."""

    current_all_step_result: AllStepResult
    worker_id: int
    brain_name_to_action_info: dict[BehaviorName, ActionInfo]
    environment_stats: EnvironmentStats

    @property
    def name_behavior_ids(self) -> list[BehaviorName]:
        return list(self.current_all_step_result)

    @staticmethod
    def empty(worker_id: int) -> EnvironmentStep:
        return EnvironmentStep({}, worker_id, {}, {})


def apply_environment_parameters(
    config: Mapping[str, Any] | None, channel: EnvironmentParametersChannel
) -> None:
    """Queue config on channel: numbers as float parameters; any other value must have an
    `apply(key, channel)` method (sampler and curriculum settings do)."""
    for key, value in (config or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            apply = getattr(value, "apply", None)
            if apply is None:
                raise TypeError(
                    f"Environment parameter {key!r} is {value!r}: give a number, or settings "
                    "with an apply(key, channel) method."
                )
            apply(key, channel)
        else:
            channel.set_float_parameter(key, float(value))


class EnvManager(ABC):
    def __init__(self) -> None:
        self.policies: dict[BehaviorName, Policy] = {}
        self.agent_managers: dict[BehaviorName, AgentManager] = {}
        self.first_step_infos: list[EnvironmentStep] = []
        self._warned_unmanaged: set[BehaviorName] = set()

    def set_policy(self, brain_name: BehaviorName, policy: Policy) -> None:
        self.policies[brain_name] = policy
        if brain_name in self.agent_managers:
            self.agent_managers[brain_name].policy = policy

    def set_agent_manager(self, brain_name: BehaviorName, manager: AgentManager) -> None:
        self.agent_managers[brain_name] = manager

    @abstractmethod
    def _step(self) -> list[EnvironmentStep]:
        """Act with the current policies, step every environment, return their results."""

    @abstractmethod
    def _reset_env(self, config: Mapping[str, Any] | None = None) -> list[EnvironmentStep]:
        """Send config, reset every environment, return their first results."""

    def reset(self, config: Mapping[str, Any] | None = None) -> int:
        """End every episode, reset the environments; returns how many there are. Their
        first steps are returned by the next get_steps()."""
        for manager in self.agent_managers.values():
            manager.end_episode()
        self.first_step_infos = self._reset_env(config)
        return len(self.first_step_infos)

    @abstractmethod
    def set_env_parameters(self, config: Mapping[str, Any] | None = None) -> None:
        """Send environment parameters; they apply from the next episodes on."""

    def on_training_started(self, behavior_name: str, trainer_settings: Any) -> None:  # noqa: B027
        """Tell the environments that a trainer started (training analytics); optional."""

    @property
    @abstractmethod
    def training_behaviors(self) -> dict[BehaviorName, BehaviorSpec]:
        """The behaviors the environments have shown so far, with their specs."""

    @abstractmethod
    def close(self) -> None: ...

    def get_steps(self) -> list[EnvironmentStep]:
        """Right after a reset, the first steps; else install published policies and step."""
        if self.first_step_infos:
            output, self.first_step_infos = self.first_step_infos, []
            return output
        for brain_name, manager in self.agent_managers.items():
            published = manager.policy_queue.drain()
            if published:
                self.set_policy(brain_name, published[-1])
        return self._step()

    def process_steps(self, new_step_infos: list[EnvironmentStep]) -> int:
        """Hand experiences and environment statistics to the agent managers; returns the
        number of environment steps processed."""
        for step_info in new_step_infos:
            # The team ids of one brain share a reporter: it takes the statistics of an
            # environment step once, or summed statistics would count twice.
            reporters_done: list[object] = []
            for name in step_info.name_behavior_ids:
                manager = self.agent_managers.get(name)
                if manager is None:
                    if name not in self._warned_unmanaged:
                        self._warned_unmanaged.add(name)
                        logger.warning(
                            "Behavior %r has no agent manager: its experience is not used. "
                            "Add it to the configuration to train it.",
                            name,
                        )
                    continue
                decision_steps, terminal_steps = step_info.current_all_step_result[name]
                manager.add_experiences(
                    decision_steps,
                    terminal_steps,
                    step_info.worker_id,
                    step_info.brain_name_to_action_info.get(name, ActionInfo.empty()),
                )
                if not any(manager.stats_reporter is done for done in reporters_done):
                    reporters_done.append(manager.stats_reporter)
                    manager.record_environment_stats(
                        step_info.environment_stats, step_info.worker_id
                    )
        return len(new_step_infos)
