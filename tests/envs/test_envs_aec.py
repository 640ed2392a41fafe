"""UnityAECEnv: every agent of every behavior as a PettingZoo AECEnv, checked by PettingZoo's
own API test, against UnityParallelEnv on the same simulation, and over the wire."""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from envs_testing import LateJoinEnv, RespawningEnv, linear_policy, probe_env, sim_env
from gymnasium import spaces
from pettingzoo.test import api_test

from mlagents_envs.base_env import ActionSpec, BaseEnv
from mlagents_envs.envs import UnityAECEnv, UnityGymException, UnityParallelEnv
from mlagents_envs.envs.unity_pettingzoo_base_env import agent_behavior, agent_name
from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

# api_test's advice that ML-Agents' conventions do not follow (agent names, dict observations
# holding masks, unbounded vectors, behaviors of different shapes, hybrid actions); any other
# warning still fails the test.
_ADVICE = [
    "We recommend agents to be named",
    "Observation is not a NumPy array",
    "Observation space for each agent probably should be",
    "Action space for each agent probably should be",
    "Observations are different shapes",
    "Agent's maximum observation space value is infinity",
    "Agent's minimum observation space value is -infinity",
]


def _follows_mlagents(test: Callable[..., None]) -> Callable[..., None]:
    for advice in _ADVICE:
        test = pytest.mark.filterwarnings(f"ignore:{re.escape(advice)}:UserWarning")(test)
    return test


@_follows_mlagents
@pytest.mark.parametrize(
    "name", ["StrikersVsGoalie", "PushBlock", "GridWorld", "Hybrid", "SoccerTwos"]
)
def test_api_test(name: str, capsys: pytest.CaptureFixture[str]):
    env = UnityAECEnv(lambda seed: InProcessEnv(make_simulation(name, seed=seed)), seed=0)
    api_test(env, num_cycles=1000)
    assert "Passed API test" in capsys.readouterr().out
    env.close()
    env.close()


def _behaviors(env: UnityAECEnv) -> dict[str, str]:
    """The behavior names by their name without the team: names are taken from the
    environment, never written in the test."""
    return {name.partition("?")[0]: name for name in env.base_env.behavior_specs}


def test_turns_go_to_the_agents_that_asked():
    """The strikers ask at every step, the goalie at every other one: the goalie has a turn
    every other round and stays in `agents` between its turns."""
    env = UnityAECEnv(sim_env("StrikersVsGoalie"))
    env.reset()
    striker = _behaviors(env)["Striker"]
    strikers = [agent_name(striker, 0), agent_name(striker, 1)]
    assert env.agents == strikers
    assert env.agent_selection == strikers[0]
    env.step(0)
    assert env.agent_selection == strikers[1]
    assert env.rewards == {agent: 0.0 for agent in strikers}
    env.step(0)  # the round is complete: the environment advances, the goalie joins
    goalie = agent_name(_behaviors(env)["Goalie"], 2)
    assert env.agents == [*strikers, goalie]
    assert env.possible_agents == env.agents
    assert env.observation_space(goalie) is env.observation_spaces[goalie]
    assert env.action_space(goalie) == spaces.Discrete(3)
    rounds = []
    for _ in range(4):
        turns = []
        while True:
            agent = env.agent_selection
            turns.append(agent)
            env.step(1)
            if env.agent_selection == strikers[0]:
                break
        rounds.append(turns)
        assert goalie in env.agents
        assert env.infos[goalie]["decision_requested"] is (len(rounds) % 2 == 0)
    assert rounds == [[*strikers, goalie], strikers] * 2
    observation = env.observe(goalie)
    assert observation["observation"].shape == (7,)
    assert observation in env.observation_space(goalie)
    env.close()


class _Policies:
    """A fixed function of the observation for each behavior, made when first needed
    (StrikersVsGoalie's goalie appears after the first step)."""

    def __init__(self, env: BaseEnv) -> None:
        self.env = env
        self.made: dict[str, Callable[[np.ndarray], Any]] = {}

    def act(self, agent: str, obs: Any) -> int:
        name = agent_behavior(agent)
        if name not in self.made:
            spec = self.env.behavior_specs[name]
            size = int(np.prod(spec.observation_specs[0].shape))
            self.made[name] = linear_policy(spec.action_spec, size, seed=zlib.crc32(name.encode()))
        return int(self.made[name](obs["observation"][None])[0])


