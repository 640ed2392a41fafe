"""The two generations of Unity builds, and the image layout each one sends.

Builds made with the com.unity.ml-agents package 2.x (and older) send image observations
as (height, width, channels); builds made with 3.0 and later send (channels, height,
width). The communication API is 1.5.0 in both, so the handshake's package version is what
tells them apart.
"""

from __future__ import annotations

import re

from mlagents_envs.base_env import DimensionProperty, ObservationSpec

#: A Unity package version of each generation, as a build announces it in the handshake.
PACKAGE_VERSION_2X = "2.2.1-exp.1"
PACKAGE_VERSION_3X = "3.0.0"

_MAJOR = re.compile(r"\s*(\d+)\.")
_SPATIAL = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
_CHANNEL = DimensionProperty.NONE


def package_major(package_version: str) -> int | None:
    """The major number of a Unity package version, or None when it is not one."""
    match = _MAJOR.match(package_version)
    return int(match.group(1)) if match else None


def channels_first(package_version: str) -> bool:
    """Whether a build of this Unity package version sends images channels-first.

    A version that cannot be read (an Editor plug-in, a test double) counts as the older
    generation, whose layout every build before 3.0 used.
    """
    major = package_major(package_version)
    return major is not None and major >= 3


def image_channels_first(spec: ObservationSpec) -> bool:
    """Whether a rank-3 observation is (channels, height, width).

    Unity marks the two spatial axes of an image with TRANSLATIONAL_EQUIVARIANCE and the
    channel axis with NONE, in either generation; that settles it. Without those marks
    (builds older than 2.0), the smaller end axis is taken for the channels, and a tie
    means channels-last, the layout of those builds.
    """
    if len(spec.shape) != 3:
        raise ValueError(f"Observation {spec.name!r} of shape {spec.shape} is not an image.")
    properties = tuple(spec.dimension_property)
    if properties == (_CHANNEL, _SPATIAL, _SPATIAL):
        return True
    if properties == (_SPATIAL, _SPATIAL, _CHANNEL):
        return False
    return spec.shape[0] < spec.shape[-1]


def to_channels_first(spec: ObservationSpec) -> ObservationSpec:
    """The spec of a (height, width, channels) image as a 3.x build declares it."""
    height, width, channels = spec.shape
    h_prop, w_prop, c_prop = spec.dimension_property
    return spec._replace(
        shape=(channels, height, width), dimension_property=(c_prop, h_prop, w_prop)
    )
