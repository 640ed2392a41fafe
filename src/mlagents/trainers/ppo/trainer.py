"""PPOTrainer: ML-Agents' PPO, an on-policy trainer with PPOOptimizer's losses and linear
or constant schedules of learning rate, beta and epsilon."""

from __future__ import annotations

import numpy as np

from mlagents.trainers.buffer import RewardSignalKeyPrefix, signal_key
from mlagents.trainers.ppo.optimizer_torch import PPOOptimizer, explained_variance
from mlagents.trainers.ppo.settings import PPOSettings
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trainer.on_policy_trainer import OnPolicyTrainer, discounted_gae
from mlagents_envs.base_env import BehaviorSpec

__all__ = ["PPOTrainer", "discounted_gae", "get_type_and_setting"]

# Where linear schedules end, as in ML-Agents.
_FINAL = {"learning_rate": 1e-10, "beta": 1e-5, "epsilon": 0.1}


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

    def _schedule(self, name: str, initial: float, kind: str) -> float:
        if kind == "constant":
            return initial
        progress = min(self.step / max(self.settings.max_steps, 1), 1.0)
        return max(initial - (initial - _FINAL[name]) * progress, _FINAL[name])

    def schedules(self) -> dict[str, float]:
        hp = self.hyperparameters
        return {
            "learning_rate": self._schedule(
                "learning_rate", hp.learning_rate, hp.learning_rate_schedule
            ),
            "beta": self._schedule("beta", hp.beta, hp.beta_schedule),
            "epsilon": self._schedule("epsilon", hp.epsilon, hp.epsilon_schedule),
        }

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