Play = tuple[dict[str, list[Any]], dict[str, float], dict[str, tuple[bool, bool]]]


def _play_parallel(base: BaseEnv) -> Play:
    """What each agent saw at its decisions and its episode's end, earned, and how it
    ended, under the same fixed policy."""
    env = UnityParallelEnv(base)
    observations, infos = env.reset()
    policies = _Policies(env.base_env)
    seen: dict[str, list[Any]] = defaultdict(list)
    earned: dict[str, float] = defaultdict(float)
    endings: dict[str, tuple[bool, bool]] = {}
    for agent, obs in observations.items():
        seen[agent].append(obs)
    while env.agents:
        actions = {agent: policies.act(agent, observations[agent]) for agent in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)
        for agent, reward in rewards.items():
            earned[agent] += reward
            if terminations[agent] or truncations[agent]:
                endings[agent] = (terminations[agent], truncations[agent])
                seen[agent].append(observations[agent])
            elif infos[agent]["decision_requested"]:
                seen[agent].append(observations[agent])
    env.close()
    return seen, earned, endings


def _play_aec(env: UnityAECEnv) -> Play:
    env.reset()
    policies = _Policies(env.base_env)
    seen: dict[str, list[Any]] = defaultdict(list)
    earned: dict[str, float] = defaultdict(float)
    endings: dict[str, tuple[bool, bool]] = {}
    for agent in env.agent_iter():
        obs, reward, terminated, truncated, _ = env.last()
        seen[agent].append(obs)
        earned[agent] += reward  # what it earned since it last acted
        if terminated or truncated:
            endings[agent] = (terminated, truncated)
            env.step(None)
        else:
            env.step(policies.act(agent, obs))
    env.close()
    return seen, earned, endings


def test_plays_as_the_parallel_env():
    """Driven by the same fixed policy, every agent sees the same observations at its
    decisions, earns the same rewards and ends the same way as in UnityParallelEnv."""
    parallel = _play_parallel(sim_env("StrikersVsGoalie", seed=3))
    aec = _play_aec(UnityAECEnv(sim_env("StrikersVsGoalie", seed=3)))
    seen, earned, endings = aec
    assert len(endings) == 3 and set(seen) == set(endings)
    assert _flat(seen) == _flat(parallel[0])
    assert earned.keys() == parallel[1].keys()
    for agent, total in parallel[1].items():
        assert earned[agent] == pytest.approx(total, abs=1e-5), agent
    assert any(total != 0.0 for total in earned.values())
    assert endings == parallel[2]


def test_groups_end_together():
    env = UnityAECEnv(sim_env("PushBlock", seed=1), seed=1)
    env.reset()
    assert {info["group_id"] for info in env.infos.values()} == {1}
    lead = env.agents[0]
    group_rewards = 0.0
    rounds = 0
    for agent in env.agent_iter():
        obs, _, terminated, truncated, info = env.last()
        if agent == lead:  # once a round, and at its episode's end
            rounds += 1
            group_rewards += info["group_reward"]
        if terminated or truncated:
            assert all(env.terminations[a] or env.truncations[a] for a in env.agents)
            env.step(None)
        else:
            env.step(env.action_space(agent).sample(mask=obs["action_mask"]))
    assert rounds <= 501
    assert group_rewards != 0.0
    env.close()


def test_respawned_and_late_agents_join():
    env = UnityAECEnv(RespawningEnv(sim_env("3DBall", seed=2)), seed=2)
    env.reset()
    first = set(env.agents)
    finished: set[str] = set()
    for agent in env.agent_iter(12 * 400):
        assert agent not in finished
        _, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            finished.add(agent)
            env.step(None)
            assert agent not in env.agents
        else:
            # The agents that ended have their turns first.
            assert not any(env.terminations[a] or env.truncations[a] for a in env.agents)
            env.step(env.action_space(agent).sample())
    joined = set(env.possible_agents) - first
    assert finished and joined
    assert all(int(agent.rpartition("=")[2]) >= 1000 for agent in joined)
    env.close()

    env = UnityAECEnv(LateJoinEnv(sim_env("3DBall"), late=[10, 11], after=3))
    late = agent_name(next(iter(env.base_env.behavior_specs)), 11)
    assert late not in env.agents and len(env.agents) == 10
    for agent in env.agent_iter(10 * 3):
        env.step(env.action_space(agent).sample())
    assert late in env.agents
    env.close()


