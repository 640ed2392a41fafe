"""MA-POCA's pieces: teammates through the agent processor (a member leaving early
included), attention masking, the critic's values and baselines, lambda returns, the
credit a member that left early keeps, settings, export and a short PushBlock run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlagents.plugins.trainer_type import register_trainer_plugins
from mlagents.trainers.action_info import ActionInfo
from mlagents.trainers.agent_processor import AgentManagerQueue, AgentProcessor
from mlagents.trainers.buffer import (
    BufferKey,
    RewardSignalKeyPrefix,
    group_obs_key,
    signal_key,
)
from mlagents.trainers.poca.trainer import POCATrainer, lambda_returns
from mlagents.trainers.policy import RandomPolicy
from mlagents.trainers.settings import NetworkSettings, TrainerSettings
from mlagents.trainers.settings_schema import TrainerConfigError
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.torch.attention import ResidualSelfAttention
from mlagents.trainers.torch.model_serialization import export_policy_model
from mlagents.trainers.torch.multi_agent import POCAValueNetwork, flat_actions
from mlagents.trainers.torch.unity_model_checks import check_model_for_unity
from mlagents.trainers.trajectory import AgentExperience, Trajectory
from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    BehaviorSpec,
    DecisionSteps,
    TerminalSteps,
)
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X
from mlagents_sim.specs import vector_observation

SPEC = BehaviorSpec([vector_observation(2, "VectorSensor")], ActionSpec.create_discrete((3,)))
BEHAVIOR = "Team?team=0"


def poca_settings(**hyperparameters: float) -> TrainerSettings:
    return TrainerSettings.from_dict(
        {
            "trainer_type": "poca",
            "hyperparameters": {"batch_size": 8, "buffer_size": 16, **hyperparameters},
            "network_settings": {"hidden_units": 16, "num_layers": 1},
            "reward_signals": {"extrinsic": {"gamma": 0.9, "strength": 1.0}},
            "summary_freq": 10**9,
        }
    )


# --------------------------------------------------------------------------------------
# Teammates through the agent processor.


class ScriptedGroup:
    """Feeds an AgentProcessor by hand: agents 0, 1, 2 in group 7, agent 5 alone. The
    observation of agent a at env step t is (a, t); its action at t is (a + t) % 3; its
    individual reward at t is a / 10; the group reward 1."""

    def __init__(self, needs_group_status: bool = True) -> None:
        policy = RandomPolicy(SPEC, seed=0)
        policy.needs_group_status = needs_group_status
        self.processor = AgentProcessor(policy, BEHAVIOR, StatsReporter("poca-test"))
        self.queue: AgentManagerQueue[Trajectory] = AgentManagerQueue(BEHAVIOR)
        self.processor.publish_trajectory_queue(self.queue)
        self.t = 0
        self.acted: list[int] = []

    @staticmethod
    def group_of(agent: int) -> int:
        return 0 if agent == 5 else 7

    def _arrays(self, agents: list[int]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        obs = [np.array([[a, self.t] for a in agents], dtype=np.float32).reshape(-1, 2)]
        reward = np.array([a / 10 for a in agents], dtype=np.float32)
        groups = np.array([self.group_of(a) for a in agents], dtype=np.int32)
        return obs, reward, groups

    def step(self, deciding: list[int], ending: list[int]) -> None:
        obs, reward, groups = self._arrays(deciding)
        decisions = DecisionSteps(
            obs, reward, np.array(deciding, np.int32), None, groups, np.ones(len(deciding))
        )
        obs, reward, groups = self._arrays(ending)
        terminals = TerminalSteps(
            obs,
            reward,
            np.zeros(len(ending), bool),
            np.array(ending, np.int32),
            groups,
            np.ones(len(ending), np.float32),
        )
        previous = self._action_info(self.acted, self.t - 1)
        self.processor.add_experiences(decisions, terminals, 0, previous)
        self.acted = deciding
        self.t += 1

    @staticmethod
    def _action_info(agents: list[int], t: int) -> ActionInfo:
        discrete = np.array([[(a + t) % 3] for a in agents], dtype=np.int32).reshape(-1, 1)
        action = ActionTuple(np.zeros((len(agents), 0), np.float32), discrete)
        outputs = {
            BufferKey.CONTINUOUS_LOG_PROBS.value: np.zeros((len(agents), 0), np.float32),
            BufferKey.DISCRETE_LOG_PROBS.value: np.zeros((len(agents), 1), np.float32),
        }
        return ActionInfo(action, action, outputs, agents)

    def trajectories(self) -> dict[int, Trajectory]:
        return {int(t.agent_id.rpartition("-")[2]): t for t in self.queue.drain()}


def play_member_leaving_early(needs_group_status: bool = True) -> dict[int, Trajectory]:
    """Env steps 0-2 everybody decides; at step 3 agent 2 ends its episode (alone, early)
    and the rest go on; at step 4 the group (0, 1) and agent 5 end theirs."""
    game = ScriptedGroup(needs_group_status)
    everyone = [0, 1, 2, 5]
    for _ in range(3):
        game.step(everyone, [])
    game.step([0, 1, 5], [2])
    early = game.trajectories()
    game.step([], [0, 1, 5])
    return {**early, **game.trajectories()}


def test_each_step_lists_the_teammates_at_that_same_step() -> None:
    trajectories = play_member_leaving_early()
    first = trajectories[0]
    assert [len(step.group_status) for step in first.steps] == [2, 2, 2, 1]
    for t, step in enumerate(first.steps):
        for mate in step.group_status:
            a = int(mate.obs[0][0])
            assert mate.obs[0][1] == t  # the teammate's observation of the same step
            assert mate.discrete_action[0] == (a + t) % 3  # and what it did then
            assert mate.reward == pytest.approx(a / 10)
        assert sorted(int(m.obs[0][0]) for m in step.group_status) == sorted(
            {1, 2} if t < 3 else {1}
        )
    # Agent 2 is listed as done at the step where it left, then no more.
    assert [m.done for m in first.steps[2].group_status if m.obs[0][0] == 2] == [True]
    assert first.all_group_dones_reached and first.done_reached


def test_a_member_leaving_early_ends_with_its_group_still_playing() -> None:
    trajectories = play_member_leaving_early()
    left = trajectories[2]
    assert len(left.steps) == 3 and left.done_reached
    assert not left.all_group_dones_reached  # its teammates play on
    # What its group looks like after it left, to bootstrap from: the others now.
    assert left.next_group_obs is not None
    assert sorted(o[0].tolist() for o in left.next_group_obs) == [[0.0, 3.0], [1.0, 3.0]]


def test_ungrouped_agents_and_trainers_without_groups_get_no_teammates() -> None:
    alone = play_member_leaving_early()[5]
    assert all(step.group_status == () for step in alone.steps)
    assert alone.next_group_obs == []
    plain = play_member_leaving_early(needs_group_status=False)[0]
    assert all(step.group_status == () for step in plain.steps)
    assert plain.next_group_obs is None
    assert BufferKey.GROUPMATE_PRESENT not in plain.to_agentbuffer()


def plain_step(step: AgentExperience) -> tuple:
    """A step's fields but its teammates, comparable with ==."""
    return (
        [o.tolist() for o in step.obs],
        step.reward,
        step.done,
        step.interrupted,
        step.continuous_action.tolist(),
        step.discrete_action.tolist(),
        step.group_id,
        step.group_reward,
        {k: np.asarray(v).tolist() for k, v in step.outputs.items()},
    )


