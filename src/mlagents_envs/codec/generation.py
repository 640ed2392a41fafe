"""TEMPORARY stub of the core change's module (same contract); main's version replaces it."""

from __future__ import annotations

import re

from mlagents_envs.base_env import DimensionProperty, ObservationSpec

PACKAGE_VERSION_2X = "2.2.1-exp.1"
PACKAGE_VERSION_3X = "3.0.0"

_SPATIAL = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
_CHANNEL = DimensionProperty.NONE


def channels_first(package_version: str) -> bool:
    match = re.match(r"\s*(\d+)\.", package_version)
    return match is not None and int(match.group(1)) >= 3


def image_channels_first(spec: ObservationSpec) -> bool:
    if len(spec.shape) != 3:
        raise ValueError(f"Observation {spec.name!r} of shape {spec.shape} is not an image.")
    properties = tuple(spec.dimension_property)
    if properties == (_CHANNEL, _SPATIAL, _SPATIAL):
        return True
    if properties == (_SPATIAL, _SPATIAL, _CHANNEL):
        return False
    return spec.shape[0] < spec.shape[-1]
