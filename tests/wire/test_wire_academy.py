"""The Academy's bookkeeping, checked in-process on simulations whose numbers are known."""

from __future__ import annotations

import numpy as np
import pytest
from wire_sims import EchoSim, TwoRateSim

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.exception import UnityActionException, UnityEnvironmentException
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.stepped_env import AgentNotAskingError
from mlagents_sim.academy import Academy
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.simulation import BehaviorDef


def test_reset_asks_every_agent_with_zero_reward() -> None:
    with InProcessEnv(EchoSim()) as env:
        env.reset()
        decision, terminal = env.get_steps("Echo?team=0")
        assert decision.agent_id.tolist() == [0, 1, 2]
        assert decision.reward.tolist() == [0, 0, 0]
        assert len(terminal) == 0
        # row, ticks, episode, p (default -1)
        assert decision.obs[0][:, :4].tolist() == [[0, 0, 1, -1], [1, 0, 1, -1], [2, 0, 1, -1]]


def test_same_agent_ends_and_asks_again_in_one_step() -> None:
    with InProcessEnv(EchoSim()) as env:
        env.step()  # the first step resets
        env.step()
        decision, terminal = env.get_steps("Echo?team=0")
        assert decision.reward.tolist() == pytest.approx([1.0, 1.1, 1.2])
        assert len(terminal) == 0
        env.step()
        decision, terminal = env.get_steps("Echo?team=0")
        # Agent 0 lives 2 ticks: its terminal step shows tick 2, then it starts episode 2.
        assert terminal.agent_id.tolist() == [0]
        assert terminal.reward.tolist() == [1.0]
        assert terminal.interrupted.tolist() == [False]
        assert terminal.obs[0][0, :3].tolist() == [0, 2, 1]
        assert 0 in decision and 0 in terminal
        assert decision[0].obs[0][:3].tolist() == [0, 0, 2]
        assert decision[0].reward == 0.0


def test_actions_are_held_and_reach_agents_by_position() -> None:
    with InProcessEnv(EchoSim()) as env:
        env.reset()
        env.set_actions(
            "Echo?team=0",
            ActionTuple(np.array([[0.25], [0.5], [0.75]], np.float32), np.array([[1], [2], [0]])),
        )
        env.step()
        decision, _ = env.get_steps("Echo?team=0")
        assert decision.obs[0][:, 4].tolist() == [0.25, 0.5, 0.75]
        assert decision.obs[0][:, 5].tolist() == [1, 2, 0]


def test_set_action_for_agent_and_missing_actions_are_zeros() -> None:
    with InProcessEnv(EchoSim()) as env:
        env.reset()
        env.set_action_for_agent("Echo?team=0", 2, ActionTuple(np.array([[0.5]]), np.array([[1]])))
        env.step()
        decision, _ = env.get_steps("Echo?team=0")
        assert decision.obs[0][:, 4].tolist() == [0, 0, 0.5]
        assert decision.obs[0][:, 5].tolist() == [0, 0, 1]
        with pytest.raises(AgentNotAskingError, match="Agent 7") as info:
            env.set_action_for_agent(
                "Echo?team=0", 7, ActionTuple(np.zeros((1, 1)), np.zeros((1, 1)))
            )
        assert isinstance(info.value, IndexError)


def test_action_masks_come_from_the_simulation() -> None:
    with InProcessEnv(EchoSim()) as env:
        env.reset()
        (mask,) = env.get_steps("Echo?team=0")[0].action_mask
        assert mask.tolist() == [[False, False, False], [False, False, True], [False] * 3]


