"""Every built-in environment, both ways and in both Unity package generations: the
conformance suite in-process and as an executable, identical steps and specs between the two
for the same seed and actions, runs long enough for episodes to end, the same steps in both
generations but for the layout of images, team-qualified behavior names, and the refusal of
unknown behaviors and of actions of the wrong shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.envtest import assert_same_records, launch, record_steps, recorded
from mlagents_envs.base_env import DimensionProperty
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_envs.conformance import ConformanceReport, check_env
from mlagents_sim.catalog import ENVIRONMENTS, EXPECTED_REWARDS, make_simulation, simulation_class
from mlagents_sim.in_process import InProcessEnv

NAMES = sorted(ENVIRONMENTS)
GENERATIONS = [PACKAGE_VERSION_2X, PACKAGE_VERSION_3X]

#: Steps of the runs below: enough for the episodes of every behavior to end under random
#: actions, so that terminal steps are checked and compared too. Hybrid's agents seldom
#: reach their targets at random, Pyramids' agents their bricks; PushBlock's,
#: StrikersVsGoalie's, Pyramids' and SoccerTwos' episodes end at max_step (500, 300, 200
#: and 300).
STEPS = {
    "Hybrid": 310,
    "PushBlock": 510,
    "StrikersVsGoalie": 310,
    "Pyramids": 210,
    "SoccerTwos": 310,
}


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


@pytest.mark.parametrize("version", GENERATIONS)
@pytest.mark.parametrize("name", NAMES)
def test_executable_and_in_process_agree(
    executables: dict[str, Path], name: str, version: str
) -> None:
    args = ["--package-version", version]
    with launch(executables[name], seed=5, num_areas=2, additional_args=args) as env:
        over_wire = record_steps(env, steps(name), seed=9)
        wire_specs = dict(env.behavior_specs)
    simulation = make_simulation(name, seed=5, num_areas=2)
    with InProcessEnv(simulation, package_version=version) as env:
        in_process = record_steps(env, steps(name), seed=9)
        local_specs = dict(env.behavior_specs)
    assert wire_specs == local_specs
    assert_same_records(over_wire, in_process)
    ended = recorded(in_process, "terminal.agent_id")
    assert sorted(ended) == sorted(local_specs)
    assert all(sum(map(len, ids)) > 0 for ids in ended.values())


@pytest.mark.parametrize("name", NAMES)
def test_generations_differ_only_in_the_layout_of_images(name: str) -> None:
    runs = {}
    for version in GENERATIONS:
        with InProcessEnv(make_simulation(name, seed=3), package_version=version) as env:
            runs[version] = (record_steps(env, 40, seed=4), dict(env.behavior_specs))
    (old, old_specs), (new, new_specs) = runs[PACKAGE_VERSION_2X], runs[PACKAGE_VERSION_3X]
    assert list(old_specs) == list(new_specs)
    # Unity's names: the behavior name and its team (SoccerTwos has teams 0 and 1).
    assert list(new_specs) == [b.behavior_id for b in make_simulation(name).behaviors]
    for behavior, spec in new_specs.items():
        assert "?team=" in behavior
        for before, after in zip(old_specs[behavior].observation_specs, spec.observation_specs):
            if len(before.shape) != 3:
                assert after == before
                continue
            height, width, channels = before.shape
            assert after.shape == (channels, height, width)
            assert after.dimension_property == (
                DimensionProperty.NONE,
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            )
    assert [label for label, _ in old] == [label for label, _ in new]
    for (label, a), (_, b) in zip(old, new):
        if a.ndim == 4:
            a = a.transpose(0, 3, 1, 2)
        np.testing.assert_array_equal(a, b, err_msg=label, strict=True)


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
        actions = {
            b.behavior_id: b.spec.action_spec.empty_action(b.n_agents) for b in sim.behaviors
        }
        wrong = behavior.spec.action_spec.empty_action(behavior.n_agents + 1)
        actions[behavior.behavior_id] = wrong
        with pytest.raises(ValueError, match=behavior.name):
            sim.tick(actions)