def test_recording_teammates_changes_nothing_else() -> None:
    tracked = play_member_leaving_early(needs_group_status=True)
    plain = play_member_leaving_early(needs_group_status=False)
    assert tracked.keys() == plain.keys()
    for agent, trajectory in tracked.items():
        other = plain[agent]
        assert [plain_step(s) for s in trajectory.steps] == [plain_step(s) for s in other.steps]
        assert [o.tolist() for o in trajectory.next_obs] == [o.tolist() for o in other.next_obs]


def test_teammate_columns_are_padded_and_flagged() -> None:
    buffer = play_member_leaving_early()[0].to_agentbuffer()
    assert buffer[BufferKey.GROUPMATE_PRESENT].tolist() == [[True, True]] * 3 + [[True, False]]
    obs = buffer[group_obs_key(0)]
    assert obs.shape == (4, 2, 2)
    assert obs[3, 1].tolist() == [0.0, 0.0]  # the padding slot
    assert buffer[BufferKey.GROUP_DONES][2].tolist() == [False, True]
    assert buffer[BufferKey.GROUPMATE_REWARDS][0].sum() == pytest.approx(0.3)
    # Next observations: the teammates one step later (the last row: after the episode).
    assert (
        buffer[BufferKey.NEXT_GROUPMATE_PRESENT].tolist()
        == [[True, True]] * 2 + [[True, False]] * 2
    )
    assert buffer[group_obs_key(0, following=True)][0, :, 1].tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------------------
