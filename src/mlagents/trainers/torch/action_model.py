"""The action model: from an actor's hidden code to action distributions, and everything
done with them — sampling, log-probabilities, entropy, the actions the environment gets,
and the outputs of the exported model. Acting, training and export all go through it, so
that they agree by construction.

Continuous actions are Gaussian, either unbounded (PPO: the environment gets them clamped
to [-3, 3] and divided by 3) or squashed by tanh (SAC: already in [-1, 1]); each discrete
branch is a categorical over its masked logits. Log-probabilities are kept per continuous
dimension and per discrete branch (`ActionLogProbs`): PPO clips its ratio per part, SAC
sums them.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from mlagents.trainers.torch.layers import linear_layer
from mlagents_envs.base_env import ActionSpec

#: Unbounded continuous actions are clamped to this range, then divided by it.
ACTION_CLAMP = 3.0
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TANH_EPSILON = 1e-6


class ActionLogProbs(NamedTuple):
    continuous: torch.Tensor  # (n, continuous size)
    discrete: torch.Tensor  # (n, branches): of the action taken in each branch

    def flat(self) -> torch.Tensor:
        """(n, continuous size + branches): every part side by side."""
        return torch.cat([self.continuous, self.discrete], dim=1)


class Distributions(NamedTuple):
    mu: torch.Tensor | None  # (n, c) before any squashing
    sigma: torch.Tensor | None  # (n, c)
    branch_log_probs: list[torch.Tensor]  # per branch (n, size), masked log-softmax


class ActionSample(NamedTuple):
    continuous: torch.Tensor  # (n, c): what the trainer stores (squashed when tanh)
    discrete: torch.Tensor  # (n, branches) int64
    log_probs: ActionLogProbs
    entropy: torch.Tensor  # (n,)


class ActionModel(nn.Module):
    """Action heads over a hidden code of size hidden_size.

    conditional_sigma: the Gaussian's log standard deviation is computed from the code
    (SAC) instead of being one learned vector (PPO); tanh_squash: continuous actions are
    tanh of the Gaussian sample."""

    def __init__(
        self,
        hidden_size: int,
        action_spec: ActionSpec,
        conditional_sigma: bool = False,
        tanh_squash: bool = False,
    ) -> None:
        super().__init__()
        self.action_spec = action_spec
        self.continuous_size = action_spec.continuous_size
        self.branches = list(action_spec.discrete_branches)
        self.conditional_sigma = conditional_sigma
        self.tanh_squash = tanh_squash
        if self.continuous_size:
            self.mu = linear_layer(hidden_size, self.continuous_size, gain=0.2)
            if conditional_sigma:
                self.log_sigma_head = linear_layer(hidden_size, self.continuous_size, gain=0.2)
            else:
                self.log_sigma = nn.Parameter(torch.zeros(1, self.continuous_size))
        self.logits = nn.ModuleList([nn.Linear(hidden_size, size) for size in self.branches])
        for head in self.logits:
            # Small logits, a near-uniform start. ML-Agents' (0.1 of He normal, zero bias)
            # made PPO learn Basic slower: 0.44 against 0.62 after 6,000 steps, 10 seeds.
            nn.init.normal_(head.weight, std=0.01)  # type: ignore[arg-type]

    # Distributions.

    def distributions(self, code: torch.Tensor, masks: torch.Tensor | None) -> Distributions:
        """masks: (n, sum of branches), 1 = allowed (None: everything allowed)."""
        mu = sigma = None
        if self.continuous_size:
            mu = self.mu(code)
            raw = self.log_sigma_head(code) if self.conditional_sigma else self.log_sigma
            sigma = torch.exp(torch.clamp(raw, -20.0, 2.0)).expand_as(mu)
        branch_log_probs = []
        start = 0
        for head, size in zip(self.logits, self.branches):
            logits = head(code)
            if masks is not None:
                allowed = masks[:, start : start + size] > 0.5
                # An agent with everything masked keeps its logits (the environment's fault).
                allowed = allowed | ~allowed.any(dim=1, keepdim=True)
                logits = logits.masked_fill(~allowed, -1e8)
            branch_log_probs.append(torch.log_softmax(logits, dim=1))
            start += size
        return Distributions(mu, sigma, branch_log_probs)

    def _continuous_log_probs(
        self, dists: Distributions, unsquashed: torch.Tensor, squashed: torch.Tensor
    ) -> torch.Tensor:
        assert dists.mu is not None and dists.sigma is not None
        mu, sigma = dists.mu, dists.sigma
        log_prob = -((unsquashed - mu) ** 2) / (2 * sigma**2) - torch.log(sigma) - _LOG_SQRT_2PI
        if self.tanh_squash:
            log_prob = log_prob - torch.log(1 - squashed**2 + _TANH_EPSILON)
        return log_prob

    def entropy(self, dists: Distributions) -> torch.Tensor:
        """(n,): the Gaussian's entropy (of the unsquashed sample) averaged over its
        dimensions, plus each branch's entropy, as ML-Agents counts it (so that beta weighs
        a wide continuous action no more than a narrow one)."""
        n = (dists.mu if dists.mu is not None else dists.branch_log_probs[0]).shape[0]
        entropy = torch.zeros(n)
        if dists.sigma is not None:
            entropy = entropy + (0.5 + _LOG_SQRT_2PI + torch.log(dists.sigma)).mean(dim=1)
        for log_probs in dists.branch_log_probs:
            entropy = entropy - (log_probs.exp() * log_probs).sum(dim=1)
        return entropy

    # Acting and evaluating.

    def forward(
        self, code: torch.Tensor, masks: torch.Tensor | None, deterministic: bool = False
    ) -> ActionSample:
        dists = self.distributions(code, masks)
        return self.sample(dists, deterministic)

    def sample(self, dists: Distributions, deterministic: bool = False) -> ActionSample:
        """Actions drawn from dists (the most likely ones when deterministic); continuous
        samples keep their gradient (reparameterized), as SAC's policy loss needs."""
        n = (dists.mu if dists.mu is not None else dists.branch_log_probs[0]).shape[0]
        continuous = torch.zeros(n, 0)
        continuous_log_probs = torch.zeros(n, 0)
        if dists.mu is not None and dists.sigma is not None:
            unsquashed = dists.mu
            if not deterministic:
                unsquashed = dists.mu + dists.sigma * torch.randn_like(dists.mu)
            continuous = torch.tanh(unsquashed) if self.tanh_squash else unsquashed
            continuous_log_probs = self._continuous_log_probs(dists, unsquashed, continuous)
        chosen, discrete_log_probs = [], []
        for log_probs in dists.branch_log_probs:
            if deterministic:
                index = log_probs.argmax(dim=1)
            else:
                index = torch.multinomial(log_probs.exp(), 1).squeeze(1)
            chosen.append(index)
            discrete_log_probs.append(log_probs.gather(1, index[:, None]))
        discrete = torch.stack(chosen, dim=1) if chosen else torch.zeros(n, 0, dtype=torch.long)
        discrete_lp = torch.cat(discrete_log_probs, dim=1) if chosen else torch.zeros(n, 0)
        both = ActionLogProbs(continuous_log_probs, discrete_lp)
        return ActionSample(continuous, discrete, both, self.entropy(dists))

    def evaluate(
        self,
        code: torch.Tensor,
        masks: torch.Tensor | None,
        continuous: torch.Tensor,
        discrete: torch.Tensor,
    ) -> tuple[ActionLogProbs, torch.Tensor, Distributions]:
        """The log-probabilities of given actions (as stored: squashed when tanh) under
        the current distributions, their entropy, and the distributions."""
        dists = self.distributions(code, masks)
        n = code.shape[0]
        continuous_log_probs = torch.zeros(n, 0)
        if self.continuous_size:
            squashed = continuous
            unsquashed = continuous
            if self.tanh_squash:
                squashed = torch.clamp(continuous, -1 + _TANH_EPSILON, 1 - _TANH_EPSILON)
                unsquashed = torch.atanh(squashed)
            continuous_log_probs = self._continuous_log_probs(dists, unsquashed, squashed)
        parts = [
            log_probs.gather(1, discrete[:, branch].long()[:, None])
            for branch, log_probs in enumerate(dists.branch_log_probs)
        ]
        discrete_lp = torch.cat(parts, dim=1) if parts else torch.zeros(n, 0)
        return ActionLogProbs(continuous_log_probs, discrete_lp), self.entropy(dists), dists

    # What leaves the trainer.

    def environment_action(self, continuous: torch.Tensor) -> torch.Tensor:
        """The continuous actions the environment receives."""
        if self.tanh_squash:
            return continuous
        return torch.clamp(continuous, -ACTION_CLAMP, ACTION_CLAMP) / ACTION_CLAMP

    def export_outputs(
        self, code: torch.Tensor, masks: torch.Tensor | None
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """For an exported model: ([sampled, deterministic] continuous actions as the
        environment gets them, or nothing), ([sampled, deterministic] discrete actions, or
        nothing)."""
        dists = self.distributions(code, masks)
        continuous: list[torch.Tensor] = []
        discrete: list[torch.Tensor] = []
        if dists.mu is not None and dists.sigma is not None:
            sampled = dists.mu + dists.sigma * torch.randn_like(dists.mu)
            if self.tanh_squash:
                continuous = [torch.tanh(sampled), torch.tanh(dists.mu)]
            else:
                continuous = [self.environment_action(sampled), self.environment_action(dists.mu)]
        if dists.branch_log_probs:
            sampled_branches = [torch.multinomial(torch.exp(b), 1) for b in dists.branch_log_probs]
            greedy = [torch.argmax(b, dim=1, keepdim=True) for b in dists.branch_log_probs]
            discrete = [torch.cat(sampled_branches, dim=1), torch.cat(greedy, dim=1)]
        return continuous, discrete
