"""The action model: its log-probabilities and entropy against torch.distributions, the
actions the environment gets, and PPO's statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import distributions as D

from mlagents.trainers.ppo.optimizer_torch import explained_variance
from mlagents.trainers.torch.action_model import ActionModel
from mlagents_envs.base_env import ActionSpec

HYBRID = ActionSpec.create_hybrid(3, (3, 2))


@pytest.mark.parametrize("tanh_squash", [False, True])
def test_log_probs_agree_with_torch_distributions(tanh_squash: bool) -> None:
    torch.manual_seed(0)
    model = ActionModel(8, HYBRID, conditional_sigma=tanh_squash, tanh_squash=tanh_squash)
    code = torch.randn(64, 8)
    masks = torch.ones(64, 5)
    masks[:, 1] = 0  # branch 0, action 1 forbidden
    with torch.no_grad():
        sample = model(code, masks)
        dists = model.distributions(code, masks)
        log_probs, entropy, _ = model.evaluate(code, masks, sample.continuous, sample.discrete)
    assert dists.mu is not None and dists.sigma is not None
    gaussian = D.Normal(dists.mu, dists.sigma)
    if tanh_squash:
        squashed = D.TransformedDistribution(gaussian, [D.TanhTransform()])
        expected_continuous = squashed.log_prob(sample.continuous.clamp(-0.999999, 0.999999))
        assert sample.continuous.abs().max() < 1
    else:
        expected_continuous = gaussian.log_prob(sample.continuous)
    torch.testing.assert_close(log_probs.continuous, expected_continuous, atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(sample.log_probs.continuous, log_probs.continuous, atol=2e-3, rtol=0)
    expected_discrete = torch.stack(
        [
            D.Categorical(logits=branch).log_prob(sample.discrete[:, k])
            for k, branch in enumerate(dists.branch_log_probs)
        ],
        dim=1,
    )
    torch.testing.assert_close(log_probs.discrete, expected_discrete)
    assert not (sample.discrete[:, 0] == 1).any()
    assert log_probs.flat().shape == (64, 5)
    # Entropy: the Gaussian's averaged over its dimensions, each branch's added.
    expected_entropy = gaussian.entropy().mean(dim=1) + sum(
        D.Categorical(logits=branch).entropy() for branch in dists.branch_log_probs
    )
    torch.testing.assert_close(entropy, expected_entropy)


def test_what_the_environment_gets() -> None:
    unbounded = ActionModel(4, ActionSpec.create_continuous(2))
    squashed = ActionModel(4, ActionSpec.create_continuous(2), tanh_squash=True)
    raw = torch.tensor([[-7.5, 1.5], [0.75, 9.0]])
    assert unbounded.environment_action(raw).tolist() == [[-1.0, 0.5], [0.25, 1.0]]
    assert torch.equal(squashed.environment_action(raw.tanh()), raw.tanh())
    code = torch.randn(3, 4)
    for model in (unbounded, squashed):
        with torch.no_grad():
            (sampled, deterministic), discrete = model.export_outputs(code, None)
            greedy = model(code, None, deterministic=True)
        assert discrete == []
        torch.testing.assert_close(deterministic, model.environment_action(greedy.continuous))
        assert sampled.abs().max() <= 1.0


def test_explained_variance() -> None:
    target = np.array([1.0, 2.0, 3.0, 4.0])
    assert explained_variance(target, target) == 1.0
    assert explained_variance(np.full(4, target.mean()), target) == pytest.approx(0.0)
    assert explained_variance(target * 0, np.ones(4)) != explained_variance(target * 0, np.ones(4))
