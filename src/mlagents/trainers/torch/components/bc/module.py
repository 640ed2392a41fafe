"""BCModule: behavioral cloning alongside reinforcement learning, as ML-Agents does it.

After each update of its trainer, the policy takes num_epoch passes of supervised steps
toward the actions of the demonstrations (those decided on each observation: see
expert_rows): the squared error of its sampled continuous actions (as the environment would
receive them) and the cross-entropy of each discrete branch. Its own Adam runs at the
trainer's learning rate times `strength`, annealed linearly to (nearly) 0 over `steps`
policy steps, after which it stops.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from mlagents.trainers.buffer import Batch, BufferKey, obs_key
from mlagents.trainers.settings import BehavioralCloningSettings
from mlagents.trainers.torch.components.expert_rows import load_expert_rows
from mlagents.trainers.torch.networks import observation_tensors
from mlagents.trainers.torch_policy import TorchPolicy

#: Where the learning rate ends when annealed, and below which no update is made (as in
#: ML-Agents).
FINAL_LEARNING_RATE = 1e-10
#: Passes over the demonstrations per update when num_epoch is not given (ML-Agents' value,
#: whatever the trainer's num_epoch).
DEFAULT_NUM_EPOCH = 3
LOSS_STAT = "Losses/Pretraining Loss"


class BCModule:
    """policy_learning_rate: the trainer's (initial) learning rate; default_batch_size: the
    trainer's batch_size, used when the settings give none."""

    def __init__(
        self,
        policy: TorchPolicy,
        settings: BehavioralCloningSettings,
        policy_learning_rate: float,
        default_batch_size: int,
        default_num_epoch: int = DEFAULT_NUM_EPOCH,
    ) -> None:
        self.policy = policy
        self.settings = settings
        self.demonstrations = load_expert_rows(settings.demo_path, policy.behavior_spec)
        self.initial_learning_rate = policy_learning_rate * settings.strength
        self.optimizer = torch.optim.Adam(
            policy.actor.parameters(), lr=self.initial_learning_rate, foreach=True
        )
        self.batch_size = min(settings.batch_size or default_batch_size, len(self.demonstrations))
        self.num_epoch = settings.num_epoch or default_num_epoch
        spec = policy.behavior_spec
        self.n_obs = len(spec.observation_specs)
        self.branches = list(spec.action_spec.discrete_branches)

    def learning_rate(self, step: int) -> float:
        """The learning rate at policy step: annealed over settings.steps (if not 0)."""
        steps = self.settings.steps
        if not steps:
            return self.initial_learning_rate
        remaining = 1.0 - min(step, steps) / steps
        return (self.initial_learning_rate - FINAL_LEARNING_RATE) * remaining + FINAL_LEARNING_RATE

    def batches_per_epoch(self) -> int:
        """Whole minibatches in the demonstrations, capped by samples_per_update (at least
        one when it is given)."""
        possible = len(self.demonstrations) // self.batch_size
        cap = self.settings.samples_per_update
        return min(possible, max(cap // self.batch_size, 1)) if cap else possible

    def update(self) -> dict[str, float]:
        """num_epoch passes over shuffled demonstrations; the mean loss."""
        learning_rate = self.learning_rate(self.policy.get_current_step())
        if learning_rate <= FINAL_LEARNING_RATE:
            return {LOSS_STAT: 0.0}
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        losses = []
        size = self.batch_size
        for _ in range(self.num_epoch):
            order = torch.randperm(len(self.demonstrations)).numpy()
            for k in range(self.batches_per_epoch()):
                batch = self.demonstrations.rows(order[k * size : (k + 1) * size])
                loss = self.loss(batch)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                losses.append(float(loss.detach()))
        return {LOSS_STAT: float(np.mean(losses))}

    def loss(self, batch: Batch) -> torch.Tensor:
        """The squared error of the continuous actions plus the mean cross-entropy of the
        branches, on a batch of demonstrations."""
        actor = self.policy.actor
        columns = [batch[obs_key(k)] for k in range(self.n_obs)]
        observations = observation_tensors(columns, actor.channels_last)
        discrete = torch.as_tensor(batch[BufferKey.DISCRETE_ACTION]).long()
        masks = None
        if BufferKey.ACTION_MASK in batch:
            # The expert's own action stays allowed, whatever its mask said.
            chosen = [
                nn.functional.one_hot(discrete[:, k], size) for k, size in enumerate(self.branches)
            ]
            masks = torch.clamp(
                torch.as_tensor(batch[BufferKey.ACTION_MASK]) + torch.cat(chosen, dim=1), max=1
            )
        dists = actor.distributions(observations, masks)
        loss = torch.zeros(())
        if dists.mu is not None:
            model = actor.action_model
            sampled = model.environment_action(model.sample(dists).continuous)
            expert = torch.as_tensor(batch[BufferKey.CONTINUOUS_ACTION], dtype=torch.float32)
            loss = loss + nn.functional.mse_loss(sampled, expert)
        if self.branches:
            cross_entropy = [
                -log_probs.gather(1, discrete[:, k : k + 1]).squeeze(1)
                for k, log_probs in enumerate(dists.branch_log_probs)
            ]
            loss = loss + torch.stack(cross_entropy).mean()
        return loss

    def state_dict(self) -> dict[str, Any]:
        return {"adam": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["adam"])
