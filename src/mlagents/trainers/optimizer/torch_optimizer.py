"""TorchOptimizer: what every algorithm's optimizer has — the reward providers of its
trainer's `reward_signals`, a critic with one value head per signal, value estimates of
trajectories for bootstrapping, and behavioral cloning when `behavioral_cloning` is set."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from mlagents.trainers.buffer import AgentBuffer, Batch, BufferKey, obs_key
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.torch.components.bc.module import BCModule
from mlagents.trainers.torch.components.reward_providers import (
    BaseRewardProvider,
    create_reward_provider,
)
from mlagents.trainers.torch.networks import ValueNetwork, observation_tensors
from mlagents.trainers.torch_policy import TorchPolicy

logger = logging.getLogger(__name__)


def batch_observations(
    batch: Batch, n_obs: int, channels_last: tuple[bool, ...], following: bool = False
) -> list[torch.Tensor]:
    """The n_obs observations (or next observations) of batch as network inputs."""
    return observation_tensors([batch[obs_key(k, following)] for k in range(n_obs)], channels_last)


def batch_masks(batch: Batch) -> torch.Tensor | None:
    """The action masks of batch (1 = allowed), None without discrete actions."""
    if BufferKey.ACTION_MASK in batch:
        return torch.as_tensor(batch[BufferKey.ACTION_MASK])
    return None


class TorchOptimizer(ABC):
    """An algorithm's losses and updates. Subclasses build the critic (`self.critic`, with
    a head per reward signal) and the torch optimizers, and implement `update`."""

    critic: ValueNetwork

    def __init__(self, policy: TorchPolicy, trainer_settings: TrainerSettings) -> None:
        self.policy = policy
        self.trainer_settings = trainer_settings
        self.n_obs = len(policy.behavior_spec.observation_specs)
        #: Signals configured now that the weights last loaded came without.
        self.added_signals: list[str] = []
        environment_action = policy.actor.action_model.environment_action
        self.reward_signals: dict[str, BaseRewardProvider] = {
            name: create_reward_provider(
                name, policy.behavior_spec, settings, environment_action=environment_action
            )
            for name, settings in trainer_settings.reward_signals.items()
        }
        cloning = trainer_settings.behavioral_cloning
        hp = trainer_settings.hyperparameters
        #: Behavioral cloning, which the trainer updates after its own updates.
        self.bc_module = (
            BCModule(policy, cloning, hp.learning_rate, hp.batch_size) if cloning else None
        )

    @property
    def stream_names(self) -> list[str]:
        return list(self.reward_signals)

    @abstractmethod
    def update(self, batch: Batch, **schedules: float) -> dict[str, float]:
        """One gradient step on a minibatch; the losses and other stats to report, by
        their TensorBoard names."""

    @property
    def learning_signals(self) -> dict[str, BaseRewardProvider]:
        """The reward signals that train a network of their own."""
        return {name: p for name, p in self.reward_signals.items() if p.learns}

    def update_reward_signals(self, batch: Batch) -> dict[str, float]:
        """One update of every learning signal on batch; their stats."""
        stats: dict[str, float] = {}
        for provider in self.learning_signals.values():
            stats.update(provider.update(batch))
        return stats

    def update_normalization(self, buffer: AgentBuffer) -> None:
        """Feed a trajectory's observations to the normalizers of the critic (the policy
        updates its own)."""
        self.critic.update_normalization(
            batch_observations(buffer, self.n_obs, self.critic.channels_last)
        )

    @torch.no_grad()
    def value_estimates(
        self, buffer: AgentBuffer, next_obs: list[np.ndarray], ended: bool
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Each signal's value estimates of a trajectory's steps, and of the observation
        after its last step (0 where the episode truly ended and the signal stops there)."""
        observations = batch_observations(buffer, self.n_obs, self.critic.channels_last)
        values = {k: v.numpy().astype(np.float32) for k, v in self.critic(observations).items()}
        last = observation_tensors([o[None] for o in next_obs], self.critic.channels_last)
        following = self.critic(last)
        next_values = {
            name: 0.0 if ended and not self.reward_signals[name].ignore_done else float(v[0])
            for name, v in following.items()
        }
        return values, next_values

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint keeps of the optimizer (critic, torch optimizers, reward
        providers); subclasses add their parts."""
        state = {
            "critic": self.critic.state_dict(),
            "reward_signals": {
                name: provider.state_dict() for name, provider in self.reward_signals.items()
            },
        }
        if self.bc_module is not None:
            state["behavioral_cloning"] = self.bc_module.state_dict()
        return state

    def load_network(self, network: torch.nn.Module, state: Mapping[str, Any]) -> None:
        """network's weights from state, where the heads of `added_signals` (the signals
        the weights came without, set by load_state_dict) may be missing."""
        added = self.added_signals
        missing, unexpected = network.load_state_dict(state, strict=not added)
        others = [k for k in missing if not any(f".{name}." in f".{k}" for name in added)]
        if others or unexpected:
            raise KeyError(f"weights that do not fit: {others or unexpected}")

    def load_state_dict(self, state: Mapping[str, Any], networks_only: bool = False) -> None:
        """Restore state_dict's output; networks_only leaves the torch optimizers (their
        moments and step counts) as they are: a new run from old weights."""
        saved = state.get("reward_signals", {})
        added = [name for name in self.reward_signals if name not in saved]
        if added and not networks_only:
            raise KeyError(f"no state of the reward signal {added[0]!r}")
        # Starting from old weights (--initialize-from), a signal added since starts
        # untrained, its value head too, as ML-Agents allows; every other weight must fit.
        self.added_signals = added
        self.load_network(self.critic, state["critic"])
        if added:
            logger.warning(
                "The reward signals %s are not in the weights this run starts from: they "
                "start untrained.",
                added,
            )
        for name, provider in self.reward_signals.items():
            if name in saved:
                provider.load_state_dict(saved[name], networks_only)
        # Cloning added since the checkpoint starts with a fresh Adam.
        if self.bc_module is not None and "behavioral_cloning" in state and not networks_only:
            self.bc_module.load_state_dict(state["behavioral_cloning"])
