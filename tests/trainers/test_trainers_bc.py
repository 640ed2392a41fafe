"""Behavioral cloning: the policy's actions approach the demonstrations' (discrete branches,
PPO's unbounded and SAC's squashed continuous actions), its learning rate is the trainer's
times strength annealed over steps, after which it stops; its epochs and minibatches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mlagents.trainers.buffer import BufferKey, obs_key
from mlagents.trainers.settings import BehavioralCloningSettings, TrainerSettings
from mlagents.trainers.torch.components.bc.module import FINAL_LEARNING_RATE, BCModule
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents_envs.base_env import ActionSpec, BehaviorSpec
from tests.trainers.experience_testing import spec_of
from tests.trainers.signal_testing import SIZE, write_expert

NETWORK = TrainerSettings.from_dict(
    {"network_settings": {"hidden_units": 32, "num_layers": 1}}
).network_settings


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # small networks: threads would only wait on each other


def expert_action(obs: np.ndarray) -> tuple[list[float], list[int]]:
    """Continuous: 0.6 times the first two floats, clipped to [-1, 1]; discrete: 2 where the
    first float is positive, else 1."""
    continuous = np.clip(0.6 * obs[:2], -1, 1).tolist()
    return continuous, [2 if obs[0] > 0 else 1]


def demo(tmp_path: Path, action: ActionSpec, rows: int = 300) -> Path:
    observations = np.random.default_rng(0).normal(0, 1, (rows, SIZE))

    def decide(obs: np.ndarray) -> tuple[list[float], list[int]]:
        continuous, discrete = expert_action(obs)
        return continuous[: action.continuous_size], discrete[: action.discrete_size]

    return write_expert(
        tmp_path / "expert.demo",
        observations,
        decide,
        action.continuous_size,
        action.discrete_branches,
    )


def cloning(path: Path, **settings: object) -> BehavioralCloningSettings:
    parsed = TrainerSettings.from_dict({"behavioral_cloning": {"demo_path": str(path), **settings}})
    assert parsed.behavioral_cloning is not None
    return parsed.behavioral_cloning


def policy_of(spec: BehaviorSpec, sac: bool = False) -> TorchPolicy:
    return TorchPolicy(spec, NETWORK, seed=0, conditional_sigma=sac, tanh_squash=sac)


def greedy(policy: TorchPolicy, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The environment's continuous actions at the policy's mean, and its likeliest branch."""
    with torch.no_grad():
        actor = policy.actor
        dists = actor.distributions([torch.as_tensor(observations)], None)
        continuous = np.zeros((len(observations), 0))
        if dists.mu is not None:
            mean = torch.tanh(dists.mu) if actor.action_model.tanh_squash else dists.mu
            continuous = actor.action_model.environment_action(mean).numpy()
        discrete = [b.argmax(dim=1).numpy() for b in dists.branch_log_probs]
    return continuous, np.stack(discrete, axis=1) if discrete else np.zeros((len(observations), 0))


def test_the_policy_takes_the_demonstrations_discrete_actions(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_discrete((3,)))
    policy = policy_of(spec)
    module = BCModule(policy, cloning(demo(tmp_path, spec.action_spec)), 3e-3, 32)
    observations = module.demonstrations[obs_key(0)]
    expert = module.demonstrations[BufferKey.DISCRETE_ACTION][:, 0]
    assert set(expert.tolist()) == {1, 2}  # the decided actions, not the held zeros
    losses = [module.update()["Losses/Pretraining Loss"] for _ in range(10)]
    assert losses[-1] < 0.5 * losses[0], losses
    _, discrete = greedy(policy, observations)
    assert np.mean(discrete[:, 0] == expert) > 0.9


