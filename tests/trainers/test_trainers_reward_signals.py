"""The learned reward signals one by one: curiosity and RND stop paying for what they have
learned and keep paying for what is new; GAIL's discriminator tells the demonstrations from
the agents' steps (by their actions too with use_actions), its gradient penalty pulls the
input gradient's norm to 1, VAIL's beta follows the information constraint; the actions the
signals see are those the environment received; demonstrations pair each observation with
the action decided on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mlagents.trainers.buffer import AgentBuffer, BufferKey, obs_key
from mlagents.trainers.demo_loader import DemonstrationSpecException, demo_to_buffer
from mlagents.trainers.torch.action_model import ActionModel
from mlagents.trainers.torch.components.expert_rows import decided_rows, load_expert_rows
from mlagents.trainers.torch.components.reward_providers import (
    NAME_TO_CLASS,
    CuriosityRewardProvider,
    GAILRewardProvider,
    RNDRewardProvider,
    create_reward_provider,
)
from mlagents.trainers.torch.components.reward_providers.gail_reward_provider import (
    GRADIENT_PENALTY_WEIGHT,
    VAIL_BETA_RATE,
    VAIL_INFORMATION_TARGET,
)
from mlagents_envs.base_env import ActionSpec
from tests.trainers.experience_testing import spec_of
from tests.trainers.signal_testing import SIZE, signal_settings, transitions, write_expert

ACTIONS = [
    ActionSpec.create_discrete((3,)),
    ActionSpec.create_continuous(2),
    ActionSpec.create_hybrid(2, (3, 2)),
]
ACTION_IDS = ["discrete", "continuous", "hybrid"]


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # small networks: threads would only wait on each other


def test_every_signal_is_registered_with_upstreams_names() -> None:
    assert sorted(NAME_TO_CLASS) == ["curiosity", "extrinsic", "gail", "rnd"]
    spec = spec_of(ActionSpec.create_discrete((3,)))
    curiosity = create_reward_provider("curiosity", spec, signal_settings("curiosity"))
    rnd = create_reward_provider("rnd", spec, signal_settings("rnd"))
    # ML-Agents names them by class ("GAIL", "RND") capitalized: "Gail", "Rnd".
    assert curiosity.stat_name == "Policy/Curiosity Reward"
    assert rnd.stat_name == "Policy/Rnd Reward"
    assert rnd.value_name == "Policy/Rnd Value Estimate"
    # Only the task's and GAIL's rewards stop at a true episode end, as in ML-Agents.
    assert (curiosity.ignore_done, rnd.ignore_done) == (True, True)
    assert curiosity.needs_next_observations and not rnd.needs_next_observations


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_curiosity_stops_paying_for_transitions_it_has_learned(action: ActionSpec) -> None:
    spec = spec_of(action)
    # A small strength: the reward is capped at 1 / strength, which would hide the fall.
    settings = signal_settings("curiosity", strength=0.01, network_settings={"hidden_units": 32})
    curiosity = create_reward_provider("curiosity", spec, settings)
    assert isinstance(curiosity, CuriosityRewardProvider)
    seen, new = transitions(spec, 128, 0.0, seed=1), transitions(spec, 128, 3.0, seed=2)
    assert not curiosity.evaluate(seen).any()  # nothing is paid before the first update
    stats = curiosity.update(seen)
    assert set(stats) == {"Losses/Curiosity Forward Loss", "Losses/Curiosity Inverse Loss"}
    first = float(curiosity.evaluate(seen).mean())
    for _ in range(200):
        last = curiosity.update(seen)
    learned, novel = float(curiosity.evaluate(seen).mean()), float(curiosity.evaluate(new).mean())
    assert learned < 0.3 * first, (first, learned)
    assert novel > 3 * learned, (learned, novel)
    assert last["Losses/Curiosity Forward Loss"] < stats["Losses/Curiosity Forward Loss"]
    assert last["Losses/Curiosity Inverse Loss"] < stats["Losses/Curiosity Inverse Loss"]


def test_curiosity_pays_at_most_one_once_scaled() -> None:
    spec = spec_of(ActionSpec.create_continuous(2))
    curiosity = create_reward_provider(
        "curiosity", spec, signal_settings("curiosity", strength=0.5)
    )
    far = transitions(spec, 64, 50.0, seed=3)
    curiosity.update(far)
    rewards = curiosity.evaluate(far)
    assert rewards.max() == pytest.approx(2.0)  # 1 / strength: 1 once times strength


@pytest.mark.parametrize("action", ACTIONS[:2], ids=ACTION_IDS[:2])
def test_rnd_stops_paying_for_observations_it_has_seen(action: ActionSpec) -> None:
    spec = spec_of(action)
    rnd = create_reward_provider(
        "rnd", spec, signal_settings("rnd", network_settings={"hidden_units": 32})
    )
    assert isinstance(rnd, RNDRewardProvider)
    target = {k: v.clone() for k, v in rnd.network.target.state_dict().items()}
    seen, new = transitions(spec, 128, 0.0, seed=1), transitions(spec, 128, 3.0, seed=2)
    first = float(rnd.evaluate(seen).mean())
    losses = [rnd.update(seen)["Losses/RND Loss"] for _ in range(300)]
    learned, novel = float(rnd.evaluate(seen).mean()), float(rnd.evaluate(new).mean())
    assert learned < 0.8 * first and losses[-1] < 0.8 * losses[0], (first, learned)
    assert novel > 3 * learned, (learned, novel)
    for key, value in rnd.network.target.state_dict().items():
        assert torch.equal(value, target[key]), key  # the target never trains


def test_normalizers_of_signals_follow_the_agents_observations() -> None:
    spec = spec_of(ActionSpec.create_discrete((3,)))
    normalized = {"network_settings": {"normalize": True}}
    rnd = create_reward_provider("rnd", spec, signal_settings("rnd", **normalized))
    curiosity = create_reward_provider(
        "curiosity", spec, signal_settings("curiosity", **normalized)
    )
    assert isinstance(rnd, RNDRewardProvider) and isinstance(curiosity, CuriosityRewardProvider)
    rows = transitions(spec, 500, 4.0, seed=0)
    for provider in (rnd, curiosity):
        provider.update_normalization(rows)
    normalizers = [
        rnd.network.target.encoder.encoders[0].normalizer,
        rnd.network.predictor.encoder.encoders[0].normalizer,
        curiosity.network.encoder.encoder.encoders[0].normalizer,
    ]
    for normalizer in normalizers:
        assert normalizer is not None
        assert np.allclose(normalizer.mean.numpy(), rows[obs_key(0)].mean(axis=0), atol=1e-3)


# GAIL.


def gail(tmp_path: Path, action: ActionSpec, **settings: object) -> GAILRewardProvider:
    """GAIL on expert observations about N(1, 0.5), the expert taking action 2 of the first
    branch (and 0.5 on each continuous dimension)."""
    rng = np.random.default_rng(0)
    demo = write_expert(
        tmp_path / "expert.demo",
        rng.normal(1.0, 0.5, (400, SIZE)),
        lambda obs: ([0.5] * action.continuous_size, [2] * action.discrete_size),
        action.continuous_size,
        action.discrete_branches,
    )
    provider = create_reward_provider(
        "gail",
        spec_of(action),
        signal_settings(
            "gail",
            demo_path=str(demo),
            learning_rate=1e-3,
            network_settings={"hidden_units": 32},
            **settings,
        ),
    )
    assert isinstance(provider, GAILRewardProvider)
    return provider


def agent_rows(action: ActionSpec, center: float, discrete: int = 1) -> AgentBuffer:
    """The agents' steps: observations about N(center, 0.5), the first branch's action
    discrete (and 0 on the continuous dimensions)."""
    rows = transitions(spec_of(action), 256, center, seed=1)
    rng = np.random.default_rng(1)
    rows.add_column(obs_key(0), rng.normal(center, 0.5, (256, SIZE)).astype(np.float32))
    rows.add_column(BufferKey.DISCRETE_ACTION, np.full((256, action.discrete_size), discrete))
    rows.add_column(
        BufferKey.CONTINUOUS_ACTION, np.zeros((256, action.continuous_size), np.float32)
    )
    return rows


def train(provider: GAILRewardProvider, rows: AgentBuffer, updates: int) -> list[dict]:
    rng = np.random.default_rng(0)
    return [provider.update(rows.rows(rng.integers(0, len(rows), 64))) for _ in range(updates)]


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_gail_tells_the_demonstrations_from_the_agents(tmp_path: Path, action: ActionSpec) -> None:
    provider = gail(tmp_path, action)
    agents = agent_rows(action, -1.0)
    stats = train(provider, agents, 200)
    expected = {
        "Losses/GAIL Loss",
        "Policy/GAIL Policy Estimate",
        "Policy/GAIL Expert Estimate",
        "Policy/GAIL Grad Mag Loss",
    }
    assert set(stats[-1]) == expected
    assert stats[-1]["Policy/GAIL Expert Estimate"] > 0.8
    assert stats[-1]["Policy/GAIL Policy Estimate"] < 0.2
    assert stats[-1]["Losses/GAIL Loss"] < 0.5 * stats[0]["Losses/GAIL Loss"]
    # The reward, -log(1 - D), is high where D takes a step for the expert's.
    expert_reward = float(provider.evaluate(provider.demonstrations).mean())
    assert expert_reward > 1.0 and float(provider.evaluate(agents).mean()) < 0.25


def test_with_use_actions_gail_judges_the_actions_too(tmp_path: Path) -> None:
    action = ActionSpec.create_discrete((3,))
    # The agents are where the expert is, but take action 1 where it takes 2.
    for use_actions in (False, True):
        provider = gail(tmp_path, action, use_actions=use_actions)
        agents = agent_rows(action, 1.0, discrete=1)
        stats = train(provider, agents, 200)[-1]
        gap = stats["Policy/GAIL Expert Estimate"] - stats["Policy/GAIL Policy Estimate"]
        if use_actions:
            assert gap > 0.3, stats
        else:
            assert abs(gap) < 0.15, stats


def test_gradient_penalty_pulls_the_input_gradient_norm_to_one(tmp_path: Path) -> None:
    action = ActionSpec.create_discrete((3,))
    provider = gail(tmp_path, action)
    agents = agent_rows(action, 1.0)
    policy = (provider.observations(agents), None)
    expert = (provider.observations(provider.expert_batch(len(agents))), None)
    torch.nn.init.zeros_(provider.network.estimator.weight)  # D constant: its gradient is 0
    penalty = provider.gradient_penalty(policy, expert).detach()
    assert float(penalty) == pytest.approx(1.0, abs=1e-3)
    # With nothing to tell apart, the penalty alone drives the discriminator: its reported
    # loss (weight times the mean of (norm - 1)^2) falls toward 0.
    provider = gail(tmp_path, action)
    stats = train(provider, agents, 200)
    penalties = [s["Policy/GAIL Grad Mag Loss"] for s in stats]
    assert penalties[0] > 0.3 * GRADIENT_PENALTY_WEIGHT
    assert np.mean(penalties[-10:]) < 0.3 * penalties[0], penalties[::20]


def test_vail_beta_follows_the_information_constraint(tmp_path: Path) -> None:
    action = ActionSpec.create_discrete((3,))
    provider = gail(tmp_path, action, use_vail=True)
    assert float(provider.network.beta) == 0.0
    stats = train(provider, agent_rows(action, -1.0), 120)
    betas = [0.0] + [s["Policy/GAIL Beta"] for s in stats]
    kls = [s["Losses/GAIL KL Loss"] for s in stats]
    for before, after, kl in zip(betas, betas[1:], kls):
        expected = max(0.0, before + VAIL_BETA_RATE * (kl - VAIL_INFORMATION_TARGET))
        assert after == pytest.approx(expected, abs=1e-6)
    assert kls[0] < VAIL_INFORMATION_TARGET and betas[1] == 0.0  # never below 0
    assert max(kls) > VAIL_INFORMATION_TARGET and betas[-1] > 0.0  # it grows above target
    # Below the target it shrinks.
    provider.network.beta.fill_(1.0)
    torch.nn.init.zeros_(provider.network.z_mu.weight)
    torch.nn.init.zeros_(provider.network.z_mu.bias)
    stats = train(provider, agent_rows(action, -1.0), 1)
    assert stats[0]["Losses/GAIL KL Loss"] < VAIL_INFORMATION_TARGET
    assert stats[0]["Policy/GAIL Beta"] < 1.0


def test_gail_refuses_demonstrations_of_another_behavior(tmp_path: Path) -> None:
    demo = gail(tmp_path, ActionSpec.create_discrete((3,))).settings
    with pytest.raises(DemonstrationSpecException, match=r"expert\.demo"):
        create_reward_provider("gail", spec_of(ActionSpec.create_continuous(2)), demo)


def test_signals_see_the_actions_the_environment_received(tmp_path: Path) -> None:
    """PPO stores its continuous actions unclamped; curiosity and GAIL read them clamped and
    scaled as the environment got them, like the demonstrations' actions."""
    action = ActionSpec.create_continuous(2)
    environment_action = ActionModel(4, action).environment_action
    rows = agent_rows(action, 1.0)
    rows.add_column(BufferKey.CONTINUOUS_ACTION, np.full((256, 2), 1.5, np.float32))
    seen = []

    def spy(actions: torch.Tensor) -> torch.Tensor:
        seen.append(actions)
        return environment_action(actions)

    demo = gail(tmp_path, action, use_actions=True).settings
    for name, settings in (("curiosity", signal_settings("curiosity")), ("gail", demo)):
        seen.clear()
        provider = create_reward_provider(name, spec_of(action), settings, environment_action=spy)
        provider.update(rows)
        provider.evaluate(rows)
        assert seen and all(torch.equal(a, torch.full((256, 2), 1.5)) for a in seen), name


