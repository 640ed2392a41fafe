"""Behavior specs from BrainParametersProto and a first agent, and back."""

from __future__ import annotations

import numpy as np
import pytest
from codec_helpers import agent, float_obs, png_obs

from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.communicator_objects.brain_parameters_pb2 import (
    ActionSpecProto,
    BrainParametersProto,
)
from mlagents_envs.communicator_objects.observation_pb2 import GOAL_SIGNAL, ObservationProto
from mlagents_envs.communicator_objects.space_type_pb2 import continuous, discrete
from mlagents_envs.exception import UnityEnvironmentException, UnityObservationException
from mlagents_envs.rpc_utils import behavior_spec_from_proto, behavior_spec_to_proto


def brain(continuous_size=0, branches=(), name="B") -> BrainParametersProto:
    return BrainParametersProto(
        brain_name=name,
        action_spec=ActionSpecProto(
            num_continuous_actions=continuous_size,
            num_discrete_actions=len(branches),
            discrete_branch_sizes=branches,
        ),
    )


def test_observation_specs_come_from_the_first_agent():
    goal = ObservationProto(
        shape=[4],
        dimension_properties=[int(DimensionProperty.NONE)],
        observation_type=GOAL_SIGNAL,
        name="goal",
    )
    goal.float_data.data.extend([0.0] * 4)
    entities = ObservationProto(
        shape=[5, 3],
        dimension_properties=[int(DimensionProperty.VARIABLE_SIZE), int(DimensionProperty.NONE)],
        name="entities",
    )
    entities.float_data.data.extend([0.0] * 15)
    image = png_obs(b"", (8, 8, 3), name="cam")
    image.dimension_properties.extend([2, 2, 1])
    spec = behavior_spec_from_proto(brain(2, (3,)), agent(1, [goal, entities, image]))
    assert spec.observation_specs == [
        ObservationSpec((4,), (DimensionProperty.NONE,), ObservationType.GOAL_SIGNAL, "goal"),
        ObservationSpec(
            (5, 3),
            (DimensionProperty.VARIABLE_SIZE, DimensionProperty.NONE),
            ObservationType.DEFAULT,
            "entities",
        ),
        ObservationSpec(
            (8, 8, 3),
            (
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
                DimensionProperty.NONE,
            ),
            ObservationType.DEFAULT,
            "cam",
        ),
    ]
    assert spec.action_spec == ActionSpec(2, (3,))


def test_missing_dimension_properties_mean_unspecified():
    proto = ObservationProto(shape=[2, 3])
    spec = behavior_spec_from_proto(brain(1), agent(1, [proto]))
    assert spec.observation_specs[0].dimension_property == (DimensionProperty.UNSPECIFIED,) * 2


def test_dimension_properties_of_the_wrong_length_are_refused():
    proto = ObservationProto(shape=[2, 3], dimension_properties=[1], name="bad")
    with pytest.raises(UnityObservationException, match=r"'bad'.*\(2, 3\).*1 dimension"):
        behavior_spec_from_proto(brain(1), agent(1, [proto]))


def test_unknown_observation_type_is_refused():
    proto = ObservationProto(shape=[1], name="odd")
    proto.observation_type = 7  # an enum value from a newer protocol
    with pytest.raises(UnityObservationException, match="'odd'"):
        behavior_spec_from_proto(brain(1), agent(1, [proto]))


def test_hybrid_action_spec():
    spec = behavior_spec_from_proto(brain(3, (2, 4)), agent(1, [float_obs(np.zeros(1))]))
    assert spec.action_spec == ActionSpec(3, (2, 4))


def test_deprecated_continuous_fields_of_older_environments():
    proto = BrainParametersProto(
        brain_name="Old",
        vector_action_size_deprecated=[5],
        vector_action_space_type_deprecated=continuous,
    )
    assert behavior_spec_from_proto(proto, agent(1, [])).action_spec == ActionSpec(5, ())


def test_deprecated_discrete_fields_of_older_environments():
    proto = BrainParametersProto(
        brain_name="Old",
        vector_action_size_deprecated=[3, 2, 2],
        vector_action_space_type_deprecated=discrete,
    )
    assert behavior_spec_from_proto(proto, agent(1, [])).action_spec == ActionSpec(0, (3, 2, 2))


def test_branch_count_that_disagrees_with_branch_sizes_is_refused():
    proto = brain(0, (3, 3))
    proto.action_spec.num_discrete_actions = 3
    with pytest.raises(UnityEnvironmentException, match=r"3 discrete branches.*\[3, 3\]"):
        behavior_spec_from_proto(proto, agent(1, []))


def test_non_positive_branch_size_is_refused():
    with pytest.raises(UnityEnvironmentException, match="positive"):
        behavior_spec_from_proto(brain(0, (3, 0)), agent(1, []))


def test_behavior_spec_to_proto_round_trips():
    spec = BehaviorSpec([], ActionSpec(2, (3, 5)))
    proto = behavior_spec_to_proto("Walker?team=1", spec, is_training=False)
    assert proto.brain_name == "Walker?team=1"
    assert proto.is_training is False
    assert behavior_spec_from_proto(proto, agent(1, [])).action_spec == spec.action_spec
