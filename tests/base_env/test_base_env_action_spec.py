"""ActionSpec: kinds, constructors, empty and random actions, and validate_action."""

from __future__ import annotations

import numpy as np
import pytest

from mlagents_envs.base_env import ActionSpec, ActionTuple
from mlagents_envs.exception import UnityActionException

SPECS = [
    pytest.param(ActionSpec(0, ()), id="none"),
    pytest.param(ActionSpec.create_continuous(3), id="continuous"),
    pytest.param(ActionSpec.create_discrete((2, 5, 1)), id="discrete"),
    pytest.param(ActionSpec.create_hybrid(2, (4,)), id="hybrid"),
]


# ---- fields and kinds ------------------------------------------------------------------


def test_action_spec_is_a_named_tuple():
    spec = ActionSpec(2, (3, 4))
    assert ActionSpec._fields == ("continuous_size", "discrete_branches")
    assert isinstance(spec, tuple)
    assert spec.continuous_size == 2
    assert spec.discrete_branches == (3, 4)
    assert spec == ActionSpec(continuous_size=2, discrete_branches=(3, 4))
    assert spec != ActionSpec(2, (3,))
    assert hash(spec) == hash(ActionSpec(2, (3, 4)))


@pytest.mark.parametrize(
    "spec, is_discrete, is_continuous",
    [
        (ActionSpec(0, ()), False, False),
        (ActionSpec(4, ()), False, True),
        (ActionSpec(0, (3,)), True, False),
        (ActionSpec(0, (3, 2, 2)), True, False),
        (ActionSpec(1, (3,)), False, False),
    ],
)
def test_is_discrete_and_is_continuous(spec, is_discrete, is_continuous):
    assert spec.is_discrete() is is_discrete
    assert spec.is_continuous() is is_continuous


@pytest.mark.parametrize("branches, size", [((), 0), ((7,), 1), ((2, 3, 4), 3), ((1, 1), 2)])
def test_discrete_size_is_the_number_of_branches(branches, size):
    assert ActionSpec(1, branches).discrete_size == size


def test_create_continuous():
    spec = ActionSpec.create_continuous(5)
    assert isinstance(spec, ActionSpec)
    assert spec == ActionSpec(5, ())
    assert spec.is_continuous()
    assert not spec.is_discrete()


@pytest.mark.parametrize("branches", [(3,), (2, 4), [2, 4], np.array([2, 4])])
def test_create_discrete_stores_a_tuple(branches):
    spec = ActionSpec.create_discrete(branches)
    assert isinstance(spec, ActionSpec)
    assert spec.continuous_size == 0
    assert type(spec.discrete_branches) is tuple
    assert spec.discrete_branches == tuple(int(b) for b in branches)
    assert spec.is_discrete()
    assert not spec.is_continuous()


def test_create_hybrid():
    spec = ActionSpec.create_hybrid(3, [2, 5])
    assert isinstance(spec, ActionSpec)
    assert spec == ActionSpec(3, (2, 5))
    assert type(spec.discrete_branches) is tuple
    assert not spec.is_discrete()
    assert not spec.is_continuous()
    assert spec.discrete_size == 2


# ---- empty_action ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("n_agents", [0, 1, 6])
def test_empty_action_shapes_dtypes_and_zeros(spec, n_agents):
    actions = spec.empty_action(n_agents)
    assert isinstance(actions, ActionTuple)
    assert actions.continuous.shape == (n_agents, spec.continuous_size)
    assert actions.continuous.dtype == np.float32
    assert actions.discrete.shape == (n_agents, spec.discrete_size)
    assert actions.discrete.dtype == np.int32
    assert not actions.continuous.any()
    assert not actions.discrete.any()
    assert actions.n_agents == n_agents


# ---- random_action ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("n_agents", [0, 1, 6])
def test_random_action_shapes_and_dtypes(spec, n_agents):
    actions = spec.random_action(n_agents, rng=np.random.default_rng(1))
    assert isinstance(actions, ActionTuple)
    assert actions.continuous.shape == (n_agents, spec.continuous_size)
    assert actions.continuous.dtype == np.float32
    assert actions.discrete.shape == (n_agents, spec.discrete_size)
    assert actions.discrete.dtype == np.int32


def test_random_action_continuous_range():
    actions = ActionSpec.create_continuous(4).random_action(2000, rng=np.random.default_rng(2))
    assert actions.continuous.min() >= -1.0
    assert actions.continuous.max() < 1.0
    # Uniform over [-1, 1): both halves and values near both ends show up.
    assert actions.continuous.min() < -0.99
    assert actions.continuous.max() > 0.99
    assert abs(float(actions.continuous.mean())) < 0.05


