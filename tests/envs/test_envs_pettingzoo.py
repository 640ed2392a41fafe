"""UnityParallelEnv: every agent of every behavior as a PettingZoo ParallelEnv, checked by
PettingZoo's own API test, against the BaseEnv it wraps, and over the wire."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from envs_testing import LateJoinEnv, RespawningEnv, linear_policy, probe_env, sim_env, sim_factory
from gymnasium import spaces
from pettingzoo.test import parallel_api_test

from mlagents_envs.base_env import ActionSpec, ActionTuple
from mlagents_envs.envs import UnityGymException, UnityParallelEnv
from mlagents_envs.envs.unity_parallel_env import agent_behavior, agent_name


@pytest.mark.parametrize("name", ["StrikersVsGoalie", "PushBlock", "GridWorld", "SoccerTwos"])
def test_parallel_api_test(name: str, capsys: pytest.CaptureFixture[str]):
    env = UnityParallelEnv(sim_factory(name), seed=0)
    parallel_api_test(env, num_cycles=1000)
    assert "Passed Parallel API test" in capsys.readouterr().out
    env.close()
    env.close()


def test_agent_names_keep_behavior_and_id():
    assert agent_name("Striker?team=0", 3) == "Striker?team=0?agent_id=3"
    assert agent_behavior("Striker?team=0?agent_id=3") == "Striker?team=0"
    with pytest.raises(UnityGymException, match="not an agent name"):
        agent_behavior("Striker")


def test_a_behavior_that_asks_late_joins():
    """The goalie first asks at the second output: it joins then, with its own spaces."""
    env = UnityParallelEnv(sim_env("StrikersVsGoalie"))
    observations, infos = env.reset()
    assert env.agents == ["Striker?team=0?agent_id=0", "Striker?team=0?agent_id=1"]
    assert set(observations) == set(infos) == set(env.agents)
    striker = env.observation_space("Striker?team=0?agent_id=0")
    assert striker is env.observation_space("Striker?team=0?agent_id=1")
    assert striker == spaces.Dict(
        {
            "observation": spaces.Box(-np.inf, np.inf, (8,), np.float32),
            "action_mask": spaces.Box(0, 1, (5,), np.int8),
        }
    )
    assert env.action_space("Striker?team=0?agent_id=0") == spaces.Discrete(5)
    observations, *_ = env.step({agent: 0 for agent in env.agents})
    assert env.agents == [
        "Striker?team=0?agent_id=0",
        "Striker?team=0?agent_id=1",
        "Goalie?team=1?agent_id=2",
    ]
    assert env.possible_agents == env.agents
    assert observations["Goalie?team=1?agent_id=2"]["observation"].shape == (7,)
    assert env.action_space("Goalie?team=1?agent_id=2") == spaces.Discrete(3)
    assert env.observation_spaces["Goalie?team=1?agent_id=2"] is env.observation_space(
        "Goalie?team=1?agent_id=2"
    )
    env.close()


def test_rewards_match_the_base_env():
    """Driven by the same deterministic policy, every agent earns what the BaseEnv pays it,
    and an agent that does not ask at a step gets its last observation and no reward."""
    striker = linear_policy(ActionSpec.create_discrete((5,)), 8, seed=1)
    goalie = linear_policy(ActionSpec.create_discrete((3,)), 7, seed=2)
    policies = {"Striker?team=0": striker, "Goalie?team=1": goalie}

    raw = sim_env("StrikersVsGoalie", seed=3)
    raw.reset()
    expected: dict[str, float] = defaultdict(float)
    ended = False
    while not ended:
        for name in list(raw.behavior_specs):
            decision, terminal = raw.get_steps(name)
            # The strikers and the goalie end together; those who end count no more.
            batch = terminal if len(terminal) else decision
            for agent_id, reward in zip(batch.agent_id.tolist(), batch.reward.tolist()):
                expected[agent_name(name, agent_id)] += reward
            ended = ended or bool(len(terminal))
        for name in list(raw.behavior_specs):
            decision, _ = raw.get_steps(name)
            if len(decision) and not ended:
                act = policies[name](decision.obs[0])
                raw.set_actions(name, ActionTuple(discrete=act[:, None]))
        if not ended:
            raw.step()

    env = UnityParallelEnv(sim_env("StrikersVsGoalie", seed=3))
    observations, _ = env.reset()
    earned: dict[str, float] = defaultdict(float)
    requested = []
    while env.agents:
        actions = {
            agent: int(policies[agent_behavior(agent)](observations[agent]["observation"][None])[0])
            for agent in env.agents
        }
        before = dict(observations)
        observations, rewards, terminations, truncations, infos = env.step(actions)
        for agent, reward in rewards.items():
            earned[agent] += reward
        goalie = "Goalie?team=1?agent_id=2"
        if goalie in infos and not (terminations[goalie] or truncations[goalie]):
            requested.append(infos[goalie]["decision_requested"])
            if not infos[goalie]["decision_requested"]:
                assert rewards[goalie] == 0.0
                np.testing.assert_array_equal(
                    observations[goalie]["observation"], before[goalie]["observation"]
                )
    assert earned.keys() == expected.keys()
    for agent, total in expected.items():
        assert earned[agent] == pytest.approx(total, abs=1e-5), agent
    # The goalie asks every other step.
    assert requested[:4] == [True, False, True, False]
    env.close()
    raw.close()


def test_groups_end_together():
    env = UnityParallelEnv(sim_env("PushBlock", seed=1))
    observations, infos = env.reset(seed=1)
    assert {info["group_id"] for info in infos.values()} == {1}
    group_total = 0.0
    steps = 0
    while env.agents:
        actions = {
            agent: env.action_space(agent).sample(mask=observations[agent]["action_mask"])
            for agent in env.agents
        }
        observations, rewards, terminations, truncations, infos = env.step(actions)
        steps += 1
        group_total += infos["PushBlock?team=0?agent_id=0"]["group_reward"]
        assert all(reward == 0.0 for reward in rewards.values())  # PushBlock pays groups
        ended = {agent for agent in rewards if terminations[agent] or truncations[agent]}
        assert ended in (set(), set(rewards))
    assert steps <= 500
    assert group_total != 0.0
    env.close()


def test_ended_agents_stay_out_until_reset():
    env = UnityParallelEnv(sim_factory("3DBall"), seed=0)
    env.reset(seed=0)
    finished: set[str] = set()
    for _ in range(400):
        actions = {agent: env.action_space(agent).sample() for agent in env.agents}
        _, rewards, terminations, truncations, infos = env.step(actions)
        assert not finished & set(rewards)
        for agent in rewards:
            if terminations[agent] or truncations[agent]:
                finished.add(agent)
                assert infos[agent]["interrupted"] is truncations[agent]
        assert not finished & set(env.agents)
        if not env.agents:
            break
    assert finished
    env.reset()
    assert len(env.agents) == 12


def test_respawned_agents_join_under_their_new_ids():
    env = UnityParallelEnv(RespawningEnv(sim_env("3DBall", seed=2)))
    env.reset()
    gone: set[str] = set()
    joined: set[str] = set()
    for _ in range(300):
        before = set(env.agents)
        actions = {agent: env.action_space(agent).sample() for agent in env.agents}
        _, rewards, terminations, truncations, _ = env.step(actions)
        joined |= set(env.agents) - before
        gone |= {a for a in rewards if terminations[a] or truncations[a]}
        assert not gone & set(env.agents)
    assert joined and all(int(a.rpartition("=")[2]) >= 1000 for a in joined)
    assert set(env.possible_agents) >= gone | joined
    env.close()


def test_late_agents_join():
    env = UnityParallelEnv(LateJoinEnv(sim_env("3DBall"), late=[10, 11], after=3))
    env.reset()
    assert len(env.agents) == 10
    for _ in range(3):
        observations, *_ = env.step({a: env.action_space(a).sample() for a in env.agents})
    assert "3DBall?team=0?agent_id=11" in env.agents and "3DBall?team=0?agent_id=11" in observations
    env.close()


def test_hybrid_masks_are_in_the_info():
    env = UnityParallelEnv(sim_factory("Hybrid"))
    _, infos = env.reset()
    agent = env.agents[0]
    assert env.observation_space(agent) == spaces.Box(-np.inf, np.inf, (4,), np.float32)
    assert env.action_space(agent) == spaces.Tuple(
        (spaces.Box(-1, 1, (2,), np.float32), spaces.MultiDiscrete([2]))
    )
    assert infos[agent]["action_mask"][0] is None
    env.step({a: env.action_space(a).sample(mask=infos[a]["action_mask"]) for a in env.agents})
    env.close()


def test_masks_in_the_observation():
    env = UnityParallelEnv(
        probe_env(agents_per_area=2, action_spec=ActionSpec.create_discrete((2, 3)))
    )
    observations, _ = env.reset()
    agent = "Probe?team=0?agent_id=1"
    assert env.observation_space(agent)["action_mask"] == spaces.Tuple(
        (spaces.Box(0, 1, (2,), np.int8), spaces.Box(0, 1, (3,), np.int8))
    )
    observations, *_ = env.step({a: np.array([1, 2]) for a in env.agents})
    assert observations[agent]["observation"].tolist() == [1, 1, 12, 0]
    assert [m.tolist() for m in observations[agent]["action_mask"]] == [[1, 0], [1, 0, 1]]
    assert observations[agent] in env.observation_space(agent)
    env.close()


def test_refuses_bad_actions():
    env = UnityParallelEnv(sim_env("StrikersVsGoalie"))
    env.reset()
    everyone = {agent: 0 for agent in env.agents}
    with pytest.raises(UnityGymException, match="not live agents"):
        env.step({**everyone, "Goalie?team=1?agent_id=9": 0})
    with pytest.raises(
        UnityGymException, match=r"No action was given for \['Striker\?team=0\?agent_id=1'\]"
    ):
        env.step({"Striker?team=0?agent_id=0": 0})
    with pytest.raises(
        UnityGymException, match=r"Striker\?team=0\?agent_id=1 received the action 7"
    ):
        env.step({**everyone, "Striker?team=0?agent_id=1": 7})
    with pytest.raises(UnityGymException, match="no behavior seen so far"):
        env.observation_space("Keeper?agent_id=0")
    # Nothing was stepped: this is the first step, where the goalie joins.
    _, rewards, *_ = env.step(everyone)
    assert set(rewards) == {*everyone, "Goalie?team=1?agent_id=2"}
    env.close()


def test_over_the_wire(launch_build, capsys: pytest.CaptureFixture[str]):
    """StrikersVsGoalie launched as an executable passes the API test and plays as it
    does in-process."""
    env = UnityParallelEnv(launch_build("StrikersVsGoalie", seed=5))
    parallel_api_test(env, num_cycles=1000)
    assert "Passed Parallel API test" in capsys.readouterr().out
    runs = []
    for wrapped in (
        UnityParallelEnv(launch_build("StrikersVsGoalie", seed=5)),
        UnityParallelEnv(sim_env("StrikersVsGoalie", seed=5)),
    ):
        observations, _ = wrapped.reset()
        run = [observations]
        for step in range(30):
            actions = {agent: (step + len(agent)) % 3 for agent in wrapped.agents}
            run.append(wrapped.step(actions)[:4])
        runs.append(run)
        wrapped.close()
    for a, b in zip(*runs):
        assert _flat(a) == _flat(b)


def _flat(data: object) -> object:
    if isinstance(data, dict):
        return {key: _flat(value) for key, value in data.items()}
    if isinstance(data, tuple):
        return tuple(_flat(value) for value in data)
    if isinstance(data, np.ndarray):
        return data.tolist()
    return data
