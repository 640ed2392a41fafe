"""UnityVecEnv: the agents of one behavior as a Stable-Baselines3 VecEnv, checked against
the BaseEnv it wraps (agents that end while others go on), with agent id churn, bad
inputs, and over the wire."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from envs_testing import LateJoinEnv, RespawningEnv, linear_policy, probe_env, sim_env, sim_factory
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from mlagents_envs.base_env import ActionSpec, ActionTuple, BaseEnv
from mlagents_envs.envs import UnityGymException, UnityGymnasiumEnv
from mlagents_envs.envs.sb3_vec_env import UnityVecEnv
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.envs.basic import RIGHT, STAY


def test_spaces_and_slots():
    vec = UnityVecEnv(sim_env("3DBall"))
    assert isinstance(vec, VecEnv)
    assert vec.num_envs == 12
    assert vec.observation_space == spaces.Box(-np.inf, np.inf, (8,), np.float32)
    assert vec.action_space == spaces.Box(-1, 1, (2,), np.float32)
    obs = vec.reset()
    assert obs.shape == (12, 8) and obs.dtype == np.float32
    obs, rewards, dones, infos = vec.step(np.zeros((12, 2), np.float32))
    assert obs.shape == (12, 8) and rewards.shape == (12,) and dones.shape == (12,)
    assert [info["agent_id"] for info in infos] == list(range(12))
    vec.close()
    vec.close()


def test_images_and_several_observations():
    vec = UnityVecEnv(sim_env("GridWorld"), uint8_visual=True)
    assert vec.observation_space == spaces.Dict(
        {
            "GridCamera": spaces.Box(0, 255, (42, 42, 3), np.uint8),
            "GoalSignal": spaces.Box(-np.inf, np.inf, (2,), np.float32),
        }
    )
    obs = vec.reset()
    assert obs["GridCamera"].shape == (9, 42, 42, 3) and obs["GridCamera"].dtype == np.uint8
    assert all(row in vec.observation_space for row in _rows(obs, 9))
    # Masks per slot, as MaskablePPO asks for them.
    decision, _ = vec.base_env.get_steps("GridWorld?team=0")
    np.testing.assert_array_equal(vec.action_masks(), ~decision.action_mask[0])
    assert len(vec.env_method("action_masks")) == 9
    vec.close()


def _rows(obs: dict[str, np.ndarray], n: int) -> list[dict[str, np.ndarray]]:
    return [{key: value[i] for key, value in obs.items()} for i in range(n)]


def test_episodes_match_the_base_env():
    """Driven by the same deterministic policy, every agent's episodes (returns, last
    observations, interruptions) are those the BaseEnv reports, although the balls fall
    at different times, between the decisions of the others."""
    policy = linear_policy(ActionSpec.create_continuous(2), 8, seed=3)

    raw = sim_env("3DBall", seed=1)
    raw.reset()  # the VecEnv resets once when it is made, and again at reset()
    raw.reset()
    expected: dict[int, list[tuple[float, np.ndarray]]] = defaultdict(list)
    running: dict[int, float] = defaultdict(float)
    for _ in range(600):
        decision, terminal = raw.get_steps("3DBall?team=0")
        for row, agent in enumerate(terminal.agent_id.tolist()):
            total = running.pop(agent, 0.0) + float(terminal.reward[row])
            expected[agent].append((total, terminal.obs[0][row]))
        for row, agent in enumerate(decision.agent_id.tolist()):
            running[agent] += float(decision.reward[row])
        if len(decision):
            raw.set_actions("3DBall?team=0", ActionTuple(continuous=policy(decision.obs[0])))
        raw.step()
    assert sum(len(v) for v in expected.values()) > 20

    vec = UnityVecEnv(sim_env("3DBall", seed=1))
    obs = vec.reset()
    seen: dict[int, list[tuple[float, np.ndarray]]] = defaultdict(list)
    returns = np.zeros(12)
    for _ in range(150):
        obs, rewards, dones, infos = vec.step(policy(obs))
        returns += rewards
        for slot in np.flatnonzero(dones):
            info = infos[slot]
            assert info["TimeLimit.truncated"] is False
            seen[info["agent_id"]].append((returns[slot], info["terminal_observation"]))
            returns[slot] = 0.0
    compared = 0
    for agent, episodes in seen.items():
        for (total, last), (want_total, want_last) in zip(episodes, expected[agent]):
            assert total == pytest.approx(want_total, abs=1e-4)
            np.testing.assert_array_equal(last, want_last)
            compared += 1
    assert compared > 20
    vec.close()
    raw.close()


def test_done_slots_start_their_next_episode():
    vec = UnityVecEnv(sim_env("Basic", agents_per_area=3))
    obs = vec.reset()
    assert np.argmax(obs, axis=1).tolist() == [10, 10, 10]
    for _ in range(7):
        obs, rewards, dones, infos = vec.step(np.array([RIGHT, RIGHT, STAY]))
    assert dones.tolist() == [True, True, False]
    assert rewards[:2] == pytest.approx([0.99, 0.99])
    # The observation is the first of the next episode; the last one is in the info.
    assert np.argmax(obs, axis=1).tolist() == [10, 10, 10]
    assert np.argmax(infos[0]["terminal_observation"]) == 17
    assert infos[0]["TimeLimit.truncated"] is False
    for _ in range(100 - 7):
        obs, rewards, dones, infos = vec.step(np.array([STAY, STAY, STAY]))
    # Agent 2 stood still for 100 ticks: interrupted, which SB3 bootstraps.
    assert dones.tolist() == [False, False, True]
    assert infos[2]["TimeLimit.truncated"] is True
    vec.close()


def test_respawned_agents_take_the_slots_of_those_that_ended():
    vec = VecMonitor(UnityVecEnv(RespawningEnv(sim_env("3DBall", seed=4))))
    vec.reset()
    owners: dict[int, set[int]] = defaultdict(set)
    episodes = 0
    rng = np.random.default_rng(0)
    for _ in range(300):
        actions = rng.uniform(-1, 1, (12, 2)).astype(np.float32)
        _, _, dones, infos = vec.step(actions)
        for slot, info in enumerate(infos):
            owners[slot].add(info["agent_id"])
            if dones[slot]:
                episodes += 1
                assert "episode" in info  # VecMonitor saw the episode end
    assert episodes > 10
    assert all(len(ids) > 1 for ids in owners.values())
    assert len(set().union(*owners.values())) == 12 + episodes
    vec.close()


def test_more_agents_than_slots_are_refused():
    vec = UnityVecEnv(LateJoinEnv(sim_env("3DBall"), late=[10, 11], after=3))
    assert vec.num_envs == 10
    vec.reset()
    with pytest.raises(UnityGymException, match=r"2 new agents .* only 0 of the 10 slots"):
        for _ in range(3):
            vec.step(np.zeros((10, 2), np.float32))
    vec.close()


def test_refuses_what_it_cannot_express():
    env = probe_env(second="early")
    with pytest.raises(
        UnityGymException, match=r"\['Probe\?team=0', 'Second\?team=0'\]; pass behavior_name"
    ):
        UnityVecEnv(env)
    env = sim_env("StrikersVsGoalie")
    with pytest.raises(UnityGymException, match="No behavior 'Keeper'"):
        UnityVecEnv(env, "Keeper")
    strikers = UnityVecEnv(sim_env("StrikersVsGoalie"), "Striker?team=0")
    assert strikers.num_envs == 2
    strikers.close()
    with pytest.raises(UnityGymException, match="continuous and discrete actions together"):
        UnityVecEnv(sim_env("Hybrid"))


@pytest.mark.parametrize(
    ("actions", "reason"),
    [
        (np.zeros((11, 2)), r"expected shape \(12, 2\)"),
        (np.zeros(12), r"expected shape \(12, 2\)"),
        (np.full((12, 2), np.nan), "finite"),
    ],
)
def test_refuses_action_batches_that_do_not_fit(actions, reason):
    vec = UnityVecEnv(sim_env("3DBall"))
    vec.reset()
    with pytest.raises(UnityGymException, match=reason):
        vec.step(actions)
    vec.step(np.zeros((12, 2), np.float32))
    vec.close()


def test_branched_actions():
    spec = ActionSpec.create_discrete((2, 3))
    vec = UnityVecEnv(probe_env(agents_per_area=2, action_spec=spec), flatten_branched=True)
    assert vec.action_space == spaces.Discrete(6)
    vec.reset()
    obs, *_ = vec.step(np.array([5, 1]))
    assert obs[:, 2].tolist() == [12, 1]
    assert vec.action_masks().tolist() == [[True, False, True, False, False, False]] * 2
    vec.close()
    with pytest.raises(UnityGymException, match=r"branch 1 takes values in \[0, 2\]"):
        multi = UnityVecEnv(probe_env(agents_per_area=2, action_spec=spec))
        multi.reset()
        multi.step(np.array([[1, 3], [0, 0]]))


def test_seeded_reset_restarts_the_simulation():
    vec = UnityVecEnv(sim_factory("3DBall"))
    vec.seed(7)
    first = vec.reset()
    vec.step(np.zeros((12, 2), np.float32))
    vec.seed(7)
    np.testing.assert_array_equal(vec.reset(), first)
    vec.seed(8)
    assert not np.array_equal(vec.reset(), first)
    vec.close()


def test_over_the_wire(launch_build):
    """3DBall launched as an executable takes the steps it takes in-process."""
    rng = np.random.default_rng(2)
    actions = rng.uniform(-1, 1, (60, 12, 2)).astype(np.float32)
    runs = []
    for vec in (
        UnityVecEnv(launch_build("3DBall", seed=6)),
        UnityVecEnv(sim_env("3DBall", seed=6)),
    ):
        run = [vec.reset()]
        for action in actions:
            obs, rewards, dones, infos = vec.step(action)
            run += [obs, rewards, dones]
            run += [
                info["terminal_observation"] for info in infos if "terminal_observation" in info
            ]
        vec.close()
        runs.append(run)
    assert len(runs[0]) == len(runs[1])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_an_env_refused_by_one_door_stays_open_for_another():
    """The caller's BaseEnv is theirs to close; one the wrapper made is closed at once."""
    base = sim_env("3DBall")
    with pytest.raises(UnityGymException, match="needs one agent"):
        UnityGymnasiumEnv(base)
    vec = UnityVecEnv(base)
    assert vec.num_envs == 12
    vec.close()
    made: list[BaseEnv] = []

    def make(seed: int) -> BaseEnv:
        made.append(sim_env("3DBall", seed))
        return made[-1]

    with pytest.raises(UnityGymException, match="needs one agent"):
        UnityGymnasiumEnv(make)
    with pytest.raises(UnityEnvironmentException, match="closed"):
        made[0].reset()