def test_random_action_discrete_covers_each_branch_range():
    branches = (2, 5, 1, 3)
    actions = ActionSpec.create_discrete(branches).random_action(2000, rng=np.random.default_rng(3))
    for branch, size in enumerate(branches):
        assert set(np.unique(actions.discrete[:, branch]).tolist()) == set(range(size))


def test_random_action_hybrid_ranges():
    actions = ActionSpec.create_hybrid(2, (3,)).random_action(500, rng=np.random.default_rng(4))
    assert ((actions.continuous >= -1.0) & (actions.continuous < 1.0)).all()
    assert set(np.unique(actions.discrete).tolist()) == {0, 1, 2}


@pytest.mark.parametrize("spec", SPECS)
def test_random_action_is_reproducible_with_a_seeded_rng(spec):
    first = spec.random_action(10, rng=np.random.default_rng(1234))
    second = spec.random_action(10, rng=np.random.default_rng(1234))
    np.testing.assert_array_equal(first.continuous, second.continuous)
    np.testing.assert_array_equal(first.discrete, second.discrete)


def test_random_action_differs_between_seeds():
    spec = ActionSpec.create_hybrid(4, (10, 10))
    first = spec.random_action(50, rng=np.random.default_rng(1))
    second = spec.random_action(50, rng=np.random.default_rng(2))
    assert not np.array_equal(first.continuous, second.continuous)
    assert not np.array_equal(first.discrete, second.discrete)


def test_random_action_advances_the_given_rng():
    spec = ActionSpec.create_hybrid(3, (6,))
    rng = np.random.default_rng(5)
    first = spec.random_action(20, rng=rng)
    second = spec.random_action(20, rng=rng)
    assert not np.array_equal(first.continuous, second.continuous)


def test_random_action_without_rng():
    spec = ActionSpec.create_hybrid(4, (3, 3))
    first = spec.random_action(50)
    second = spec.random_action(50)
    assert first.continuous.shape == (50, 4)
    assert ((first.continuous >= -1.0) & (first.continuous < 1.0)).all()
    assert ((first.discrete >= 0) & (first.discrete < 3)).all()
    # 200 float draws from fresh entropy never repeat in practice.
    assert not np.array_equal(first.continuous, second.continuous)


def test_random_action_continuous_never_reaches_one():
    rng = np.random.default_rng(0)
    # Skip the draws before the known one, in chunks to keep memory small.
    remaining = 14_817_372
    while remaining:
        step = min(remaining, 1_000_000)
        rng.random(step)
        remaining -= step
    actions = ActionSpec.create_continuous(1).random_action(1, rng=rng)
    assert actions.continuous[0, 0] < 1.0


# ---- validate_action -------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("n_agents", [0, 1, 4])
def test_validate_action_returns_the_actions(spec, n_agents):
    actions = spec.random_action(n_agents, rng=np.random.default_rng(0))
    assert spec.validate_action(actions, n_agents) is actions
    empty = spec.empty_action(n_agents)
    assert spec.validate_action(empty, n_agents) is empty


@pytest.mark.parametrize(
    "not_actions, type_name",
    [
        ((np.zeros((1, 2)), np.zeros((1, 0))), "tuple"),
        (np.zeros((1, 2), dtype=np.float32), "ndarray"),
        ({"continuous": np.zeros((1, 2))}, "dict"),
        (None, "NoneType"),
        ([[0.0, 0.0]], "list"),
    ],
)
def test_validate_action_refuses_anything_but_an_action_tuple(not_actions, type_name):
    spec = ActionSpec.create_continuous(2)
    with pytest.raises(UnityActionException) as excinfo:
        spec.validate_action(not_actions, 1, "Walker")
    message = str(excinfo.value)
    assert f"got {type_name}" in message
    assert "ActionTuple" in message
    assert "Walker" in message


@pytest.mark.parametrize("width", [0, 1, 4])
def test_validate_action_refuses_wrong_continuous_width(width):
    spec = ActionSpec.create_continuous(3)
    actions = ActionTuple(continuous=np.zeros((2, width), dtype=np.float32))
    with pytest.raises(UnityActionException) as excinfo:
        spec.validate_action(actions, 2, "Walker")
    message = str(excinfo.value)
    assert "(2, 3)" in message
    assert f"(2, {width})" in message
    assert "Walker" in message


@pytest.mark.parametrize("width", [0, 1, 3])
def test_validate_action_refuses_wrong_discrete_width(width):
    spec = ActionSpec.create_discrete((3, 3))
    actions = ActionTuple(discrete=np.zeros((2, width), dtype=np.int32))
    with pytest.raises(UnityActionException) as excinfo:
        spec.validate_action(actions, 2, "Crawler")
    message = str(excinfo.value)
    assert "(2, 2)" in message
    assert f"(2, {width})" in message
    assert "Crawler" in message