# Demonstrations for imitation.


def test_each_demonstration_row_gets_the_action_decided_on_it(tmp_path: Path) -> None:
    observations = np.arange(9 * SIZE, dtype=np.float64).reshape(9, SIZE)
    # Decide action k + 1 on step k (of one branch of 20); episodes of 4 steps.
    demo = write_expert(
        tmp_path / "steps.demo",
        observations,
        lambda obs: ([], [int(obs[0]) // SIZE + 1]),
        branches=(20,),
        episode=4,
    )
    _, recorded = demo_to_buffer(demo, 1)
    # As recorded (as ML-Agents reads it): the previous decision's action, zeros at starts.
    assert recorded[BufferKey.DISCRETE_ACTION][:, 0].tolist() == [0, 1, 2, 3, 0, 5, 6, 7]
    rows = decided_rows(recorded)
    steps = (rows[obs_key(0)][:, 0] // SIZE).astype(int).tolist()
    # Step 3 ended the first episode (nothing was decided on it) and the last step's
    # decision is not in the file: both are left out; every other step has its own action.
    assert steps == [0, 1, 2, 4, 5, 6]
    assert rows[BufferKey.DISCRETE_ACTION][:, 0].tolist() == [1, 2, 3, 5, 6, 7]
    assert rows[BufferKey.DONE].tolist() == [False, False, True, False, False, True]
    loaded = load_expert_rows(tmp_path, spec_of(ActionSpec.create_discrete((20,))))
    assert len(loaded) == 6 and np.array_equal(loaded[obs_key(0)], rows[obs_key(0)])
