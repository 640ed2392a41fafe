"""The conformance suite on the environments so far, in-process and as executables, and
on environments built to break each rule."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import pytest

from mlagents_envs.base_env import DecisionSteps
from mlagents_envs.conformance import ConformanceError, check_env
from mlagents_envs.environment import UnityEnvironment
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

SIMS = {"3DBall": "3DBall", "Echo": "wire_sims:EchoSim", "TwoRate": "wire_sims:TwoRateSim"}


@pytest.mark.parametrize("name", sorted(SIMS))
def test_in_process(name: str) -> None:
    report = check_env(InProcessEnv(make_simulation(SIMS[name], seed=2)), steps=150)
    assert report.steps == 150 and sum(report.decisions.values()) > 0


@pytest.mark.parametrize("name", sorted(SIMS))
def test_executable(launch: Callable[..., UnityEnvironment], name: str) -> None:
    report = check_env(launch(name, seed=2), steps=150)
    assert sum(report.decisions.values()) > 0


def test_the_suite_sees_ends_and_restarts_in_one_step() -> None:
    report = check_env(InProcessEnv(make_simulation("wire_sims:EchoSim")), steps=30)
    assert report.terminals["Echo?team=0"] > 0 and report.both_in_one_step["Echo?team=0"] > 0
    report = check_env(InProcessEnv(make_simulation("wire_sims:TwoRateSim")), steps=30)
    assert report.interrupted["Fast?team=0"] > 0


class DuplicateIds(InProcessEnv):
    def get_steps(self, behavior_name: str):  # type: ignore[no-untyped-def]
        decision, terminal = super().get_steps(behavior_name)
        ids = decision.agent_id.copy()
        ids[-1] = ids[0]
        broken = DecisionSteps(
            decision.obs,
            decision.reward,
            ids,
            decision.action_mask,
            decision.group_id,
            decision.group_reward,
        )
        return broken, terminal


class WrongDtype(InProcessEnv):
    def get_steps(self, behavior_name: str):  # type: ignore[no-untyped-def]
        decision, terminal = super().get_steps(behavior_name)
        broken = DecisionSteps(
            [o.astype(np.float64) for o in decision.obs],
            decision.reward,
            decision.agent_id,
            decision.action_mask,
            decision.group_id,
            decision.group_reward,
        )
        return broken, terminal


class AcceptsAnything(InProcessEnv):
    def set_actions(self, behavior_name, action):  # type: ignore[no-untyped-def]
        with contextlib.suppress(Exception):
            super().set_actions(behavior_name, action)


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (DuplicateIds, "holds agent ids twice"),
        (WrongDtype, "needs float32"),
        (AcceptsAnything, "was accepted"),
    ],
)
def test_each_broken_rule_is_named(cls: type[InProcessEnv], message: str) -> None:
    with pytest.raises(ConformanceError, match=message):
        check_env(cls(make_simulation("3DBall")), steps=5)
