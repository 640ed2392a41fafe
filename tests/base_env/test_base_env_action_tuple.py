"""ActionTuple: dtype conversion, shape rules and every refusal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mlagents_envs.base_env import ActionTuple
from mlagents_envs.exception import UnityActionException, UnityException

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


def test_no_parts_gives_zero_by_zero_arrays():
    actions = ActionTuple()
    assert actions.continuous.shape == (0, 0)
    assert actions.continuous.dtype == np.float32
    assert actions.discrete.shape == (0, 0)
    assert actions.discrete.dtype == np.int32
    assert actions.n_agents == 0


def test_continuous_float64_is_stored_as_float32():
    values = np.array([[0.5, -1.0, 0.25], [1e-3, 2.0, -0.75]], dtype=np.float64)
    actions = ActionTuple(continuous=values)
    assert actions.continuous.dtype == np.float32
    np.testing.assert_array_equal(actions.continuous, values.astype(np.float32))


def test_continuous_float32_is_kept():
    values = np.array([[0.5, -1.0]], dtype=np.float32)
    actions = ActionTuple(continuous=values)
    assert actions.continuous.dtype == np.float32
    np.testing.assert_array_equal(actions.continuous, values)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16])
def test_continuous_integers_are_stored_as_float32(dtype):
    actions = ActionTuple(continuous=np.array([[1, 2], [3, 4]], dtype=dtype))
    assert actions.continuous.dtype == np.float32
    np.testing.assert_array_equal(actions.continuous, [[1.0, 2.0], [3.0, 4.0]])


def test_continuous_nested_list_is_accepted():
    actions = ActionTuple(continuous=[[0.5, 1.5]])
    assert actions.continuous.dtype == np.float32
    assert actions.continuous.shape == (1, 2)
    np.testing.assert_array_equal(actions.continuous, [[0.5, 1.5]])


def test_discrete_int64_is_stored_as_int32():
    values = np.array([[0, 3], [2, 1]], dtype=np.int64)
    actions = ActionTuple(discrete=values)
    assert actions.discrete.dtype == np.int32
    np.testing.assert_array_equal(actions.discrete, values)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8, np.uint32, np.int32])
def test_discrete_other_integer_dtypes_are_stored_as_int32(dtype):
    actions = ActionTuple(discrete=np.array([[0, 5, 7]], dtype=dtype))
    assert actions.discrete.dtype == np.int32
    np.testing.assert_array_equal(actions.discrete, [[0, 5, 7]])


def test_discrete_nested_list_is_accepted():
    actions = ActionTuple(discrete=[[1], [0], [2]])
    assert actions.discrete.dtype == np.int32
    np.testing.assert_array_equal(actions.discrete, [[1], [0], [2]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_discrete_integral_floats_are_accepted(dtype):
    actions = ActionTuple(discrete=np.array([[1.0, 0.0], [4.0, -2.0]], dtype=dtype))
    assert actions.discrete.dtype == np.int32
    np.testing.assert_array_equal(actions.discrete, [[1, 0], [4, -2]])


def test_discrete_integral_float16_is_accepted_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actions = ActionTuple(discrete=np.array([[1.0, 0.0], [4.0, -2.0]], dtype=np.float16))
    assert actions.discrete.dtype == np.int32
    np.testing.assert_array_equal(actions.discrete, [[1, 0], [4, -2]])


@pytest.mark.parametrize("bad", [0.5, 2.25, -1.5])
def test_discrete_fractional_floats_are_refused_naming_the_value(bad):
    with pytest.raises(UnityActionException) as excinfo:
        ActionTuple(discrete=np.array([[1.0, bad]]))
    assert str(bad) in str(excinfo.value)


def test_discrete_nan_is_refused():
    with pytest.raises(UnityActionException, match="nan"):
        ActionTuple(discrete=np.array([[1.0, np.nan]]))


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_discrete_infinity_is_refused(bad):
    with pytest.raises(UnityActionException, match="inf"):
        ActionTuple(discrete=np.array([[bad]]))


@pytest.mark.parametrize("part", ["continuous", "discrete"])
def test_bool_arrays_are_refused(part):
    with pytest.raises(UnityActionException) as excinfo:
        ActionTuple(**{part: np.array([[True, False]])})
    message = str(excinfo.value)
    assert "boolean" in message
    assert part in message


@pytest.mark.parametrize("part", ["continuous", "discrete"])
@pytest.mark.parametrize(
    "values, dtype_text",
    [
        pytest.param(np.array([["a", "b"]]), "<U1", id="str"),
        pytest.param(np.array([[1, 2]], dtype=object), "object", id="object"),
        pytest.param(np.array([[1 + 2j, 0j]]), "complex128", id="complex"),
        pytest.param(np.array([[b"x"]]), "|S1", id="bytes"),
    ],
)
def test_non_numeric_dtypes_are_refused_naming_the_dtype(part, values, dtype_text):
    with pytest.raises(UnityActionException) as excinfo:
        ActionTuple(**{part: values})
    assert dtype_text in str(excinfo.value)


@pytest.mark.parametrize("part", ["continuous", "discrete"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 1), (1, 1, 1, 1)])
def test_non_2d_arrays_are_refused_naming_the_shape(part, shape):
    with pytest.raises(UnityActionException) as excinfo:
        ActionTuple(**{part: np.zeros(shape, dtype=np.int32)})
    message = str(excinfo.value)
    assert f"got shape {shape}" in message
    assert part in message


def test_refusals_are_unity_exceptions():
    assert issubclass(UnityActionException, UnityException)
    with pytest.raises(UnityException):
        ActionTuple(continuous=np.zeros(3))


@pytest.mark.parametrize("continuous_rows, discrete_rows", [(3, 2), (2, 3), (1, 4), (0, 1), (1, 0)])
def test_mismatched_agent_counts_are_refused_naming_both(continuous_rows, discrete_rows):
    with pytest.raises(UnityActionException) as excinfo:
        ActionTuple(
            continuous=np.zeros((continuous_rows, 2), dtype=np.float32),
            discrete=np.zeros((discrete_rows, 1), dtype=np.int32),
        )
    message = str(excinfo.value)
    assert f"continuous part has {continuous_rows} agents" in message
    assert f"discrete part has {discrete_rows}" in message


def test_mismatch_is_refused_when_continuous_is_added_after_discrete():
    actions = ActionTuple(discrete=np.zeros((4, 2), dtype=np.int32))
    with pytest.raises(UnityActionException, match="continuous part has 3 agents"):
        actions.add_continuous(np.zeros((3, 1), dtype=np.float32))


@pytest.mark.parametrize("part", ["continuous", "discrete"])
def test_refused_add_leaves_the_tuple_unchanged(part):
    actions = ActionTuple(
        continuous=np.ones((3, 2), dtype=np.float32), discrete=np.ones((3, 1), dtype=np.int32)
    )
    add = actions.add_continuous if part == "continuous" else actions.add_discrete
    with pytest.raises(UnityActionException):
        add(np.zeros((2, 2 if part == "continuous" else 1), dtype=np.int32))
    assert actions.n_agents == 3
    assert actions.continuous.shape == (3, 2)
    assert actions.discrete.shape == (3, 1)
    np.testing.assert_array_equal(actions.continuous, np.ones((3, 2)))


@pytest.mark.parametrize("continuous_shape, discrete_shape", [((3, 0), (2, 1)), ((2, 0), (5, 0))])
def test_explicit_zero_width_part_with_other_agent_count_is_refused(
    continuous_shape, discrete_shape
):
    with pytest.raises(UnityActionException, match="agents"):
        ActionTuple(
            continuous=np.zeros(continuous_shape, dtype=np.float32),
            discrete=np.zeros(discrete_shape, dtype=np.int32),
        )


@pytest.mark.parametrize("n_agents", [0, 1, 5])
def test_continuous_only_gives_discrete_of_shape_n_by_zero(n_agents):
    actions = ActionTuple(continuous=np.zeros((n_agents, 3), dtype=np.float32))
    assert actions.discrete.shape == (n_agents, 0)
    assert actions.discrete.dtype == np.int32
    assert actions.n_agents == n_agents


@pytest.mark.parametrize("n_agents", [0, 1, 5])
def test_discrete_only_gives_continuous_of_shape_n_by_zero(n_agents):
    actions = ActionTuple(discrete=np.zeros((n_agents, 2), dtype=np.int32))
    assert actions.continuous.shape == (n_agents, 0)
    assert actions.continuous.dtype == np.float32
    assert actions.n_agents == n_agents


def test_both_parts_with_same_agent_count():
    actions = ActionTuple(
        continuous=np.full((4, 2), 0.5), discrete=np.arange(12, dtype=np.int64).reshape(4, 3)
    )
    assert actions.n_agents == 4
    assert actions.continuous.shape == (4, 2)
    assert actions.discrete.shape == (4, 3)
    np.testing.assert_array_equal(actions.discrete[3], [9, 10, 11])


def test_add_methods_replace_a_part():
    actions = ActionTuple(continuous=np.zeros((2, 1)))
    actions.add_discrete(np.array([[1, 2], [3, 4]]))
    actions.add_continuous(np.array([[0.5], [0.25]]))
    np.testing.assert_array_equal(actions.discrete, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(actions.continuous, [[0.5], [0.25]])
    assert actions.n_agents == 2


def test_discrete_dtype_is_int32():
    actions = ActionTuple(discrete=np.array([[1]], dtype=np.int64))
    assert actions.discrete_dtype == np.dtype(np.int32)
    assert isinstance(actions.discrete_dtype, np.dtype)
    assert actions.discrete.dtype == actions.discrete_dtype
    assert ActionTuple().discrete_dtype == np.int32


@pytest.mark.parametrize("value", [INT32_MIN, INT32_MAX])
def test_discrete_int32_limits_are_accepted(value):
    actions = ActionTuple(discrete=np.array([[value]], dtype=np.int64))
    assert int(actions.discrete[0, 0]) == value


@pytest.mark.parametrize(
    "values, text",
    [
        pytest.param(np.array([[0, INT32_MAX + 1]], dtype=np.int64), "2147483648", id="max+1"),
        pytest.param(np.array([[INT32_MIN - 1]], dtype=np.int64), "-2147483649", id="min-1"),
        pytest.param(np.array([[2**40]], dtype=np.int64), str(2**40), id="2**40"),
        pytest.param(np.array([[2**63]], dtype=np.uint64), str(2**63), id="uint64"),
        pytest.param(np.array([[3e9]]), "3000000000", id="float"),
    ],
)
def test_discrete_values_outside_int32_are_refused_naming_them(values, text):
    with pytest.raises(UnityActionException) as excinfo:
        ActionTuple(discrete=values)
    message = str(excinfo.value)
    assert "int32" in message
    assert text in message


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.array([[2.0**31]], dtype=np.float32), id="float32-2**31"),
        pytest.param(np.array([[np.inf]], dtype=np.float16), id="float16-inf"),
        pytest.param(np.array([[-np.inf]], dtype=np.float16), id="float16-minus-inf"),
    ],
)
def test_discrete_float_values_outside_int32_are_refused_in_every_float_dtype(values):
    with warnings.catch_warnings():
        # Only the outcome is under test here; the spurious cast warnings have their own test.
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(UnityActionException, match="int32"):
            ActionTuple(discrete=values)


def test_repr_shows_both_parts():
    text = repr(ActionTuple(continuous=np.array([[0.5]]), discrete=np.array([[7]])))
    assert text.startswith("ActionTuple(")
    assert "0.5" in text
    assert "7" in text


@pytest.mark.parametrize("part", ["continuous", "discrete"])
def test_ragged_nested_lists_are_refused(part):
    with pytest.raises(UnityActionException, match="not a rectangular array"):
        ActionTuple(**{part: [[1, 2], [3]]})
