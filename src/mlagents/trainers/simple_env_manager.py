"""SimpleEnvManager: one BaseEnv, stepped synchronously in this process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.env_manager import (
    AllStepResult,
    EnvironmentStep,
    EnvManager,
    apply_environment_parameters,
)
from mlagents_envs.base_env import BaseEnv, BehaviorName, BehaviorSpec
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.stats_side_channel import EnvironmentStats, StatsSideChannel


class SimpleEnvManager(EnvManager):
    """Steps env with the current policies. env_params must be one of env's side channels;
    so must stats_channel, when given, whose statistics then reach the agent managers."""

    def __init__(
        self,
        env: BaseEnv,
        env_params: EnvironmentParametersChannel,
        stats_channel: StatsSideChannel | None = None,
    ) -> None:
        super().__init__()
        self.env = env
        self.env_params = env_params
        self.stats_channel = stats_channel
        self.previous_step = EnvironmentStep.empty(0)
        self.previous_all_action_info: dict[BehaviorName, ActionInfo] = {}

    def _step(self) -> list[EnvironmentStep]:
        all_action_info = self._take_step(self.previous_step)
        for brain_name, action_info in all_action_info.items():
            self.env.set_actions(brain_name, action_info.env_action)
        self.env.step()
        step_info = EnvironmentStep(
            self._generate_all_results(), 0, all_action_info, self._environment_stats()
        )
        self.previous_step = step_info
        self.previous_all_action_info = all_action_info
        return [step_info]

    def _reset_env(self, config: Mapping[str, Any] | None = None) -> list[EnvironmentStep]:
        self.set_env_parameters(config)
        self.env.reset()
        self.previous_step = EnvironmentStep(
            self._generate_all_results(), 0, {}, self._environment_stats()
        )
        return [self.previous_step]

    def set_env_parameters(self, config: Mapping[str, Any] | None = None) -> None:
        apply_environment_parameters(config, self.env_params)

    @property
    def training_behaviors(self) -> dict[BehaviorName, BehaviorSpec]:
        return dict(self.env.behavior_specs)

    def close(self) -> None:
        self.env.close()

    def _take_step(self, last_step: EnvironmentStep) -> dict[BehaviorName, ActionInfo]:
        actions = {}
        for brain_name, (decision_steps, _) in last_step.current_all_step_result.items():
            policy = self.policies.get(brain_name)
            if policy is not None and len(decision_steps):
                actions[brain_name] = policy.get_action(decision_steps, 0)
        return actions

    def _generate_all_results(self) -> AllStepResult:
        return {name: self.env.get_steps(name) for name in self.env.behavior_specs}

    def _environment_stats(self) -> EnvironmentStats:
        return self.stats_channel.get_and_reset_stats() if self.stats_channel else {}