def test_masks_in_the_observation():
    env = UnityAECEnv(probe_env(agents_per_area=2, action_spec=ActionSpec.create_discrete((2, 3))))
    agent = agent_name(next(iter(env.base_env.behavior_specs)), 1)
    assert env.observation_space(agent)["action_mask"] == spaces.Tuple(
        (spaces.Box(0, 1, (2,), np.int8), spaces.Box(0, 1, (3,), np.int8))
    )
    env.step(np.array([1, 2]))
    env.step(np.array([1, 2]))
    obs = env.observe(agent)
    assert obs["observation"].tolist() == [1, 1, 12, 0]
    assert [m.tolist() for m in obs["action_mask"]] == [[1, 0], [1, 0, 1]]
    assert obs in env.observation_space(agent)
    obs["observation"][:] = 99  # a copy: what the env holds is unchanged
    assert env.observe(agent)["observation"].tolist() == [1, 1, 12, 0]
    env.close()


def test_hybrid_masks_are_in_the_info():
    env = UnityAECEnv(sim_env("Hybrid"))
    agent = env.agent_selection
    assert env.action_space(agent) == spaces.Tuple(
        (spaces.Box(-1, 1, (2,), np.float32), spaces.MultiDiscrete([2]))
    )
    _, _, _, _, info = env.last()
    assert info["action_mask"][0] is None
    env.step(env.action_space(agent).sample(mask=info["action_mask"]))
    env.close()


def test_refuses_what_does_not_fit():
    env = UnityAECEnv(sim_env("StrikersVsGoalie"))
    first = env.agent_selection
    with pytest.raises(UnityGymException, match=re.escape(first) + " received the action 7"):
        env.step(7)
    with pytest.raises(UnityGymException, match=r"expected shape \(\), got \(2,\)"):
        env.step(np.array([0, 1]))
    with pytest.raises(UnityGymException, match="asked for a decision and was given None"):
        env.step(None)
    assert env.agent_selection == first  # nothing refused took the turn
    with pytest.raises(UnityGymException, match="no behavior seen so far"):
        env.observation_space("Keeper?team=0?agent_id=0")
    with pytest.raises(UnityGymException, match=r"not in env\.agents"):
        env.observe("Keeper?team=0?agent_id=0")

    # Play to the end of the episode: the agents that ended take None only.
    while not any(env.terminations.values()) and not any(env.truncations.values()):
        env.step(0)
    dead = env.agent_selection
    with pytest.raises(
        UnityGymException, match=re.escape(dead) + " was given the action 0, but its"
    ):
        env.step(0)
    while env.agents:
        env.step(None)
    with pytest.raises(UnityGymException, match="No agent is left to act"):
        env.step(None)
    env.reset()
    assert len(env.agents) == 2
    env.close()
    with pytest.raises(UnityGymException, match="closed"):
        env.step(0)


def test_side_channels_by_name():
    channel = EngineConfigurationChannel()
    env = UnityAECEnv(InProcessEnv(make_simulation("Basic", seed=0), [channel]))
    assert env.side_channel == {"EngineConfigurationChannel": channel}
    env.close()


@_follows_mlagents
def test_over_the_wire(launch_build, capsys: pytest.CaptureFixture[str]):
    """StrikersVsGoalie launched as an executable passes the API test and plays as it
    does in-process."""
    env = UnityAECEnv(launch_build("StrikersVsGoalie", seed=5))
    api_test(env, num_cycles=1000)
    assert "Passed API test" in capsys.readouterr().out
    env.close()
    wire = _play_aec(UnityAECEnv(launch_build("StrikersVsGoalie", seed=5)))
    local = _play_aec(UnityAECEnv(sim_env("StrikersVsGoalie", seed=5)))
    assert _flat(wire) == _flat(local)


def test_exported_beside_the_parallel_env():
    import mlagents_envs.envs as envs
    from mlagents_envs.envs import unity_aec_env

    assert envs.UnityAECEnv is unity_aec_env.UnityAECEnv
    assert "UnityAECEnv" in envs.__all__


def _flat(data: object) -> object:
    if isinstance(data, dict):
        return {key: _flat(value) for key, value in data.items()}
    if isinstance(data, tuple | list):
        return [_flat(value) for value in data]
    if isinstance(data, np.ndarray):
        return data.tolist()
    return data