def test_two_behaviors_at_their_own_rates_appear_as_they_ask() -> None:
    with InProcessEnv(TwoRateSim()) as env:
        env.reset()
        assert list(env.behavior_specs) == ["Fast?team=0"]
        with pytest.raises(UnityActionException, match="'Slow\\?team=0' is not in the environment"):
            env.get_steps("Slow?team=0")
        env.step()  # tick 1: Slow asks for the first time
        assert sorted(env.behavior_specs) == ["Fast?team=0", "Slow?team=0"]
        assert env.get_steps("Slow?team=0")[0].reward.tolist() == [0.5]
        env.step()  # tick 2: Slow does not ask, and its steps are empty
        assert len(env.get_steps("Slow?team=0")[0]) == 0
        env.set_actions("Slow?team=0", ActionTuple(discrete=np.zeros((0, 1), np.int32)))
        env.step()  # tick 3
        env.step()  # tick 4: Fast reaches max_step, Slow asks again
        fast_d, fast_t = env.get_steps("Fast?team=0")
        assert fast_t.agent_id.tolist() == [0, 1]
        assert fast_t.interrupted.tolist() == [True, True]
        assert fast_d.agent_id.tolist() == [0, 1]
        slow_d, _ = env.get_steps("Slow?team=0")
        assert slow_d.reward.tolist() == [1.5]  # ticks 2, 3 and 4 accumulated
        assert slow_d.obs[0][0, 0] == 4


def test_environment_parameters_reach_new_episodes() -> None:
    channel = EnvironmentParametersChannel()
    with InProcessEnv(EchoSim(), side_channels=[channel]) as env:
        channel.set_float_parameter("p", 2.5)
        env.reset()
        assert env.get_steps("Echo?team=0")[0].obs[0][:, 3].tolist() == [2.5] * 3
        channel.set_uniform_sampler_parameters("p", 10.0, 20.0, seed=3)
        drawn = []
        for _ in range(8):
            env.step()
            decision, terminal = env.get_steps("Echo?team=0")
            restarted = [i for i in terminal.agent_id.tolist()]
            drawn += [decision[i].obs[0][3] for i in restarted]
        assert len(drawn) >= 4
        assert all(10 <= v <= 20 for v in drawn)
        assert len(set(drawn)) == len(drawn)


def test_wrong_actions_are_refused_and_nothing_is_lost() -> None:
    with InProcessEnv(EchoSim()) as env:
        env.reset()
        good = ActionTuple(np.full((3, 1), 0.5, np.float32), np.ones((3, 1), np.int32))
        env.set_actions("Echo?team=0", good)
        with pytest.raises(UnityActionException, match=r"shape \(3, 1\)"):
            env.set_actions("Echo?team=0", ActionTuple(np.zeros((2, 1)), np.zeros((2, 1))))
        with pytest.raises(UnityActionException, match="branch 0"):
            env.set_actions("Echo?team=0", ActionTuple(np.zeros((3, 1)), np.full((3, 1), 3)))
        with pytest.raises(UnityActionException, match="ActionTuple"):
            env.set_actions("Echo?team=0", np.zeros((3, 2)))  # type: ignore[arg-type]
        with pytest.raises(UnityActionException, match="'echo' is not in"):
            env.set_actions("echo", good)
        env.step()
        # The actions set before the refused calls still went out.
        assert env.get_steps("Echo?team=0")[0].obs[0][:, 4].tolist() == [0.5] * 3


def test_calls_after_close_are_refused() -> None:
    env = InProcessEnv(EchoSim())
    env.reset()
    env.close()
    env.close()
    for call in (env.step, env.reset, lambda: env.get_steps("Echo?team=0")):
        with pytest.raises(UnityEnvironmentException, match="closed"):
            call()


def test_academy_refuses_a_wrong_number_of_actions() -> None:
    academy = Academy(EchoSim())
    academy.reset()
    with pytest.raises(UnityActionException, match="3 asked"):
        academy.step({"Echo?team=0": ActionTuple(np.zeros((2, 1)), np.zeros((2, 1)))})


def test_num_areas_multiplies_agents_and_ids_stay_fixed() -> None:
    with InProcessEnv(EchoSim(num_areas=4)) as env:
        env.reset()
        ids = env.get_steps("Echo?team=0")[0].agent_id.tolist()
        assert ids == list(range(12))
        for _ in range(10):
            env.step()
            decision, terminal = env.get_steps("Echo?team=0")
            assert decision.agent_id.tolist() == ids
            assert set(terminal.agent_id.tolist()) <= set(ids)


def test_a_simulation_without_agents_is_refused() -> None:
    with pytest.raises(ValueError, match="no agents"):
        Academy(_NoAgents())


class _NoAgents(EchoSim):
    def __init__(self) -> None:
        super().__init__()
        self.behaviors = [BehaviorDef("Echo", self.behaviors[0].spec, 0)]
