"""Every built-in environment, both ways: the conformance suite in-process and as an
executable, identical steps and specs between the two for the same seed and actions, runs
long enough for episodes to end, and the refusal of unknown behaviors and of actions of the
wrong shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.envtest import assert_same_records, launch, record_steps, recorded
from mlagents_envs.conformance import ConformanceReport, check_env
from mlagents_sim.catalog import ENVIRONMENTS, EXPECTED_REWARDS, make_simulation, simulation_class
from mlagents_sim.in_process import InProcessEnv

NAMES = sorted(ENVIRONMENTS)

#: Steps of the runs below: enough for the episodes of every behavior to end under random
#: actions, so that terminal steps are checked and compared too. Hybrid's agents seldom
#: reach their targets at random; PushBlock's and StrikersVsGoalie's episodes end at
#: max_step (500 and 300).
STEPS = {"Hybrid": 310, "PushBlock": 510, "StrikersVsGoalie": 310}


def steps(name: str) -> int:
    return STEPS.get(name, 120)


def assert_episodes_ended(report: ConformanceReport) -> None:
    assert report.terminals and all(count > 0 for count in report.terminals.values())


def test_every_environment_is_documented() -> None:
    for name in NAMES:
        doc = simulation_class(name).__doc__ or ""
        assert len(doc.splitlines()) > 5, name
        assert name in EXPECTED_REWARDS


@pytest.mark.parametrize("name", NAMES)
def test_conformance_in_process(name: str) -> None:
    report = check_env(InProcessEnv(make_simulation(name, seed=1)), steps=steps(name), seed=1)
    assert_episodes_ended(report)


@pytest.mark.parametrize("name", NAMES)
def test_conformance_as_executable(executables: dict[str, Path], name: str) -> None:
    env = launch(executables[name], seed=1)
    assert_episodes_ended(check_env(env, steps=steps(name), seed=1))


@pytest.mark.parametrize("name", NAMES)
def test_executable_and_in_process_agree(executables: dict[str, Path], name: str) -> None:
    with launch(executables[name], seed=5, num_areas=2) as env:
        over_wire = record_steps(env, steps(name), seed=9)
        wire_specs = dict(env.behavior_specs)
    with InProcessEnv(make_simulation(name, seed=5, num_areas=2)) as env:
        in_process = record_steps(env, steps(name), seed=9)
        local_specs = dict(env.behavior_specs)
    assert wire_specs == local_specs
    assert_same_records(over_wire, in_process)
    ended = recorded(in_process, "terminal.agent_id")
    assert sorted(ended) == sorted(local_specs)
    assert all(sum(map(len, ids)) > 0 for ids in ended.values())


@pytest.mark.parametrize("name", NAMES)
def test_unknown_behaviors_and_wrong_action_shapes_are_refused(name: str) -> None:
    sim = make_simulation(name, seed=0, num_areas=2)
    for unknown in ("Nope", ""):
        with pytest.raises(KeyError, match=repr(unknown)):
            sim.observe(unknown, np.arange(1))
        with pytest.raises(KeyError, match=repr(unknown)):
            sim.reset_agents(unknown, np.arange(1))
    # Actions for one agent too many, one behavior at a time: refused, naming the behavior.
    for behavior in sim.behaviors:
        actions = {b.name: b.spec.action_spec.empty_action(b.n_agents) for b in sim.behaviors}
        actions[behavior.name] = behavior.spec.action_spec.empty_action(behavior.n_agents + 1)
        with pytest.raises(ValueError, match=behavior.name):
            sim.tick(actions)
