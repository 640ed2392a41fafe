"""POCATrainer: ML-Agents' MA-POCA, an on-policy trainer for cooperative groups.

Each trajectory comes with its teammates (the agent processor records them for this
trainer's policy). The returns are lambda returns of the rewards (the extrinsic signal
counting the group reward and every member's reward) over the centralized critic's group
values; a member's advantage is its return minus its counterfactual baseline. A member
whose episode ends before its group's keeps being credited: its last return bootstraps
from the value of the group it leaves behind, which carries the group's later rewards.
"""

from __future__ import annotations

import numpy as np

from mlagents.trainers.buffer import (
    AgentBuffer,
    AgentBufferKey,
    BufferKey,
    ObservationKeyPrefix,
    RewardSignalKeyPrefix,
    is_group_key,
    signal_key,
)
from mlagents.trainers.poca.optimizer_torch import POCAOptimizer
from mlagents.trainers.poca.settings import POCASettings
from mlagents.trainers.ppo.trainer import clip_schedules
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trainer.on_policy_trainer import OnPolicyTrainer
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.timers import timed

__all__ = ["POCATrainer", "get_type_and_setting", "lambda_returns"]


def lambda_returns(
    rewards: np.ndarray, values: np.ndarray, next_value: float, gamma: float, lambd: float
) -> np.ndarray:
    """TD(lambda) returns of one trajectory: each step's reward plus the discounted mix
    of the next step's value (weight 1 - lambd) and its return (lambd); after the last
    step, next_value."""
    returns = np.zeros(len(rewards), dtype=np.float32)
    following = next_value
    for t in range(len(rewards) - 1, -1, -1):
        returns[t] = rewards[t] + gamma * following
        following = (1 - lambd) * values[t] + lambd * returns[t]
    return returns


def group_width(columns: dict[AgentBufferKey, np.ndarray]) -> int:
    """How many teammate slots the group columns have (0 without them)."""
    present = columns.get(BufferKey.GROUPMATE_PRESENT)
    return 0 if present is None else int(present.shape[1])


def padded_group_columns(
    columns: dict[AgentBufferKey, np.ndarray], width: int
) -> dict[AgentBufferKey, np.ndarray]:
    """columns with every teammate column padded (absent slots, zeros) to width."""
    out = dict(columns)
    for key, column in columns.items():
        if is_group_key(key) and column.shape[1] < width:
            pad = [(0, 0), (0, width - column.shape[1])] + [(0, 0)] * (column.ndim - 2)
            out[key] = np.pad(column, pad)
    return out


class POCATrainer(OnPolicyTrainer):
    """Trains the policy of one behavior (a brain name) with MA-POCA."""

    optimizer: POCAOptimizer
    hyperparameters: POCASettings

    @classmethod
    def get_trainer_name(cls) -> str:
        return "poca"

    def create_policy(self, spec: BehaviorSpec, seed: int) -> TorchPolicy:
        policy = TorchPolicy(spec, self.settings.network_settings, seed)
        policy.needs_group_status = True
        return policy

    def create_optimizer(self) -> POCAOptimizer:
        return POCAOptimizer(self.policy, self.settings)

    def schedules(self) -> dict[str, float]:
        return {**super().schedules(), **clip_schedules(self, self.hyperparameters)}

    @timed
    def _process_trajectory(self, trajectory: Trajectory) -> None:
        buffer = trajectory.to_agentbuffer()
        if not len(buffer):
            return
        self._update_normalization(buffer)
        # Bootstrap unless the whole group's episode truly ended with this step.
        done = trajectory.ended and trajectory.all_group_dones_reached
        values, baselines, next_values = self.optimizer.values_and_baselines(
            buffer, trajectory.next_obs, trajectory.next_group_obs or [], done
        )
        for name, provider in self.optimizer.reward_signals.items():
            label = provider.name.capitalize()
            self.stats_reporter.add_stat(provider.value_name, float(values[name].mean()))
            self.stats_reporter.add_stat(
                f"Policy/{label} Baseline Estimate", float(baselines[name].mean())
            )
        self._evaluate_rewards(buffer, trajectory)
        lambd = self.hyperparameters.lambd
        advantages = []
        for name, provider in self.optimizer.reward_signals.items():
            rewards = buffer[signal_key(RewardSignalKeyPrefix.REWARDS, name)]
            returns = lambda_returns(
                rewards, values[name], next_values[name], provider.gamma, lambd
            )
            advantage = returns - baselines[name]
            buffer.add_column(signal_key(RewardSignalKeyPrefix.VALUE_ESTIMATES, name), values[name])
            buffer.add_column(
                signal_key(RewardSignalKeyPrefix.BASELINE_ESTIMATES, name), baselines[name]
            )
            buffer.add_column(signal_key(RewardSignalKeyPrefix.RETURNS, name), returns)
            buffer.add_column(signal_key(RewardSignalKeyPrefix.ADVANTAGE, name), advantage)
            advantages.append(advantage)
        buffer.add_column(BufferKey.ADVANTAGES, np.mean(advantages, axis=0).astype(np.float32))
        self._drop_unused(buffer)
        self._extend_update_buffer(dict(buffer.items()))
        self.policy.step += len(buffer)

    def _drop_unused(self, buffer: AgentBuffer) -> None:
        """Leave out of the update buffer what no update reads (memory, with images)."""
        signals = self.optimizer.reward_signals.values()
        keep_next = any(p.needs_next_observations for p in signals)
        dropped = {ObservationKeyPrefix.NEXT_GROUP_OBSERVATION}
        if not keep_next:
            dropped.add(ObservationKeyPrefix.NEXT_OBSERVATION)
        for key in list(buffer.keys()):
            if isinstance(key, tuple) and key[0] in dropped:
                buffer.drop(key)
        buffer.drop(BufferKey.NEXT_GROUPMATE_PRESENT)

    def _extend_update_buffer(self, columns: dict[AgentBufferKey, np.ndarray]) -> None:
        """Append a trajectory's rows; groups of different sizes meet in one buffer, so the
        narrower side's teammate columns are padded to the wider's."""
        update = self.update_buffer
        if len(update):
            present = dict(update.items())
            width = max(group_width(columns), group_width(present))
            if group_width(present) < width:
                for key, column in padded_group_columns(present, width).items():
                    if is_group_key(key):
                        update.add_column(key, column)
            columns = padded_group_columns(columns, width)
        update.extend(columns)


def get_type_and_setting() -> tuple[dict[str, type[POCATrainer]], dict[str, type[POCASettings]]]:
    """MA-POCA for the registry of trainer types (entry-point group mlagents.trainer_type)."""
    name = POCATrainer.get_trainer_name()
    return {name: POCATrainer}, {name: POCASettings}
