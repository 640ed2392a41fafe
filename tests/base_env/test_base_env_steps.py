"""DecisionStep(s) and TerminalStep(s): per-agent rows, Mapping behaviour and empty batches."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from mlagents_envs.base_env import (
    ActionSpec,
    AgentId,
    BehaviorName,
    BehaviorSpec,
    DecisionStep,
    DecisionSteps,
    DimensionProperty,
    GroupId,
    ObservationSpec,
    ObservationType,
    TerminalStep,
    TerminalSteps,
)

# Ids deliberately differ from their rows, so a lookup that confuses the two fails.
AGENT_IDS = [7, 3, 42]
BRANCHES = (2, 3)


def _vector_obs(n: int) -> np.ndarray:
    return np.arange(n * 4, dtype=np.float32).reshape(n, 4)


def _image_obs(n: int) -> np.ndarray:
    return np.arange(n * 2 * 3 * 3, dtype=np.float32).reshape(n, 2, 3, 3) / 10.0


def make_decision_steps() -> DecisionSteps:
    n = len(AGENT_IDS)
    return DecisionSteps(
        obs=[_vector_obs(n), _image_obs(n)],
        reward=np.array([0.5, -1.25, 2.0], dtype=np.float32),
        agent_id=np.array(AGENT_IDS, dtype=np.int32),
        action_mask=[
            np.array([[True, False], [False, False], [False, True]]),
            np.array([[False, True, False], [True, True, False], [False, False, True]]),
        ],
        group_id=np.array([0, 5, 9], dtype=np.int32),
        group_reward=np.array([0.25, 0.0, -3.5], dtype=np.float32),
    )


def make_terminal_steps() -> TerminalSteps:
    n = len(AGENT_IDS)
    return TerminalSteps(
        obs=[_vector_obs(n), _image_obs(n)],
        reward=np.array([1.5, -0.75, 4.0], dtype=np.float32),
        interrupted=np.array([False, True, False]),
        agent_id=np.array(AGENT_IDS, dtype=np.int32),
        group_id=np.array([1, 0, 6], dtype=np.int32),
        group_reward=np.array([-1.0, 0.5, 0.0], dtype=np.float32),
    )


BATCHES = [
    pytest.param(make_decision_steps, id="decision"),
    pytest.param(make_terminal_steps, id="terminal"),
]


def _spec(obs_shapes: list[tuple[int, ...]], action_spec: ActionSpec) -> BehaviorSpec:
    return BehaviorSpec(
        observation_specs=[
            ObservationSpec(
                shape=shape,
                dimension_property=(DimensionProperty.UNSPECIFIED,) * len(shape),
                observation_type=ObservationType.DEFAULT,
                name=f"obs_{i}",
            )
            for i, shape in enumerate(obs_shapes)
        ],
        action_spec=action_spec,
    )


# ---- aliases and NamedTuples ------------------------------------------------------------


def test_id_aliases_are_the_builtin_types():
    assert AgentId is int
    assert GroupId is int
    assert BehaviorName is str


def test_decision_step_fields_in_order():
    assert DecisionStep._fields == (
        "obs",
        "reward",
        "agent_id",
        "action_mask",
        "group_id",
        "group_reward",
    )
    step = DecisionStep([np.zeros(2)], 1.5, 4, None, 2, 0.5)
    assert isinstance(step, tuple)
    obs, reward, agent_id, action_mask, group_id, group_reward = step
    assert (reward, agent_id, action_mask, group_id, group_reward) == (1.5, 4, None, 2, 0.5)
    assert len(obs) == 1


def test_terminal_step_fields_in_order():
    assert TerminalStep._fields == (
        "obs",
        "reward",
        "interrupted",
        "agent_id",
        "group_id",
        "group_reward",
    )
    step = TerminalStep([], -1.0, True, 9, 0, 0.0)
    assert isinstance(step, tuple)
    assert step.interrupted is True
    assert step.agent_id == 9
    assert step._replace(interrupted=False).interrupted is False


# ---- Mapping behaviour --------------------------------------------------------------------


@pytest.mark.parametrize("make", BATCHES)
def test_batch_is_a_mapping(make):
    assert isinstance(make(), Mapping)


@pytest.mark.parametrize("make", BATCHES)
def test_len_is_the_number_of_agents(make):
    assert len(make()) == 3


@pytest.mark.parametrize("make", BATCHES)
def test_iter_yields_agent_ids_in_row_order_as_python_ints(make):
    ids = list(make())
    assert ids == AGENT_IDS
    assert all(type(a) is int for a in ids)


@pytest.mark.parametrize("make", BATCHES)
def test_contains_checks_agent_ids_not_rows(make):
    steps = make()
    for agent_id in AGENT_IDS:
        assert agent_id in steps
    # 0 and 1 are rows, not ids.
    assert 0 not in steps
    assert 1 not in steps
    assert 99 not in steps
    assert "7" not in steps


@pytest.mark.parametrize("make", BATCHES)
def test_contains_accepts_numpy_integer_ids(make):
    steps = make()
    assert np.int32(42) in steps
    assert np.int64(3) in steps
    assert np.int64(4) not in steps


@pytest.mark.parametrize("make", BATCHES)
def test_agent_id_to_index_maps_each_id_to_its_row(make):
    mapping = make().agent_id_to_index
    assert mapping == {7: 0, 3: 1, 42: 2}
    assert all(type(k) is int for k in mapping)


@pytest.mark.parametrize("make", BATCHES)
def test_agent_id_to_index_is_stable_across_calls(make):
    steps = make()
    assert steps.agent_id_to_index == steps.agent_id_to_index == {7: 0, 3: 1, 42: 2}


@pytest.mark.parametrize("make", BATCHES)
@pytest.mark.parametrize("missing", [99, 0, -1])
def test_getitem_missing_id_raises_key_error_naming_it(make, missing):
    steps = make()
    with pytest.raises(KeyError) as excinfo:
        steps[missing]
    message = excinfo.value.args[0]
    assert f"agent_id {missing} " in message
    assert type(steps).__name__ in message


@pytest.mark.parametrize("make", BATCHES)
def test_mapping_helpers(make):
    steps = make()
    assert set(dict(steps.items()).keys()) == set(AGENT_IDS)
    assert list(steps.keys()) == AGENT_IDS
    keys = steps.keys()
    assert 42 in keys
    assert 99 not in keys
    assert [step.agent_id for step in steps.values()] == AGENT_IDS
    assert all(key == value.agent_id for key, value in steps.items())
    assert steps.get(99) is None
    assert steps.get(99, "default") == "default"
    assert steps.get(3).agent_id == 3


@pytest.mark.parametrize("row, agent_id", list(enumerate(AGENT_IDS)))
def test_decision_steps_getitem_returns_the_right_row(row, agent_id):
    steps = make_decision_steps()
    step = steps[agent_id]
    assert isinstance(step, DecisionStep)
    assert step.agent_id == agent_id
    assert type(step.agent_id) is int
    assert len(step.obs) == 2
    np.testing.assert_array_equal(step.obs[0], steps.obs[0][row])
    np.testing.assert_array_equal(step.obs[1], steps.obs[1][row])
    assert step.obs[0].shape == (4,)
    assert step.obs[1].shape == (2, 3, 3)
    assert step.reward == float(steps.reward[row])
    assert type(step.reward) is float
    assert step.group_id == int(steps.group_id[row])
    assert type(step.group_id) is int
    assert step.group_reward == float(steps.group_reward[row])
    assert type(step.group_reward) is float


@pytest.mark.parametrize("row, agent_id", list(enumerate(AGENT_IDS)))
def test_decision_steps_getitem_action_mask_is_the_row_of_each_branch(row, agent_id):
    steps = make_decision_steps()
    mask = steps[agent_id].action_mask
    assert mask is not None
    assert len(mask) == len(BRANCHES)
    for branch, size in enumerate(BRANCHES):
        assert mask[branch].shape == (size,)
        assert mask[branch].dtype == bool
        np.testing.assert_array_equal(mask[branch], steps.action_mask[branch][row])


def test_decision_steps_getitem_values_by_literal():
    step = make_decision_steps()[3]
    assert step.reward == -1.25
    assert step.group_id == 5
    assert step.group_reward == 0.0
    np.testing.assert_array_equal(step.obs[0], [4.0, 5.0, 6.0, 7.0])
    np.testing.assert_array_equal(step.action_mask[0], [False, False])
    np.testing.assert_array_equal(step.action_mask[1], [True, True, False])


def test_decision_steps_getitem_without_action_mask_gives_none():
    steps = DecisionSteps(
        obs=[_vector_obs(2)],
        reward=np.zeros(2, dtype=np.float32),
        agent_id=np.array([10, 11], dtype=np.int32),
        action_mask=None,
        group_id=np.zeros(2, dtype=np.int32),
        group_reward=np.zeros(2, dtype=np.float32),
    )
    assert steps[11].action_mask is None
    np.testing.assert_array_equal(steps[11].obs[0], [4.0, 5.0, 6.0, 7.0])


@pytest.mark.parametrize("row, agent_id", list(enumerate(AGENT_IDS)))
def test_terminal_steps_getitem_returns_the_right_row(row, agent_id):
    steps = make_terminal_steps()
    step = steps[agent_id]
    assert isinstance(step, TerminalStep)
    assert step.agent_id == agent_id
    assert type(step.agent_id) is int
    np.testing.assert_array_equal(step.obs[0], steps.obs[0][row])
    np.testing.assert_array_equal(step.obs[1], steps.obs[1][row])
    assert step.reward == float(steps.reward[row])
    assert type(step.reward) is float
    assert step.interrupted is bool(steps.interrupted[row])
    assert step.group_id == int(steps.group_id[row])
    assert type(step.group_id) is int
    assert step.group_reward == float(steps.group_reward[row])
    assert type(step.group_reward) is float


def test_terminal_steps_getitem_interrupted_is_a_python_bool_per_agent():
    steps = make_terminal_steps()
    assert steps[7].interrupted is False
    assert steps[3].interrupted is True
    assert steps[42].interrupted is False


def test_terminal_steps_getitem_values_by_literal():
    step = make_terminal_steps()[42]
    assert step.reward == 4.0
    assert step.group_id == 6
    assert step.group_reward == 0.0
    np.testing.assert_array_equal(step.obs[0], [8.0, 9.0, 10.0, 11.0])


# ---- empty(spec) --------------------------------------------------------------------------

EMPTY_SPECS = [
    pytest.param([(8,)], ActionSpec.create_continuous(2), id="vector"),
    pytest.param([(84, 84, 3)], ActionSpec.create_continuous(1), id="image-hwc"),
    pytest.param(
        [(8,), (3, 32, 32), (20, 6)], ActionSpec.create_hybrid(2, (3, 2)), id="vector-image-var"
    ),
    pytest.param([], ActionSpec.create_discrete((4,)), id="no-observations"),
    pytest.param([(1,), (5, 5, 1)], ActionSpec.create_discrete((2, 2, 2)), id="gray-image"),
]


@pytest.mark.parametrize("obs_shapes, action_spec", EMPTY_SPECS)
@pytest.mark.parametrize("cls", [DecisionSteps, TerminalSteps])
def test_empty_has_no_agents(cls, obs_shapes, action_spec):
    steps = cls.empty(_spec(obs_shapes, action_spec))
    assert isinstance(steps, cls)
    assert len(steps) == 0
    assert list(steps) == []
    assert steps.agent_id_to_index == {}
    assert 0 not in steps
    with pytest.raises(KeyError, match="agent_id 0 "):
        steps[0]


@pytest.mark.parametrize("obs_shapes, action_spec", EMPTY_SPECS)
@pytest.mark.parametrize("cls", [DecisionSteps, TerminalSteps])
def test_empty_observation_shapes_and_dtypes(cls, obs_shapes, action_spec):
    steps = cls.empty(_spec(obs_shapes, action_spec))
    assert len(steps.obs) == len(obs_shapes)
    for obs, shape in zip(steps.obs, obs_shapes):
        assert obs.shape == (0, *shape)
        assert obs.dtype == np.float32


@pytest.mark.parametrize("obs_shapes, action_spec", EMPTY_SPECS)
@pytest.mark.parametrize("cls", [DecisionSteps, TerminalSteps])
def test_empty_scalar_arrays_shapes_and_dtypes(cls, obs_shapes, action_spec):
    steps = cls.empty(_spec(obs_shapes, action_spec))
    assert steps.reward.shape == (0,)
    assert steps.reward.dtype == np.float32
    assert steps.agent_id.shape == (0,)
    assert steps.agent_id.dtype == np.int32
    assert steps.group_id.shape == (0,)
    assert steps.group_id.dtype == np.int32
    assert steps.group_reward.shape == (0,)
    assert steps.group_reward.dtype == np.float32


@pytest.mark.parametrize("obs_shapes, action_spec", EMPTY_SPECS)
def test_empty_terminal_steps_interrupted_is_empty_bool(obs_shapes, action_spec):
    steps = TerminalSteps.empty(_spec(obs_shapes, action_spec))
    assert steps.interrupted.shape == (0,)
    assert steps.interrupted.dtype == bool


def test_empty_decision_steps_without_discrete_actions_has_no_action_mask():
    steps = DecisionSteps.empty(_spec([(3,)], ActionSpec.create_continuous(2)))
    assert steps.action_mask is None


@pytest.mark.parametrize("branches", [(4,), (3, 2)])
def test_empty_decision_steps_with_discrete_actions_has_one_empty_mask_per_branch(branches):
    steps = DecisionSteps.empty(_spec([(3,)], ActionSpec.create_hybrid(1, branches)))
    assert steps.action_mask is not None
    assert [m.shape for m in steps.action_mask] == [(0, b) for b in branches]
    assert all(m.dtype == bool for m in steps.action_mask)
