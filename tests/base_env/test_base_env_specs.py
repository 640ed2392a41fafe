"""DimensionProperty, ObservationType, ObservationSpec and BehaviorSpec."""

from __future__ import annotations

from enum import Enum, IntFlag

import pytest

from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)


@pytest.mark.parametrize(
    "member, value",
    [
        (DimensionProperty.UNSPECIFIED, 0),
        (DimensionProperty.NONE, 1),
        (DimensionProperty.TRANSLATIONAL_EQUIVARIANCE, 2),
        (DimensionProperty.VARIABLE_SIZE, 4),
    ],
)
def test_dimension_property_values(member, value):
    assert isinstance(member, IntFlag)
    assert int(member) == value
    assert member == value
    assert DimensionProperty(value) is member


def test_dimension_property_has_exactly_the_wire_members():
    assert [m.name for m in DimensionProperty.__members__.values()] == [
        "UNSPECIFIED",
        "NONE",
        "TRANSLATIONAL_EQUIVARIANCE",
        "VARIABLE_SIZE",
    ]


def test_dimension_property_unspecified_is_falsy_and_the_rest_truthy():
    assert not DimensionProperty.UNSPECIFIED
    assert DimensionProperty.NONE
    assert DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
    assert DimensionProperty.VARIABLE_SIZE


def test_dimension_property_combinations():
    both = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE | DimensionProperty.VARIABLE_SIZE
    assert isinstance(both, DimensionProperty)
    assert int(both) == 6
    assert DimensionProperty(6) == both
    assert DimensionProperty.TRANSLATIONAL_EQUIVARIANCE in both
    assert DimensionProperty.VARIABLE_SIZE in both
    assert DimensionProperty.NONE not in both
    assert both & DimensionProperty.VARIABLE_SIZE == DimensionProperty.VARIABLE_SIZE
    assert both & DimensionProperty.NONE == DimensionProperty.UNSPECIFIED
    every = DimensionProperty.NONE | both
    assert int(every) == 7
    assert all(m in every for m in DimensionProperty if m)


def test_dimension_property_from_wire_ints():
    # The wire carries plain ints; they convert back to the same flags.
    assert [DimensionProperty(v) for v in (0, 1, 2, 4)] == list(
        DimensionProperty.__members__.values()
    )
    assert (
        DimensionProperty(3)
        == DimensionProperty.NONE | DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
    )


def test_observation_type_values():
    assert issubclass(ObservationType, Enum)
    assert ObservationType.DEFAULT.value == 0
    assert ObservationType.GOAL_SIGNAL.value == 1
    assert ObservationType(0) is ObservationType.DEFAULT
    assert ObservationType(1) is ObservationType.GOAL_SIGNAL
    assert [m.name for m in ObservationType] == ["DEFAULT", "GOAL_SIGNAL"]


def test_observation_type_is_not_an_int():
    # A plain Enum: comparing with the wire int is a mistake that should not pass silently.
    assert ObservationType.DEFAULT != 0
    with pytest.raises(ValueError):
        ObservationType(2)


def _image_spec() -> ObservationSpec:
    return ObservationSpec(
        shape=(84, 84, 3),
        dimension_property=(
            DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            DimensionProperty.NONE,
        ),
        observation_type=ObservationType.DEFAULT,
        name="CameraSensor",
    )


def test_observation_spec_fields():
    assert ObservationSpec._fields == ("shape", "dimension_property", "observation_type", "name")
    spec = _image_spec()
    assert isinstance(spec, tuple)
    assert spec.shape == (84, 84, 3)
    assert spec.dimension_property[0] is DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
    assert spec.dimension_property[2] is DimensionProperty.NONE
    assert spec.observation_type is ObservationType.DEFAULT
    assert spec.name == "CameraSensor"
    shape, dims, obs_type, name = spec
    assert (shape, len(dims), obs_type, name) == (
        (84, 84, 3),
        3,
        ObservationType.DEFAULT,
        "CameraSensor",
    )


def test_observation_spec_equality_and_hash():
    assert _image_spec() == _image_spec()
    assert hash(_image_spec()) == hash(_image_spec())
    goal = _image_spec()._replace(observation_type=ObservationType.GOAL_SIGNAL)
    assert goal != _image_spec()
    assert goal.observation_type is ObservationType.GOAL_SIGNAL


def test_behavior_spec_fields():
    assert BehaviorSpec._fields == ("observation_specs", "action_spec")
    vector = ObservationSpec((8,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "Vector")
    action_spec = ActionSpec.create_hybrid(2, (3,))
    spec = BehaviorSpec(observation_specs=[_image_spec(), vector], action_spec=action_spec)
    assert isinstance(spec, tuple)
    assert [o.name for o in spec.observation_specs] == ["CameraSensor", "Vector"]
    assert spec.observation_specs[1].shape == (8,)
    assert spec.action_spec is action_spec
    observation_specs, got_action_spec = spec
    assert got_action_spec == ActionSpec(2, (3,))
    assert len(observation_specs) == 2


def test_behavior_spec_equality():
    vector = ObservationSpec((8,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "Vector")
    first = BehaviorSpec([vector], ActionSpec.create_continuous(2))
    assert first == BehaviorSpec([vector], ActionSpec.create_continuous(2))
    assert first != BehaviorSpec([vector], ActionSpec.create_continuous(3))
    assert first != BehaviorSpec([], ActionSpec.create_continuous(2))
