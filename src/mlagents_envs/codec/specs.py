"""Behavior specs between BrainParametersProto (plus a first agent's observations) and numpy."""

from __future__ import annotations

from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.brain_parameters_pb2 import (
    ActionSpecProto,
    BrainParametersProto,
)
from mlagents_envs.communicator_objects.observation_pb2 import ObservationProto
from mlagents_envs.communicator_objects.space_type_pb2 import continuous
from mlagents_envs.exception import UnityEnvironmentException, UnityObservationException


def observation_spec_from_proto(proto: ObservationProto) -> ObservationSpec:
    """The spec of one observation, read from an agent's ObservationProto."""
    shape = tuple(proto.shape)
    properties = tuple(proto.dimension_properties)
    if not properties:
        properties = (DimensionProperty.UNSPECIFIED,) * len(shape)
    elif len(properties) != len(shape):
        raise UnityObservationException(
            f"Observation {proto.name!r} has shape {shape} but {len(properties)} dimension "
            f"properties {list(properties)}; there must be one per dimension."
        )
    try:
        observation_type = ObservationType(proto.observation_type)
        dimension_property = tuple(DimensionProperty(p) for p in properties)
    except ValueError as error:
        raise UnityObservationException(f"Observation {proto.name!r}: {error}") from error
    return ObservationSpec(shape, dimension_property, observation_type, proto.name)


def action_spec_from_proto(brain_parameters: BrainParametersProto) -> ActionSpec:
    """The action spec of a behavior, from action_spec or, for environments older than
    communication API 1.3, from the deprecated vector action fields.
    """
    proto = brain_parameters.action_spec
    if proto.num_continuous_actions or proto.num_discrete_actions or proto.discrete_branch_sizes:
        branches = tuple(proto.discrete_branch_sizes)
        if proto.num_discrete_actions != len(branches):
            raise UnityEnvironmentException(
                f"Behavior {brain_parameters.brain_name!r} declares {proto.num_discrete_actions} "
                f"discrete branches but gives {len(branches)} branch sizes {list(branches)}."
            )
        spec = ActionSpec(proto.num_continuous_actions, branches)
    elif brain_parameters.vector_action_space_type_deprecated == continuous:
        sizes = brain_parameters.vector_action_size_deprecated
        spec = ActionSpec(sizes[0] if sizes else 0, ())
    else:
        spec = ActionSpec(0, tuple(brain_parameters.vector_action_size_deprecated))
    if spec.continuous_size < 0 or any(b <= 0 for b in spec.discrete_branches):
        raise UnityEnvironmentException(
            f"Behavior {brain_parameters.brain_name!r} has an impossible action spec {spec}: "
            "sizes must be positive."
        )
    return spec


def behavior_spec_from_proto(
    brain_param_proto: BrainParametersProto, agent_info: AgentInfoProto
) -> BehaviorSpec:
    """The BehaviorSpec of a behavior from its brain parameters and one of its agents."""
    observation_specs = [observation_spec_from_proto(o) for o in agent_info.observations]
    return BehaviorSpec(observation_specs, action_spec_from_proto(brain_param_proto))


def behavior_spec_to_proto(
    name: str, spec: BehaviorSpec, is_training: bool = True
) -> BrainParametersProto:
    """The BrainParametersProto an environment sends for a behavior (observation specs
    travel with each agent's observations instead).
    """
    action = spec.action_spec
    return BrainParametersProto(
        brain_name=name,
        is_training=is_training,
        action_spec=ActionSpecProto(
            num_continuous_actions=action.continuous_size,
            num_discrete_actions=action.discrete_size,
            discrete_branch_sizes=action.discrete_branches,
        ),
    )
