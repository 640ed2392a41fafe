"""The two generations of Unity builds, and the image layout each one sends.

Builds made with the com.unity.ml-agents package 2.x (and older) send image observations
as (height, width, channels); builds made with 3.0 and later send (channels, height,
width). The communication API is 1.5.0 in both, so the handshake's package version is what
tells them apart.
"""

from __future__ import annotations

import logging
import re

from mlagents_envs.base_env import DimensionProperty, ObservationSpec
from mlagents_envs.exception import UnityEnvironmentException

logger = logging.getLogger(__name__)

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


def check_package_version(package_version: str) -> str:
    """package_version, if it is a Unity package version; else UnityEnvironmentException."""
    if package_major(package_version) is None:
        raise UnityEnvironmentException(
            f"{package_version!r} is not a Unity package version; give one such as "
            f"{PACKAGE_VERSION_2X} (images channels-last) or {PACKAGE_VERSION_3X} "
            "(channels-first)."
        )
    return package_version


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
    first = spec.shape[0] < spec.shape[-1]
    if (spec.name, spec.shape) not in _GUESSED:
        _GUESSED.add((spec.name, spec.shape))
        logger.warning(
            "Observation %r of shape %s has no dimension properties that say where its "
            "channels are; taking it as %s.",
            spec.name,
            spec.shape,
            "(channels, height, width)" if first else "(height, width, channels)",
        )
    return first


# The specs whose layout was guessed, so that each is reported once.
_GUESSED: set[tuple[str, tuple[int, ...]]] = set()


def image_chw(spec: ObservationSpec) -> tuple[int, int, int]:
    """(channels, height, width) of an image observation, whichever layout it is sent in."""
    if image_channels_first(spec):
        channels, height, width = spec.shape
    else:
        height, width, channels = spec.shape
    return channels, height, width


def to_channels_first(spec: ObservationSpec) -> ObservationSpec:
    """The spec of a (height, width, channels) image as a 3.x build declares it."""
    height, width, channels = spec.shape
    properties = tuple(spec.dimension_property) or (DimensionProperty.UNSPECIFIED,) * 3
    h_prop, w_prop, c_prop = properties
    return spec._replace(
        shape=(channels, height, width), dimension_property=(c_prop, h_prop, w_prop)
    )