@pytest.mark.parametrize("sac", [False, True], ids=["ppo-unbounded", "sac-squashed"])
def test_the_policy_takes_the_demonstrations_continuous_actions(tmp_path: Path, sac: bool) -> None:
    spec = spec_of(ActionSpec.create_continuous(2))
    policy = policy_of(spec, sac)
    module = BCModule(policy, cloning(demo(tmp_path, spec.action_spec)), 3e-3, 32)
    observations = module.demonstrations[obs_key(0)]
    expert = module.demonstrations[BufferKey.CONTINUOUS_ACTION]
    before = np.abs(greedy(policy, observations)[0] - expert).mean()
    for _ in range(10):
        module.update()
    # As the environment receives them: PPO's are clamped to [-3, 3] and divided by 3.
    after = np.abs(greedy(policy, observations)[0] - expert).mean()
    assert after < 0.1 and after < 0.3 * before, (before, after)


def test_hybrid_actions_are_cloned_together(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_hybrid(2, (3,)))
    policy = policy_of(spec)
    module = BCModule(policy, cloning(demo(tmp_path, spec.action_spec)), 3e-3, 32)
    losses = [module.update()["Losses/Pretraining Loss"] for _ in range(5)]
    assert losses[-1] < 0.5 * losses[0], losses


def test_learning_rate_is_the_trainers_times_strength_annealed_over_steps(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_discrete((3,)))
    path = demo(tmp_path, spec.action_spec)
    policy = policy_of(spec)
    constant = BCModule(policy, cloning(path, strength=0.5), 1e-3, 32)
    assert constant.learning_rate(0) == constant.learning_rate(10**6) == pytest.approx(5e-4)
    annealed = BCModule(policy, cloning(path, strength=0.5, steps=1000), 1e-3, 32)
    assert annealed.learning_rate(0) == pytest.approx(5e-4)
    assert annealed.learning_rate(500) == pytest.approx(2.5e-4, rel=1e-6)
    assert annealed.learning_rate(1000) == annealed.learning_rate(5000) == FINAL_LEARNING_RATE
    policy.step = 250
    annealed.update()
    assert annealed.optimizer.param_groups[0]["lr"] == pytest.approx(3.75e-4)
    # Once annealed, cloning stops: nothing changes.
    policy.step = 1000
    weights = {k: v.clone() for k, v in policy.actor.state_dict().items()}
    assert annealed.update() == {"Losses/Pretraining Loss": 0.0}
    assert all(torch.equal(v, weights[k]) for k, v in policy.actor.state_dict().items())


def adam_steps(module: BCModule) -> int:
    return int(max(float(s["step"]) for s in module.optimizer.state_dict()["state"].values()))


def test_epochs_and_minibatches(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_discrete((3,)))
    path = demo(tmp_path, spec.action_spec, rows=100)
    policy = policy_of(spec)
    default = BCModule(policy, cloning(path), 3e-4, default_batch_size=16)
    rows = len(default.demonstrations)  # 100 steps, less the episodes' ends and the last
    assert rows == 94
    assert (default.num_epoch, default.batch_size) == (3, 16)  # ML-Agents' 3, the trainer's
    default.update()
    assert adam_steps(default) == 3 * (rows // 16)  # every whole minibatch, three times
    capped = BCModule(policy, cloning(path, samples_per_update=40, num_epoch=2), 3e-4, 16)
    capped.update()
    assert adam_steps(capped) == 2 * 2  # 40 samples: two minibatches of 16 a pass
    tiny = BCModule(policy, cloning(path, samples_per_update=5, batch_size=10), 3e-4, 16)
    tiny.update()
    assert adam_steps(tiny) == 3  # fewer samples than a minibatch: still one
    whole = BCModule(policy, cloning(path, batch_size=1000), 3e-4, 16)
    assert whole.batch_size == rows  # never more than the demonstrations hold


def test_the_experts_action_stays_allowed_whatever_its_mask(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_discrete((3,)))
    observations = np.random.default_rng(0).normal(0, 1, (50, SIZE))
    # The recording says action 2 is not allowed, yet the expert takes it.
    path = write_expert(
        tmp_path / "masked.demo",
        observations,
        lambda obs: ([], [2]),
        branches=(3,),
        masks=lambda obs: [False, False, True],
    )
    module = BCModule(policy_of(spec), cloning(path), 3e-4, 16)
    assert (module.demonstrations[BufferKey.ACTION_MASK][:, 2] == 0).all()
    loss = module.update()["Losses/Pretraining Loss"]
    assert np.isfinite(loss) and loss < 5.0
