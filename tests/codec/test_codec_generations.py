"""The two generations of Unity builds: which layout a package version sends, which layout
a spec declares, and PNG images decoded and encoded channels-first as 3.x builds send them
(grayscale, channel mappings and concatenated PNGs over the first axis)."""

from __future__ import annotations

import numpy as np
import pytest
from codec_helpers import image_spec, png_bytes, png_obs

from mlagents_envs.base_env import DimensionProperty, ObservationSpec, ObservationType
from mlagents_envs.codec.generation import (
    PACKAGE_VERSION_2X,
    PACKAGE_VERSION_3X,
    channels_first,
    check_package_version,
    image_channels_first,
    package_major,
    to_channels_first,
)
from mlagents_envs.codec.observations import decode_observations, encode_observation
from mlagents_envs.exception import UnityEnvironmentException, UnityObservationException
from mlagents_envs.rpc_utils import process_pixels

RNG = np.random.default_rng(3)
TE, NONE = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE, DimensionProperty.NONE


def pixels(h: int, w: int, c: int) -> np.ndarray:
    return RNG.integers(0, 256, size=(h, w, c), dtype=np.uint8)


def chw_spec(channels: int, height: int, width: int) -> ObservationSpec:
    return to_channels_first(image_spec(height, width, channels))


@pytest.mark.parametrize(
    ("version", "first"),
    [
        (PACKAGE_VERSION_2X, False),
        ("1.0.8", False),
        ("2.3.0-exp.3", False),
        (PACKAGE_VERSION_3X, True),
        ("3.0.0-exp.1", True),
        ("4.0.0", True),
        ("", False),
        ("mock_package_version", False),
    ],
)
def test_package_versions_tell_the_layout(version: str, first: bool) -> None:
    assert channels_first(version) is first


def test_package_major() -> None:
    assert package_major("2.2.1-exp.1") == 2
    assert package_major("10.1") == 10
    assert package_major("x.1") is None


def test_specs_tell_their_layout_by_dimension_properties() -> None:
    assert not image_channels_first(image_spec(84, 84, 3))
    turned = chw_spec(3, 84, 84)
    assert turned.shape == (3, 84, 84) and turned.dimension_property == (NONE, TE, TE)
    assert image_channels_first(turned)
    # Without properties, by shape: the small end is the channels, a tie is channels-last.
    plain = (DimensionProperty.UNSPECIFIED,) * 3
    assert image_channels_first(ObservationSpec((4, 84, 84), plain, ObservationType.DEFAULT, ""))
    assert not image_channels_first(
        ObservationSpec((84, 84, 4), plain, ObservationType.DEFAULT, "")
    )
    assert not image_channels_first(ObservationSpec((5, 5, 5), plain, ObservationType.DEFAULT, ""))
    with pytest.raises(ValueError, match="not an image"):
        image_channels_first(ObservationSpec((8,), (NONE,), ObservationType.DEFAULT, ""))


def test_rgb_png_decodes_channels_first() -> None:
    raw = pixels(4, 5, 3)
    proto = png_obs(png_bytes(raw), (3, 4, 5))
    batch = decode_observations([proto, proto], chw_spec(3, 4, 5), [0, 1], channels_first=True)
    assert batch.shape == (2, 3, 4, 5) and batch.dtype == np.float32
    assert batch.flags.c_contiguous
    np.testing.assert_array_equal(batch[1], np.moveaxis(raw, -1, 0) / np.float32(255))


def test_grayscale_channels_first_is_the_mean_over_the_first_axis() -> None:
    raw = pixels(3, 3, 3)
    proto = png_obs(png_bytes(raw), (1, 3, 3))
    batch = decode_observations([proto], chw_spec(1, 3, 3), [0], channels_first=True)
    expected = raw.astype(np.float64).mean(axis=2)[None] / 255
    np.testing.assert_allclose(batch[0], expected, rtol=1e-6)


