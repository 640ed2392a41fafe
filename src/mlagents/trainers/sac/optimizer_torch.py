"""SAC's losses and updates, as ML-Agents' SAC does them.

Networks: the policy (tanh-squashed Gaussian with a state-dependent deviation, and masked
categoricals), twin Q networks (continuous actions are an input, each discrete action an
output), a value network V with a target copy that follows it by `tau`; all but the policy
have one head per reward signal. Entropy coefficients are learned in log space: one per
discrete branch, one for the continuous part, starting at `init_entcoef`, pulled towards a
target entropy (-1 per continuous dimension; 0.2 * log(branch size) per branch).

Per minibatch: Q losses against r + gamma * V_target(s') (no bootstrap after a true end);
the V loss against min(Q1, Q2) minus the entropy term under the current policy; the policy
loss (entropy term minus Q1); the entropy coefficients' loss. Three Adam optimizers: policy,
value (Q1, Q2, V) and entropy coefficients.

Where ML-Agents 0.28 departs from the textbook, this follows the textbook: with discrete
actions V's target is the policy's expectation of min(Q1, Q2) (ML-Agents: the smaller of the
two expectations); with hybrid actions the continuous part's entropy term is subtracted in
V's target as with continuous actions alone (ML-Agents adds it there), and the policy loss
counts the expected Q once (ML-Agents also subtracts it again in the continuous term).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from mlagents.trainers.buffer import (
    AgentBuffer,
    Batch,
    BufferKey,
    RewardSignalKeyPrefix,
    signal_key,
)
from mlagents.trainers.optimizer.torch_optimizer import (
    TorchOptimizer,
    batch_masks,
    batch_observations,
)
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.torch.networks import ValueNetwork
from mlagents.trainers.torch_policy import TorchPolicy

#: Target entropies as ML-Agents sets them.
DISCRETE_TARGET_ENTROPY_SCALE = 0.2
CONTINUOUS_TARGET_ENTROPY_SCALE = 1.0


def _branches(tensor: torch.Tensor, sizes: list[int]) -> list[torch.Tensor]:
    return list(torch.split(tensor, sizes, dim=1)) if sizes else []


class SACOptimizer(TorchOptimizer):
    def __init__(self, policy: TorchPolicy, trainer_settings: TrainerSettings) -> None:
        super().__init__(policy, trainer_settings)
        hp = trainer_settings.hyperparameters
        specs = list(policy.behavior_spec.observation_specs)
        action = policy.behavior_spec.action_spec
        settings = policy.network_settings
        self.tau = float(hp.tau)
        self.continuous_size = action.continuous_size
        self.branches = list(action.discrete_branches)
        streams = self.stream_names
        # Q outputs (n, k): one per discrete action, or the one Q of a continuous action.
        q_outputs = max(sum(self.branches), 1)
        self.q1 = ValueNetwork(
            streams, specs, settings, self.continuous_size, q_outputs, keep_dims=True
        )
        self.q2 = ValueNetwork(
            streams, specs, settings, self.continuous_size, q_outputs, keep_dims=True
        )
        self.critic = ValueNetwork(streams, specs, settings)
        self.target = copy.deepcopy(self.critic)
        self.target.requires_grad_(False)
        init = math.log(hp.init_entcoef)
        self.log_ent_coef = nn.ParameterDict(
            {
                "discrete": nn.Parameter(torch.full((len(self.branches),), init)),
                "continuous": nn.Parameter(torch.full((1,), init)),
            }
        )
        self.target_entropy_discrete = torch.tensor(
            [DISCRETE_TARGET_ENTROPY_SCALE * math.log(size) for size in self.branches]
        )
        self.target_entropy_continuous = -CONTINUOUS_TARGET_ENTROPY_SCALE * self.continuous_size
        self.gammas = {name: provider.gamma for name, provider in self.reward_signals.items()}
        self.use_dones = {
            name: 0.0 if provider.ignore_done else 1.0
            for name, provider in self.reward_signals.items()
        }
        lr = hp.learning_rate
        # foreach: one kernel per step for all of a network's small tensors, not one each.
        self.policy_optimizer = torch.optim.Adam(policy.actor.parameters(), lr=lr, foreach=True)
        value_parameters = [*self.q1.parameters(), *self.q2.parameters(), *self.critic.parameters()]
        self.value_optimizer = torch.optim.Adam(value_parameters, lr=lr, foreach=True)
        self.entropy_optimizer = torch.optim.Adam(self.log_ent_coef.parameters(), lr=lr)

    def update_normalization(self, buffer: AgentBuffer) -> None:
        # Every network normalizes as the policy does (which the trainer has just updated),
        # as ML-Agents' SAC does: one set of statistics, and the target's weights still
        # follow the value network's by tau alone.
        source = self.policy.actor.body.encoder
        for network in (self.critic, self.q1, self.q2, self.target):
            network.body.encoder.copy_normalization(source)

    def _q_of_taken(
        self, q: dict[str, torch.Tensor], discrete: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Each stream's Q of the discrete actions taken, averaged over the branches
        (continuous-only: the one output)."""
        if not self.branches:
            return {name: value[:, 0] for name, value in q.items()}
        out = {}
        for name, value in q.items():
            per_branch = [
                branch.gather(1, discrete[:, k].long()[:, None])
                for k, branch in enumerate(_branches(value, self.branches))
            ]
            out[name] = torch.cat(per_branch, dim=1).mean(dim=1)
        return out

    def update(self, batch: Batch, **schedules: float) -> dict[str, float]:
        learning_rate = schedules.get(
            "learning_rate", self.trainer_settings.hyperparameters.learning_rate
        )
        for optimizer in (self.policy_optimizer, self.value_optimizer, self.entropy_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate
        actor = self.policy.actor
        observations = batch_observations(batch, self.n_obs, actor.channels_last)
        following = batch_observations(batch, self.n_obs, actor.channels_last, following=True)
        masks = batch_masks(batch)
        continuous = torch.as_tensor(batch[BufferKey.CONTINUOUS_ACTION])
        discrete = torch.as_tensor(batch[BufferKey.DISCRETE_ACTION])
        ended = torch.as_tensor(
            batch[BufferKey.DONE] & ~batch[BufferKey.INTERRUPTED], dtype=torch.float32
        )
        rewards = {
            name: torch.as_tensor(batch[signal_key(RewardSignalKeyPrefix.REWARDS, name)])
            for name in self.reward_signals
        }

        # The current policy's actions on s, with gradients (reparameterized).
        dists = actor.distributions(observations, masks)
        sampled = actor.action_model.sample(dists)
        continuous_log_prob = sampled.log_probs.continuous.sum(dim=1)
        discrete_probs = [b.exp() for b in dists.branch_log_probs]
        discrete_log_probs = dists.branch_log_probs

        ent_coef_c = torch.exp(self.log_ent_coef["continuous"])
        ent_coef_d = torch.exp(self.log_ent_coef["discrete"])

        # Q of the policy's actions: Q1 with the gradient the policy loss takes through the
        # continuous actions, Q2 for the value backup only.
        sampled_input = sampled.continuous if self.continuous_size else None
        policy_q1 = self.q1(observations, sampled_input)
        with torch.no_grad():
            policy_q2 = self.q2(observations, sampled_input)
        if self.continuous_size:
            q1 = self._q_of_taken(self.q1(observations, continuous), discrete)
            q2 = self._q_of_taken(self.q2(observations, continuous), discrete)
        else:
            # Without continuous actions the Q networks do not look at the action taken: the
            # same outputs serve both (the policy loss then takes them without gradient).
            q1 = self._q_of_taken(policy_q1, discrete)
            q2 = self._q_of_taken(self.q2(observations), discrete)
        values = self.critic(observations)
        with torch.no_grad():
            target_values = self.target(following)

        # Q losses.
        q1_losses, q2_losses = [], []
        for name in self.reward_signals:
            with torch.no_grad():
                backup = (
                    rewards[name]
                    + (1.0 - self.use_dones[name] * ended) * self.gammas[name] * target_values[name]
                )
            q1_losses.append(0.5 * ((backup - q1[name]) ** 2).mean())
            q2_losses.append(0.5 * ((backup - q2[name]) ** 2).mean())
        q1_loss = torch.stack(q1_losses).mean()
        q2_loss = torch.stack(q2_losses).mean()

        # Value loss: V(s) towards E_a[min Q(s, a)] minus the entropy term.
        value_backups = []
        with torch.no_grad():
            for name in self.reward_signals:
                least = torch.min(policy_q1[name], policy_q2[name])
                backup = torch.zeros_like(values[name])
                if self.branches:
                    terms = []
                    for k, (q_branch, p, lp) in enumerate(
                        zip(
                            _branches(least, self.branches),
                            discrete_probs,
                            discrete_log_probs,
                            strict=True,
                        )
                    ):
                        terms.append((p * (q_branch - ent_coef_d[k] * lp)).sum(dim=1))
                    backup = torch.stack(terms, dim=1).mean(dim=1)
                else:
                    backup = least[:, 0]
                if self.continuous_size:
                    backup = backup - ent_coef_c * continuous_log_prob
                value_backups.append(backup)
        value_loss = torch.stack(
            [0.5 * ((values[name] - b) ** 2).mean() for name, b in zip(values, value_backups)]
        ).mean()

        # Policy loss: the entropy term minus Q1 (averaged over the streams).
        mean_q1 = torch.stack(list(policy_q1.values())).mean(dim=0)
        if not self.continuous_size:
            mean_q1 = mean_q1.detach()
        policy_loss_rows = torch.zeros(len(ended))
        if self.branches:
            # The expectation over each branch's actions; with continuous actions too, the
            # Q values depend on the sampled continuous part, which gets its gradient here.
            for k, (q_branch, p, lp) in enumerate(
                zip(_branches(mean_q1, self.branches), discrete_probs, discrete_log_probs)
            ):
                branch_loss = (p * (ent_coef_d[k].detach() * lp - q_branch)).sum(dim=1)
                policy_loss_rows = policy_loss_rows + branch_loss
        if self.continuous_size:
            policy_loss_rows = policy_loss_rows + ent_coef_c.detach() * continuous_log_prob
            if not self.branches:
                policy_loss_rows = policy_loss_rows - mean_q1[:, 0]
        policy_loss = policy_loss_rows.mean()

        # Entropy coefficients: up when the entropy is below its target, down above it.
        entropy_loss = torch.zeros(())
        with torch.no_grad():
            if self.branches:
                branch_gap = (
                    torch.stack(
                        [(p * lp).sum(dim=1) for p, lp in zip(discrete_probs, discrete_log_probs)],
                        dim=1,
                    )
                    + self.target_entropy_discrete
                )
            if self.continuous_size:
                continuous_gap = continuous_log_prob + self.target_entropy_continuous
        if self.branches:
            entropy_loss = entropy_loss - (self.log_ent_coef["discrete"] * branch_gap).mean()
        if self.continuous_size:
            entropy_loss = entropy_loss - (self.log_ent_coef["continuous"] * continuous_gap).mean()

        self.policy_optimizer.zero_grad()
        policy_loss.backward()
        self.policy_optimizer.step()
        self.value_optimizer.zero_grad()
        (q1_loss + q2_loss + value_loss).backward()
        self.value_optimizer.step()
        self.entropy_optimizer.zero_grad()
        entropy_loss.backward()
        self.entropy_optimizer.step()
        self._soft_update()

        stats = {
            "Losses/Policy Loss": float(policy_loss.detach()),
            "Losses/Value Loss": float(value_loss.detach()),
            "Losses/Q1 Loss": float(q1_loss.detach()),
            "Losses/Q2 Loss": float(q2_loss.detach()),
            "Policy/Learning Rate": learning_rate,
        }
        if self.branches:
            stats["Policy/Discrete Entropy Coeff"] = float(
                torch.exp(self.log_ent_coef["discrete"]).mean().detach()
            )
        if self.continuous_size:
            stats["Policy/Continuous Entropy Coeff"] = float(ent_coef_c.detach())
        return stats

    @torch.no_grad()
    def _soft_update(self) -> None:
        for target, source in zip(self.target.parameters(), self.critic.parameters()):
            target.mul_(1.0 - self.tau).add_(source, alpha=self.tau)

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "q1": self.q1.state_dict(),
            "q2": self.q2.state_dict(),
            "target": self.target.state_dict(),
            "log_ent_coef": self.log_ent_coef.state_dict(),
            "policy_adam": self.policy_optimizer.state_dict(),
            "value_adam": self.value_optimizer.state_dict(),
            "entropy_adam": self.entropy_optimizer.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any], networks_only: bool = False) -> None:
        super().load_state_dict(state, networks_only)
        for network, key in ((self.q1, "q1"), (self.q2, "q2"), (self.target, "target")):
            self.load_network(network, state[key])
        self.log_ent_coef.load_state_dict(state["log_ent_coef"])
        if not networks_only:
            self.policy_optimizer.load_state_dict(state["policy_adam"])
            self.value_optimizer.load_state_dict(state["value_adam"])
            self.entropy_optimizer.load_state_dict(state["entropy_adam"])
