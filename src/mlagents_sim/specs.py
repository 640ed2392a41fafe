"""What every environment of mlagents_sim spells out the same way: its agent count, its
observation specs (vectors, images, entity buffers), and the checks of the behavior names
and discrete actions it is given."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import (
    ActionTuple,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_sim.simulation import Simulation


def agent_count(agents_per_area: int, num_areas: int) -> int:
    """The agents of a behavior in the whole scene; ValueError unless agents_per_area >= 1."""
    if agents_per_area < 1:
        raise ValueError(f"agents_per_area={agents_per_area} must be at least 1.")
    return agents_per_area * num_areas


def vector_observation(
    size: int, name: str, observation_type: ObservationType = ObservationType.DEFAULT
) -> ObservationSpec:
    """A flat vector of size floats (dimension property NONE)."""
    return ObservationSpec(
        shape=(size,),
        dimension_property=(DimensionProperty.NONE,),
        observation_type=observation_type,
        name=name,
    )


def image_observation(height: int, width: int, channels: int, name: str) -> ObservationSpec:
    """A height x width x channels image: translational equivariance along height and
    width, none along channels."""
    return ObservationSpec(
        shape=(height, width, channels),
        dimension_property=(
            DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            DimensionProperty.NONE,
        ),
        observation_type=ObservationType.DEFAULT,
        name=name,
    )


def entity_buffer(max_entities: int, features: int, name: str) -> ObservationSpec:
    """A buffer of up to max_entities rows of features floats each (a BufferSensor):
    VARIABLE_SIZE along the entities, NONE along the features."""
    return ObservationSpec(
        shape=(max_entities, features),
        dimension_property=(DimensionProperty.VARIABLE_SIZE, DimensionProperty.NONE),
        observation_type=ObservationType.DEFAULT,
        name=name,
    )


def channels_last(images: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """A batch of images of (height, width, channels) shape, given in either generation's
    layout: as is, or moved from (channels, height, width); ValueError for any other."""
    images = np.asarray(images)
    height, width, channels = shape
    if images.shape[1:] == shape:
        return images
    if images.shape[1:] == (channels, height, width):
        return np.moveaxis(images, 1, -1)
    raise ValueError(
        f"Expected images of shape {shape} or {(channels, height, width)}, got {images.shape[1:]}."
    )


def check_behavior(simulation: Simulation, behavior: str) -> None:
    """KeyError unless behavior is one of the behaviors of simulation."""
    names = [b.behavior_id for b in simulation.behaviors]
    if behavior in names:
        return
    if len(names) == 1:
        known = f"only the behavior {names[0]!r}"
    else:
        known = "the behaviors " + ", ".join(map(repr, names[:-1])) + f" and {names[-1]!r}"
    raise KeyError(f"{type(simulation).__name__} has {known}, not {behavior!r}.")


def discrete_actions(actions: Mapping[str, ActionTuple], behavior: str, n: int) -> np.ndarray:
    """The actions of behavior's single discrete branch, one per agent: an (n,) array of
    the dtype they came in; ValueError unless they are of shape (n, 1)."""
    discrete = np.asarray(actions[behavior].discrete)
    if discrete.shape != (n, 1):
        raise ValueError(
            f"{behavior} expects discrete actions of shape ({n}, 1), got {discrete.shape}."
        )
    column: np.ndarray = discrete[:, 0]
    return column