# Attention and the critic.


def test_attention_ignores_absent_entities_whatever_they_hold() -> None:
    torch.manual_seed(0)
    attention = ResidualSelfAttention(8, num_heads=2)
    real = torch.randn(5, 3, 8)
    clean = attention(real, [torch.zeros(5, 3)])
    padded = torch.cat([real, 100 * torch.randn(5, 2, 8)], dim=1)
    mask = torch.cat([torch.zeros(5, 3), torch.ones(5, 2)], dim=1)
    assert torch.allclose(attention(padded, [mask]), clean, atol=1e-5)
    # Without the mask the padding does change the result (the test can fail).
    assert not torch.allclose(attention(padded, [torch.zeros(5, 5)]), clean, atol=1e-3)


def critic() -> POCAValueNetwork:
    torch.manual_seed(0)
    settings = NetworkSettings(hidden_units=16, num_layers=1)
    return POCAValueNetwork(
        ["extrinsic", "curiosity"], list(SPEC.observation_specs), settings, SPEC.action_spec
    )


def test_values_and_baselines_per_signal_and_agent() -> None:
    net = critic()
    own = [torch.randn(6, 2)]
    mates = [torch.randn(6, 2, 2)]
    actions = flat_actions(torch.zeros(6, 2, 0), torch.randint(0, 3, (6, 2, 1)), SPEC.action_spec)
    present = torch.ones(6, 2, dtype=torch.bool)
    values = net.values(own, mates, present)
    baselines = net.baselines(own, mates, actions, present)
    assert set(values) == set(baselines) == {"extrinsic", "curiosity"}
    assert all(v.shape == (6,) for v in [*values.values(), *baselines.values()])
    # The baseline depends on the teammates' actions (not on the agent's own: no input).
    other = flat_actions(
        torch.zeros(6, 2, 0), (torch.argmax(actions, -1, keepdim=True) + 1) % 3, SPEC.action_spec
    )
    changed = net.baselines(own, mates, other, present)["extrinsic"]
    assert not torch.allclose(changed, baselines["extrinsic"])


def test_a_group_judged_the_same_with_or_without_padding_slots() -> None:
    net = critic()
    own = [torch.randn(4, 2)]
    mates = [torch.randn(4, 1, 2)]
    actions = flat_actions(torch.zeros(4, 1, 0), torch.randint(0, 3, (4, 1, 1)), SPEC.action_spec)
    present = torch.ones(4, 1, dtype=torch.bool)
    net.values(own, [torch.randn(4, 3, 2)], torch.ones(4, 3, dtype=torch.bool))  # max seen: 4
    values = net.values(own, mates, present)["extrinsic"]
    baselines = net.baselines(own, mates, actions, present)["extrinsic"]
    padded_mates = [torch.cat([mates[0], 50 * torch.randn(4, 2, 2)], dim=1)]
    padded_actions = torch.cat([actions, torch.ones(4, 2, actions.shape[2])], dim=1)
    padded_present = torch.tensor([[True, False, False]] * 4)
    assert torch.allclose(
        net.values(own, padded_mates, padded_present)["extrinsic"], values, atol=1e-5
    )
    assert torch.allclose(
        net.baselines(own, padded_mates, padded_actions, padded_present)["extrinsic"],
        baselines,
        atol=1e-5,
    )
    # A real third member changes the value (the group size is an input).
    assert not torch.allclose(
        net.values(own, padded_mates, torch.ones(4, 3, dtype=torch.bool))["extrinsic"], values
    )


# --------------------------------------------------------------------------------------
# Returns and credit.


