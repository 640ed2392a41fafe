"""The 0.14 API over a BaseEnv: specs, the rows of a BatchedStepResult, actions as plain
arrays, and the errors. Each loop drives a built-in environment through the adapter and a
twin of it (same scene, same seed) through the BaseEnv API, and compares."""

from __future__ import annotations

import numpy as np
import pytest

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.exception import UnityActionException, UnityEnvironmentException
from mlagents_envs.legacy.batched_step_result import (
    ActionType,
    AgentGroupEnv,
    AgentGroupSpec,
    BatchedStepResult,
    UnityEnvironment,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv


def adapter(name: str, seed: int = 0) -> AgentGroupEnv:
    env = AgentGroupEnv(InProcessEnv(make_simulation(name, seed=seed)))
    env.reset()
    return env


def test_continuous_and_discrete_specs() -> None:
    with adapter("3DBall") as ball, adapter("Basic") as basic:
        (ball_group,) = ball.get_agent_groups()
        spec = ball.get_agent_group_spec(ball_group)
        behavior = ball.env.behavior_specs[ball_group]
        assert spec.observation_shapes == [o.shape for o in behavior.observation_specs]
        assert spec.is_action_continuous() and not spec.is_action_discrete()
        assert spec.action_type == ActionType.CONTINUOUS
        assert spec.action_size == spec.action_shape == behavior.action_spec.continuous_size
        assert spec.discrete_action_branches is None
        empty = spec.create_empty_action(4)
        assert empty.dtype == np.float32 and empty.shape == (4, spec.action_size)

        spec = basic.get_agent_group_spec(basic.get_agent_groups()[0])
        assert spec.is_action_discrete() and spec.action_type == ActionType.DISCRETE
        assert spec.discrete_action_branches == spec.action_shape == (3,)
        assert spec.action_size == 1
        empty = spec.create_empty_action(2)
        assert empty.dtype == np.int32 and empty.shape == (2, 1) and not empty.any()


def test_hybrid_actions_have_no_agent_group_spec() -> None:
    with adapter("Hybrid") as env, pytest.raises(UnityActionException, match="hybrid actions"):
        env.get_agent_group_spec(env.get_agent_groups()[0])


def test_rows_are_ended_agents_then_asking_ones_and_actions_reach_the_asking_ones() -> None:
    rng = np.random.default_rng(1)
    both_seen = False
    with adapter("3DBall", seed=2) as env, InProcessEnv(make_simulation("3DBall", seed=2)) as twin:
        twin.reset()
        (group,) = env.get_agent_groups()
        spec = env.get_agent_group_spec(group)
        for _ in range(150):
            result = env.get_step_result(group)
            decision, terminal = twin.get_steps(group)
            n_t = len(terminal)
            assert result.n_agents() == n_t + len(decision)
            np.testing.assert_array_equal(result.done, [True] * n_t + [False] * len(decision))
            np.testing.assert_array_equal(result.max_step[:n_t], terminal.interrupted)
            assert not result.max_step[n_t:].any()
            np.testing.assert_array_equal(result.agent_id[:n_t], terminal.agent_id)
            np.testing.assert_array_equal(result.agent_id[n_t:], decision.agent_id)
            np.testing.assert_array_equal(result.reward[:n_t], terminal.reward)
            np.testing.assert_array_equal(result.obs[0][n_t:], decision.obs[0])
            for agent in terminal.agent_id.tolist():
                step = result.get_agent_step_result(agent)
                if agent in decision:  # ended and asked again: the new episode's row
                    both_seen = True
                    assert not step.done
                    np.testing.assert_array_equal(step.obs[0], decision[agent].obs[0])
                else:
                    assert step.done and step.max_step == terminal[agent].interrupted
                    np.testing.assert_array_equal(step.obs[0], terminal[agent].obs[0])
            actions = rng.uniform(-1, 1, (result.n_agents(), spec.action_size))
            actions[:n_t] = 50.0  # rows of ended agents are not used
            env.set_actions(group, actions.astype(np.float32))
            twin.set_actions(group, ActionTuple(continuous=actions[n_t:].astype(np.float32)))
            env.step()
            twin.step()
    assert both_seen, "no agent ended and asked in the same step: the case went untested"


def test_masks_and_images_of_gridworld() -> None:
    with adapter("GridWorld") as env, InProcessEnv(make_simulation("GridWorld")) as twin:
        twin.reset()
        (group,) = env.get_agent_groups()
        spec = env.get_agent_group_spec(group)
        assert spec.observation_shapes == [
            o.shape for o in twin.behavior_specs[group].observation_specs
        ]
        rng = np.random.default_rng(0)
        for _ in range(60):
            result = env.get_step_result(group)
            decision, terminal = twin.get_steps(group)
            n_t = len(terminal)
            assert result.action_mask is not None and decision.action_mask is not None
            (mask,) = result.action_mask
            assert mask.shape == (result.n_agents(), 5)
            assert not mask[:n_t].any()
            np.testing.assert_array_equal(mask[n_t:], decision.action_mask[0])
            for ours, theirs in zip(result.obs, decision.obs):
                np.testing.assert_array_equal(ours[n_t:], theirs)
            allowed = [int(rng.choice(np.flatnonzero(~row))) for row in mask]
            env.set_actions(group, np.array(allowed, dtype=np.int32).reshape(-1, 1))
            twin.set_actions(group, ActionTuple(discrete=np.array(allowed[n_t:]).reshape(-1, 1)))
            env.step()
            twin.step()


def test_set_action_for_agent_acts_for_that_agent_only() -> None:
    with adapter("3DBall", seed=4) as env, InProcessEnv(make_simulation("3DBall", seed=4)) as twin:
        twin.reset()
        (group,) = env.get_agent_groups()
        agent = int(env.get_step_result(group).agent_id[3])
        env.set_action_for_agent(group, agent, np.array([0.5, -0.25], dtype=np.float32))
        twin.set_action_for_agent(group, agent, ActionTuple(continuous=[[0.5, -0.25]]))
        env.step()
        twin.step()
        np.testing.assert_array_equal(
            env.get_step_result(group).obs[0], twin.get_steps(group)[0].obs[0]
        )
        with pytest.raises(UnityActionException, match="2 values"):
            env.set_action_for_agent(group, agent, np.zeros(3, dtype=np.float32))
        with pytest.raises(IndexError):
            env.set_action_for_agent(group, 10_000, np.zeros(2, dtype=np.float32))


def test_two_groups_and_an_empty_one() -> None:
    with adapter("StrikersVsGoalie") as env:
        sizes = set()
        for _ in range(6):
            # Groups appear as their agents first ask (the goalie is not there at reset).
            for group in env.get_agent_groups():
                result = env.get_step_result(group)
                sizes.add(result.n_agents())
                spec = env.get_agent_group_spec(group)
                env.set_actions(group, spec.create_empty_action(result.n_agents()))
            env.step()
        assert env.get_agent_groups() == list(env.env.behavior_specs)
        assert len(env.get_agent_groups()) == 2
        assert 0 in sizes  # the goalie asks every other step: empty results take (0, n) actions


def test_errors_say_what_is_wrong() -> None:
    with adapter("Basic") as env:
        (group,) = env.get_agent_groups()
        n = env.get_step_result(group).n_agents()
        with pytest.raises(UnityActionException, match=rf"\({n}, 1\)"):
            env.set_actions(group, np.zeros((n, 2), dtype=np.int32))
        with pytest.raises(UnityActionException, match="whole numbers"):
            env.set_actions(group, np.full((n, 1), 0.5))
        with pytest.raises(UnityActionException, match="does not correspond"):
            env.get_step_result("Nobody")
        with pytest.raises(IndexError, match="not present"):
            env.get_step_result(group).get_agent_step_result(10_000)
    empty = BatchedStepResult.empty(AgentGroupSpec([(3,), (4, 4, 1)], ActionType.DISCRETE, (2,)))
    assert empty.n_agents() == 0 and [o.shape for o in empty.obs] == [(0, 3), (0, 4, 4, 1)]
    with pytest.raises(UnityEnvironmentException, match="docker_training"):
        UnityEnvironment(file_name="anything", docker_training=True)