@pytest.mark.parametrize("spec", SPECS[1:])
@pytest.mark.parametrize("given_agents", [0, 2, 4])
def test_validate_action_refuses_wrong_agent_count(spec, given_agents):
    actions = spec.empty_action(given_agents)
    with pytest.raises(UnityActionException) as excinfo:
        spec.validate_action(actions, 3)
    assert f"received shape ({given_agents}," in str(excinfo.value)


def test_validate_action_refuses_discrete_part_for_a_continuous_spec():
    spec = ActionSpec.create_continuous(2)
    actions = ActionTuple(
        continuous=np.zeros((1, 2), dtype=np.float32), discrete=np.zeros((1, 1), dtype=np.int32)
    )
    with pytest.raises(UnityActionException, match=r"discrete actions of shape \(1, 0\)"):
        spec.validate_action(actions, 1)


def test_validate_action_refuses_continuous_part_for_a_discrete_spec():
    spec = ActionSpec.create_discrete((2,))
    actions = ActionTuple(
        continuous=np.zeros((1, 2), dtype=np.float32), discrete=np.zeros((1, 1), dtype=np.int32)
    )
    with pytest.raises(UnityActionException, match=r"continuous actions of shape \(1, 0\)"):
        spec.validate_action(actions, 1)


def test_validate_action_default_name():
    spec = ActionSpec.create_continuous(2)
    with pytest.raises(UnityActionException, match="this behavior"):
        spec.validate_action(ActionTuple(continuous=np.zeros((1, 1))), 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 2])
def test_validate_action_refuses_non_finite_continuous(bad, row):
    spec = ActionSpec.create_hybrid(2, (3,))
    actions = spec.empty_action(3)
    actions.continuous[row, 1] = bad
    with pytest.raises(UnityActionException) as excinfo:
        spec.validate_action(actions, 3, "Ball3D")
    message = str(excinfo.value)
    assert "NaN or infinite" in message
    assert f"rows [{row}]" in message
    assert "Ball3D" in message


def test_validate_action_lists_every_non_finite_row():
    spec = ActionSpec.create_continuous(2)
    actions = ActionTuple(
        continuous=np.array([[0.0, np.nan], [0.0, 0.0], [np.inf, np.nan], [-np.inf, 1.0]])
    )
    with pytest.raises(UnityActionException, match=r"rows \[0, 2, 3\]"):
        spec.validate_action(actions, 4)


def test_validate_action_accepts_large_finite_continuous():
    spec = ActionSpec.create_continuous(2)
    actions = ActionTuple(continuous=np.array([[1e30, -1e30]], dtype=np.float32))
    assert spec.validate_action(actions, 1) is actions


@pytest.mark.parametrize(
    "branch, value", [(0, 3), (0, -1), (1, 5), (1, -7), (2, 1), (2, 2**31 - 1)]
)
def test_validate_action_refuses_discrete_out_of_branch_range(branch, value):
    branches = (3, 5, 1)
    spec = ActionSpec.create_discrete(branches)
    actions = spec.empty_action(2)
    actions.discrete[1, branch] = value
    with pytest.raises(UnityActionException) as excinfo:
        spec.validate_action(actions, 2, "Soccer")
    message = str(excinfo.value)
    assert f"discrete action {value} on branch {branch}" in message
    assert "(row 1)" in message
    assert f"has {branches[branch]} actions" in message
    assert f"[0, {branches[branch] - 1}]" in message
    assert "Soccer" in message


def test_validate_action_accepts_every_in_range_discrete_value():
    branches = (3, 5, 1)
    spec = ActionSpec.create_hybrid(1, branches)
    discrete = np.array([[2, 4, 0], [0, 0, 0], [1, 3, 0]], dtype=np.int32)
    actions = ActionTuple(continuous=np.zeros((3, 1)), discrete=discrete)
    assert spec.validate_action(actions, 3) is actions


def test_validate_action_accepts_zero_size_parts_for_specs_without_them():
    continuous_only = ActionSpec.create_continuous(2)
    actions = ActionTuple(continuous=np.zeros((3, 2)))
    assert actions.discrete.shape == (3, 0)
    assert continuous_only.validate_action(actions, 3) is actions

    discrete_only = ActionSpec.create_discrete((4,))
    actions = ActionTuple(discrete=np.zeros((3, 1)))
    assert actions.continuous.shape == (3, 0)
    assert discrete_only.validate_action(actions, 3) is actions

    # A spec without actions accepts an ActionTuple with no parts at all.
    nothing = ActionSpec(0, ())
    actions = ActionTuple()
    assert nothing.validate_action(actions, 3) is actions
