"""PPOTrainer: ML-Agents' PPO, an on-policy trainer with PPOOptimizer's losses and linear
or constant schedules of learning rate, beta and epsilon."""

from __future__ import annotations

import numpy as np

from mlagents.trainers.buffer import RewardSignalKeyPrefix, signal_key
from mlagents.trainers.ppo.optimizer_torch import PPOOptimizer, explained_variance
from mlagents.trainers.ppo.settings import ClippedPolicySettings, PPOSettings
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trainer.on_policy_trainer import OnPolicyTrainer, discounted_gae
from mlagents_envs.base_env import BehaviorSpec

__all__ = ["PPOTrainer", "clip_schedules", "discounted_gae", "get_type_and_setting"]

# Where linear schedules of beta and epsilon end, as in ML-Agents.
FINAL_BETA = 1e-5
FINAL_EPSILON = 0.1


def clip_schedules(trainer: OnPolicyTrainer, hp: ClippedPolicySettings) -> dict[str, float]:
    """beta and epsilon at the trainer's step (PPO's and MA-POCA's schedules)."""
    return {
        "beta": trainer.scheduled(hp.beta, hp.beta_schedule, FINAL_BETA),
        "epsilon": trainer.scheduled(hp.epsilon, hp.epsilon_schedule, FINAL_EPSILON),
    }


class PPOTrainer(OnPolicyTrainer):
    """Trains the policy of one behavior (a brain name) with PPO."""

    optimizer: PPOOptimizer

    @classmethod
    def get_trainer_name(cls) -> str:
        return "ppo"

    def create_policy(self, spec: BehaviorSpec, seed: int) -> TorchPolicy:
        return TorchPolicy(spec, self.settings.network_settings, seed)

    def create_optimizer(self) -> PPOOptimizer:
        return PPOOptimizer(self.policy, self.settings)

    def schedules(self) -> dict[str, float]:
        return {**super().schedules(), **clip_schedules(self, self.hyperparameters)}

    def _update_policy(self) -> bool:
        buffer = self.update_buffer
        for name, provider in self.optimizer.reward_signals.items():
            variance = explained_variance(
                buffer[signal_key(RewardSignalKeyPrefix.VALUE_ESTIMATES, name)],
                buffer[signal_key(RewardSignalKeyPrefix.RETURNS, name)],
            )
            if np.isfinite(variance):
                label = provider.name.capitalize()
                self.stats_reporter.add_stat(f"Policy/{label} Explained Variance", variance)
        return super()._update_policy()


def get_type_and_setting() -> tuple[dict[str, type[PPOTrainer]], dict[str, type[PPOSettings]]]:
    """PPO for the registry of trainer types (entry-point group mlagents.trainer_type)."""
    return {PPOTrainer.get_trainer_name(): PPOTrainer}, {PPOTrainer.get_trainer_name(): PPOSettings}
