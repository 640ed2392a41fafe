"""SACTrainer: ML-Agents' Soft Actor-Critic, an off-policy trainer (replay buffer, updates
every steps_per_update steps) with SACOptimizer's losses."""

from __future__ import annotations

from mlagents.trainers.sac.optimizer_torch import SACOptimizer
from mlagents.trainers.sac.settings import SACSettings
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents.trainers.trainer.off_policy_trainer import OffPolicyTrainer
from mlagents_envs.base_env import BehaviorSpec

__all__ = ["SACTrainer", "get_type_and_setting"]


class SACTrainer(OffPolicyTrainer):
    """Trains the policy of one behavior (a brain name) with SAC."""

    optimizer: SACOptimizer

    @classmethod
    def get_trainer_name(cls) -> str:
        return "sac"

    def create_policy(self, spec: BehaviorSpec, seed: int) -> TorchPolicy:
        # SAC's policy: a state-dependent deviation, actions squashed into [-1, 1] by tanh.
        return TorchPolicy(
            spec, self.settings.network_settings, seed, conditional_sigma=True, tanh_squash=True
        )

    def create_optimizer(self) -> SACOptimizer:
        return SACOptimizer(self.policy, self.settings)


def get_type_and_setting() -> tuple[dict[str, type[SACTrainer]], dict[str, type[SACSettings]]]:
    """SAC for the registry of trainer types (entry-point group mlagents.trainer_type)."""
    return {SACTrainer.get_trainer_name(): SACTrainer}, {SACTrainer.get_trainer_name(): SACSettings}