def test_concatenated_pngs_with_a_mapping_channels_first() -> None:
    raw = pixels(3, 4, 6)
    data = png_bytes(raw[:, :, :3]) + png_bytes(raw[:, :, 3:])
    proto = png_obs(data, (5, 3, 4), mapping=[0, 1, 2, 3, 4, -1])
    batch = decode_observations([proto], chw_spec(5, 3, 4), [0], channels_first=True)
    np.testing.assert_array_equal(batch[0], np.moveaxis(raw[:, :, :5], -1, 0) / np.float32(255))
    averaged = png_obs(data, (2, 3, 4), mapping=[0, 0, 0, 1, 1, -1])
    batch = decode_observations([averaged], chw_spec(2, 3, 4), [0], channels_first=True)
    scaled = raw.astype(np.float32) / np.float32(255)
    np.testing.assert_allclose(batch[0, 0], scaled[:, :, :3].mean(axis=2), rtol=1e-6)
    np.testing.assert_allclose(batch[0, 1], scaled[:, :, 3:5].mean(axis=2), rtol=1e-6)


def test_a_layout_that_does_not_match_the_spec_is_refused() -> None:
    raw = pixels(4, 5, 3)
    proto = png_obs(png_bytes(raw), (4, 5, 3))
    # A channels-last spec read as a 3.x build's: 4 channels expected, 3 decoded.
    with pytest.raises(UnityObservationException, match="decodes to"):
        decode_observations([proto], image_spec(4, 5, 3), [0], channels_first=True)


def test_process_pixels_in_both_layouts() -> None:
    raw = pixels(2, 3, 3)
    data = png_bytes(raw)
    last = process_pixels(data, 3)
    first = process_pixels(data, 3, channels_first=True)
    assert last.shape == (2, 3, 3) and first.shape == (3, 2, 3)
    np.testing.assert_array_equal(first, np.moveaxis(last, -1, 0))
    gray = process_pixels(data, 1, channels_first=True)
    assert gray.shape == (1, 2, 3)


@pytest.mark.parametrize("channels", [1, 3, 4, 6])
def test_encode_then_decode_channels_first_round_trips(channels: int) -> None:
    spec = chw_spec(channels, 5, 7)
    image = RNG.integers(0, 256, size=spec.shape).astype(np.float32) / np.float32(255)
    proto = encode_observation(image, spec, compressed=True, channels_first=True)
    assert list(proto.shape) == [channels, 5, 7]
    decoded = decode_observations([proto], spec, [0], channels_first=True)
    # One channel comes back as the mean of a gray PNG's three equal channels.
    np.testing.assert_allclose(decoded[0], image, atol=1e-7)


def test_a_layout_mismatch_says_which_layout_was_assumed() -> None:
    raw = pixels(4, 5, 3)
    # A 3.x build's image read the 2.x way (its package version said otherwise).
    proto = png_obs(png_bytes(raw), (3, 4, 5))
    with pytest.raises(UnityObservationException, match=r"read as \(height, width, channels\)"):
        decode_observations([proto], chw_spec(3, 4, 5), [0], channels_first=False)
    mapped = png_obs(png_bytes(raw) + png_bytes(raw), (5, 4, 5), mapping=[0, 1, 2, 3, 4, -1])
    with pytest.raises(UnityObservationException, match=r"3\.0 and later"):
        decode_observations([mapped], image_spec(4, 5, 5), [0], channels_first=True)


def test_process_pixels_is_contiguous_in_both_layouts() -> None:
    data = png_bytes(pixels(3, 4, 3))
    for first in (False, True):
        assert process_pixels(data, 3, channels_first=first).flags.c_contiguous


def test_package_versions_are_checked() -> None:
    assert check_package_version("3.0.0") == "3.0.0"
    with pytest.raises(UnityEnvironmentException, match="'three' is not a Unity package"):
        check_package_version("three")


def test_a_guessed_layout_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    plain = ObservationSpec(
        (2, 9, 9), (DimensionProperty.UNSPECIFIED,) * 3, ObservationType.DEFAULT, "guess"
    )
    with caplog.at_level("WARNING", logger="mlagents_envs.codec.generation"):
        assert image_channels_first(plain) and image_channels_first(plain)
    assert sum("no dimension properties" in r.getMessage() for r in caplog.records) == 1


def test_specs_without_properties_turn_channels_first() -> None:
    spec = ObservationSpec((4, 6, 3), (), ObservationType.DEFAULT, "bare")
    assert to_channels_first(spec).shape == (3, 4, 6)