def test_lambda_returns_span_td0_to_monte_carlo() -> None:
    rewards = np.array([1.0, 0.0, 2.0], dtype=np.float32)
    values = np.array([0.5, 1.5, -1.0], dtype=np.float32)
    gamma, last = 0.9, 3.0
    monte_carlo = [
        1 + gamma * 0 + gamma**2 * 2 + gamma**3 * last,
        0 + gamma * 2 + gamma**2 * last,
        2 + gamma * last,
    ]
    assert lambda_returns(rewards, values, last, gamma, 1.0) == pytest.approx(monte_carlo)
    td0 = [1 + gamma * 1.5, 0 + gamma * -1.0, 2 + gamma * last]
    assert lambda_returns(rewards, values, last, gamma, 0.0) == pytest.approx(td0)


def processed(trajectory: Trajectory) -> POCATrainer:
    trainer = POCATrainer("Team", SPEC, poca_settings(), seed=0)
    trainer._process_trajectory(trajectory)
    return trainer


def test_a_member_that_left_early_is_credited_with_its_groups_future() -> None:
    trajectories = play_member_leaving_early()
    left = processed(trajectories[2]).update_buffer
    rewards = left[signal_key(RewardSignalKeyPrefix.REWARDS, "extrinsic")]
    returns = left[signal_key(RewardSignalKeyPrefix.RETURNS, "extrinsic")]
    # Its last return bootstraps from the value of the group it left (not 0).
    assert returns[-1] != pytest.approx(rewards[-1])
    # The group's last member ends with the group: nothing left to bootstrap from.
    last = processed(trajectories[0]).update_buffer
    rewards = last[signal_key(RewardSignalKeyPrefix.REWARDS, "extrinsic")]
    returns = last[signal_key(RewardSignalKeyPrefix.RETURNS, "extrinsic")]
    assert returns[-1] == pytest.approx(rewards[-1])


def test_the_extrinsic_signal_counts_the_group_and_every_members_reward() -> None:
    buffer = processed(play_member_leaving_early()[0]).update_buffer
    rewards = buffer[signal_key(RewardSignalKeyPrefix.REWARDS, "extrinsic")]
    # Own 0.0, teammates 0.1 + 0.2 (then 0.1 alone), group reward 1.
    assert rewards.tolist() == pytest.approx([1.3, 1.3, 1.3, 1.1])


def test_groups_of_different_sizes_share_the_update_buffer() -> None:
    trajectories = play_member_leaving_early()
    trainer = POCATrainer("Team", SPEC, poca_settings(), seed=0)
    for agent in (5, 0, 2):  # no teammates first, then two
        trainer._process_trajectory(trajectories[agent])
    buffer = trainer.update_buffer
    assert len(buffer) == 4 + 4 + 3
    assert (
        buffer[BufferKey.GROUPMATE_PRESENT].sum(axis=1).tolist() == [0] * 4 + [2, 2, 2, 1] + [2] * 3
    )
    assert buffer[signal_key(RewardSignalKeyPrefix.BASELINE_ESTIMATES, "extrinsic")].shape == (11,)
    assert trainer._update_policy()
    stats = trainer.stats_reporter.get_stats_summaries("Losses/Baseline Loss")
    assert stats.num == 1 and np.isfinite(stats.mean)


# --------------------------------------------------------------------------------------
# Settings, registration and export.


def test_poca_is_a_built_in_trainer_type_with_ppos_hyperparameters() -> None:
    trainers, _ = register_trainer_plugins()
    assert trainers["poca"] is POCATrainer
    hp = poca_settings(beta=0.01, lambd=0.9).hyperparameters
    assert (hp.beta, hp.epsilon, hp.lambd, hp.num_epoch) == (0.01, 0.2, 0.9, 3)
    assert hp.beta_schedule == hp.learning_rate_schedule == "linear"
    with pytest.raises(TrainerConfigError, match=r"shared_critic.*PPO"):
        poca_settings(shared_critic=True)


def test_the_policy_exports_as_an_ordinary_actor(tmp_path) -> None:
    trainer = POCATrainer("Team", SPEC, poca_settings(), seed=0)
    path = tmp_path / "Team.onnx"
    export_policy_model(trainer.policy.actor, path)
    assert check_model_for_unity(path, SPEC, PACKAGE_VERSION_2X) == []
