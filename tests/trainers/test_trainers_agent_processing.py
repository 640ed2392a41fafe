"""Trajectories rebuilt by the agent managers match, step for step, what the environment
did: a recording proxy logs every step and action, and an independent reference rebuilds
the expected trajectories from that log."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pytest

from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.policy import RandomPolicy
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.base_env import ActionTuple, BaseEnv, DecisionSteps, TerminalSteps
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_envs.side_channel.stats_side_channel import StatsSideChannel
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv


@dataclass
class Event:
    terminal: bool
    obs: list[np.ndarray]
    reward: float
    interrupted: bool
    group_id: int
    group_reward: float
    mask: np.ndarray | None
    action: tuple[np.ndarray, np.ndarray] | None = None


class Recorder(BaseEnv):
    """A BaseEnv in front of another that logs, per behavior and agent, every step it
    returned and every action set."""

    def __init__(self, env: BaseEnv) -> None:
        self.env = env
        self.events: dict[tuple[str, int], list[Event]] = defaultdict(list)
        self._fresh = True

    def _log(self) -> None:
        for name in self.env.behavior_specs:
            decision, terminal = self.env.get_steps(name)
            for i, agent in enumerate(terminal.agent_id.tolist()):
                self.events[name, agent].append(self._event(True, terminal, i))
            masks = decision.action_mask
            for i, agent in enumerate(decision.agent_id.tolist()):
                event = self._event(False, decision, i)
                if masks is not None:
                    event.mask = np.concatenate([m[i] for m in masks])
                self.events[name, agent].append(event)

    @staticmethod
    def _event(terminal: bool, steps: DecisionSteps | TerminalSteps, i: int) -> Event:
        return Event(
            terminal,
            [o[i].copy() for o in steps.obs],
            float(steps.reward[i]),
            bool(steps.interrupted[i]) if terminal else False,  # type: ignore[union-attr]
            int(steps.group_id[i]),
            float(steps.group_reward[i]),
            None,
        )

    def step(self) -> None:
        self.env.step()
        self._log()

    def reset(self) -> None:
        self.env.reset()
        self.events.clear()
        self._log()

    def close(self) -> None:
        self.env.close()

    @property
    def behavior_specs(self):  # type: ignore[no-untyped-def]
        return self.env.behavior_specs

    def set_actions(self, behavior_name: str, action: ActionTuple) -> None:
        decision, _ = self.env.get_steps(behavior_name)
        for i, agent in enumerate(decision.agent_id.tolist()):
            last = self.events[behavior_name, agent][-1]
            last.action = (action.continuous[i].copy(), action.discrete[i].copy())
        self.env.set_actions(behavior_name, action)

    def set_action_for_agent(self, behavior_name, agent_id, action) -> None:  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def get_steps(self, behavior_name: str):  # type: ignore[no-untyped-def]
        return self.env.get_steps(behavior_name)


def expected_trajectories(
    recorder: Recorder, horizon: int
) -> dict[tuple[str, int], list[list[tuple]]]:
    """Per behavior and agent, the emitted trajectories in order, as lists of (obs, action,
    reward, done, interrupted, next_obs, group_id, group_reward, mask), from the log alone."""
    out: dict[tuple[str, int], list[list[tuple]]] = defaultdict(list)
    for (name, agent), events in sorted(recorder.events.items()):
        current: list[tuple] = []
        for before, after in itertools.pairwise(events):
            if before.terminal or before.action is None:
                current = []
                continue
            current.append(
                (
                    before.obs,
                    before.action,
                    after.reward,
                    after.terminal,
                    after.interrupted,
                    after.obs,
                    after.group_id,
                    after.group_reward,
                    before.mask,
                )
            )
            if after.terminal or len(current) == horizon:
                out[name, agent].append(current)
                current = []
    return out


def actual(trajectory: Trajectory) -> list[tuple]:
    rows = []
    for k, step in enumerate(trajectory.steps):
        following = (
            trajectory.steps[k + 1].obs if k + 1 < len(trajectory.steps) else trajectory.next_obs
        )
        rows.append(
            (
                step.obs,
                (step.continuous_action, step.discrete_action),
                step.reward,
                step.done,
                step.interrupted,
                following,
                step.group_id,
                step.group_reward,
                step.action_mask,
            )
        )
    return rows


def same(a: object, b: object) -> bool:
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def run(name: str, steps: int, horizon: int, seed: int = 0) -> tuple[Recorder, dict, dict]:
    params = EnvironmentParametersChannel()
    recorder = Recorder(InProcessEnv(make_simulation(name, seed=seed), side_channels=[params]))
    manager = SimpleEnvManager(recorder, params)
    managers: dict[str, AgentManager] = {}
    manager.reset()
    for _ in range(steps):
        step_infos = manager.get_steps()
        # As a trainer controller does: behaviors seen for the first time get their agent
        # manager and policy before their first steps are processed.
        for behavior, spec in manager.training_behaviors.items():
            if behavior not in managers:
                managers[behavior] = AgentManager(None, behavior, StatsReporter(behavior), horizon)
                manager.set_agent_manager(behavior, managers[behavior])
                manager.set_policy(behavior, RandomPolicy(spec, seed=seed))
        manager.process_steps(step_infos)
    trajectories: dict[str, list[Trajectory]] = defaultdict(list)
    for behavior, agent_manager in managers.items():
        trajectories[behavior] += agent_manager.trajectory_queue.drain()
    manager.close()
    return recorder, trajectories, managers


@pytest.mark.parametrize(
    ("name", "steps", "horizon", "expect"),
    [
        ("Basic", 300, 5, "done"),  # short episodes, cut at the horizon too
        ("GridWorld", 250, 1000, "interrupted"),  # masks, max_step 100 interruptions
        ("PushBlock", 520, 64, "group"),  # groups interrupted together at 500
        ("StrikersVsGoalie", 320, 32, "two behaviors"),
    ],
)
def test_trajectories_match_the_environment(name: str, steps: int, horizon: int, expect: str):
    recorder, trajectories, _ = run(name, steps, horizon)
    expected = expected_trajectories(recorder, horizon)
    got: dict[tuple[str, int], list[list[tuple]]] = defaultdict(list)
    for behavior, emitted in trajectories.items():
        for trajectory in emitted:  # in the order they were emitted
            agent = int(trajectory.agent_id.rsplit("-", 1)[1])
            got[behavior, agent].append(actual(trajectory))
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        assert len(got[key]) == len(want), key
        for g, w in zip(got[key], want):
            assert same(g, w), key
    all_steps = [s for ts in trajectories.values() for t in ts for s in t.steps]
    if expect == "done":
        assert any(s.done and not s.interrupted for s in all_steps)
        assert any(
            len(t.steps) == horizon and not t.done_reached for t in trajectories["Basic?team=0"]
        )
    if expect == "interrupted":
        assert any(s.interrupted for s in all_steps)
        assert all(t.steps[0].action_mask is not None for t in trajectories["GridWorld?team=0"])
    if expect == "group":
        assert {s.group_id for s in all_steps} == {1}
        assert sum(s.interrupted for s in all_steps) >= 3
    if expect == "two behaviors":
        assert set(trajectories) == {"Striker?team=0", "Goalie?team=1"}
    # Same id done and asking again in one step happened and was handled.
    both = [
        events
        for events in recorder.events.values()
        if any(a.terminal and not b.terminal for a, b in itertools.pairwise(events))
    ]
    assert both


def test_episode_statistics_are_recorded() -> None:
    _, trajectories, managers = run("Basic", 300, 1000)
    reporter = managers["Basic?team=0"]._stats_reporter
    rewards = reporter.get_stats_summaries("Environment/Cumulative Reward")
    lengths = reporter.get_stats_summaries("Environment/Episode Length")
    ended = [t for t in trajectories["Basic?team=0"] if t.done_reached]
    assert rewards.num == len(ended) > 0
    assert rewards.full_dist == pytest.approx([sum(s.reward for s in t.steps) for t in ended])
    assert lengths.full_dist == [len(t.steps) for t in ended]


def test_environment_parameters_reach_the_environment() -> None:
    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("3DBall", seed=1), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset({"gravity": 0.0, "scale": 2.0})
    assert np.all(env.simulation.gravity == 0.0)  # type: ignore[attr-defined]
    assert np.all(env.simulation.scale == 2.0)  # type: ignore[attr-defined]

    class Uniform:
        def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
            channel.set_uniform_sampler_parameters(key, 5.0, 6.0, seed=1)

    manager.reset({"gravity": Uniform()})
    gravity = env.simulation.gravity  # type: ignore[attr-defined]
    assert np.all((gravity >= 5.0) & (gravity <= 6.0)) and len(np.unique(gravity)) > 1
    with pytest.raises(TypeError, match="'gravity'"):
        manager.reset({"gravity": "heavy"})
    manager.close()


def test_environment_stats_arrive_with_their_aggregation() -> None:
    params, stats = EnvironmentParametersChannel(), StatsSideChannel()
    env = InProcessEnv(make_simulation("Basic", seed=0), side_channels=[params, stats])
    manager = SimpleEnvManager(env, params, stats)
    reporter = StatsReporter("Basic")
    agent_manager = AgentManager(None, "Basic", reporter)
    manager.set_agent_manager("Basic?team=0", agent_manager)
    manager.reset()
    manager.set_policy("Basic?team=0", RandomPolicy(env.behavior_specs["Basic?team=0"], seed=3))
    for _ in range(200):
        manager.process_steps(manager.get_steps())
    goals = reporter.get_stats_summaries("Basic/Goal")
    assert goals.num > 0 and set(goals.full_dist) <= {0.0, 1.0}
    assert goals.aggregation_method.name == "AVERAGE"
    manager.close()


def test_published_policies_are_installed_without_blocking() -> None:
    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("Basic"), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    agent_manager = AgentManager(None, "Basic", StatsReporter("Basic"))
    manager.set_agent_manager("Basic?team=0", agent_manager)
    manager.reset()
    spec = env.behavior_specs["Basic?team=0"]
    first, second = RandomPolicy(spec, seed=1), RandomPolicy(spec, seed=2)
    manager.set_policy("Basic?team=0", first)
    manager.get_steps()
    agent_manager.policy_queue.put(first)
    agent_manager.policy_queue.put(second)
    manager.get_steps()
    assert manager.policies["Basic?team=0"] is second and agent_manager.policy is second
    manager.get_steps()  # an empty queue does not block
    manager.close()


def test_a_behavior_without_agent_manager_is_warned_once(caplog: pytest.LogCaptureFixture):
    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("Basic"), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    with caplog.at_level("WARNING", logger="mlagents.trainers.env_manager"):
        for _ in range(5):
            assert manager.process_steps(manager.get_steps()) == 1
    assert sum("'Basic?team=0' has no agent manager" in r.getMessage() for r in caplog.records) == 1
    manager.close()


def test_reset_ends_episodes_without_emitting_them() -> None:
    _, _, managers = run("3DBall", 20, 1000)
    manager = managers["3DBall?team=0"]
    assert manager._experiences and any(manager._experiences.values())
    manager.end_episode()
    assert not manager._experiences and not manager._last_decision
