"""PNG observations: splitting, decoding, channel mappings, grayscale, errors, encoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from codec_helpers import image_spec, png_bytes, png_obs
from PIL import Image

from mlagents_envs.codec.observations import decode_observations, encode_observation
from mlagents_envs.codec.png import decode_png, encode_image, split_pngs
from mlagents_envs.exception import UnityObservationException
from mlagents_envs.rpc_utils import process_pixels

RNG = np.random.default_rng(7)


def pixels(h: int, w: int, c: int) -> np.ndarray:
    return RNG.integers(0, 256, size=(h, w, c), dtype=np.uint8)


def test_single_rgb_png_decodes_to_exact_values_over_255():
    raw = pixels(4, 5, 3)
    batch = decode_observations([png_obs(png_bytes(raw), (4, 5, 3))], image_spec(4, 5, 3), [0])
    assert batch.dtype == np.float32
    assert batch.shape == (1, 4, 5, 3)
    np.testing.assert_array_equal(batch[0], raw.astype(np.float32) / np.float32(255))


def test_grayscale_spec_from_rgb_png_is_mean_of_rgb():
    raw = pixels(3, 3, 3)
    batch = decode_observations([png_obs(png_bytes(raw), (3, 3, 1))], image_spec(3, 3, 1), [0])
    expected = raw.astype(np.float64).mean(axis=2, keepdims=True) / 255
    np.testing.assert_allclose(batch[0], expected, rtol=1e-6)


def test_grayscale_png_in_mode_l_decodes_to_one_channel():
    raw = pixels(3, 4, 1)
    batch = decode_observations([png_obs(png_bytes(raw), (3, 4, 1))], image_spec(3, 4, 1), [0])
    np.testing.assert_array_equal(batch[0], raw / np.float32(255))


def test_two_channels_without_mapping_keep_the_first_two():
    raw = pixels(2, 2, 3)
    batch = decode_observations([png_obs(png_bytes(raw), (2, 2, 2))], image_spec(2, 2, 2), [0])
    np.testing.assert_array_equal(batch[0], raw[:, :, :2] / np.float32(255))


def test_concatenated_pngs_with_mapping_give_all_channels():
    raw = pixels(3, 3, 6)
    data = png_bytes(raw[:, :, :3]) + png_bytes(raw[:, :, 3:])
    proto = png_obs(data, (3, 3, 5), mapping=[0, 1, 2, 3, 4, -1])
    batch = decode_observations([proto], image_spec(3, 3, 5), [0])
    np.testing.assert_array_equal(batch[0], raw[:, :, :5] / np.float32(255))


def test_mapping_average_values():
    raw = pixels(2, 3, 6)
    data = png_bytes(raw[:, :, :3]) + png_bytes(raw[:, :, 3:])
    proto = png_obs(data, (2, 3, 2), mapping=[0, 0, 1, 1, 1, -1])
    batch = decode_observations([proto], image_spec(2, 3, 2), [0])
    expected = np.stack([raw[:, :, 0:2].mean(axis=2), raw[:, :, 2:5].mean(axis=2)], axis=2) / 255.0
    np.testing.assert_allclose(batch[0], expected, rtol=1e-6)


def test_mapping_that_leaves_an_output_channel_empty_is_refused():
    raw = pixels(2, 2, 3)
    proto = png_obs(png_bytes(raw), (2, 2, 3), mapping=[0, 2, -1])
    with pytest.raises(UnityObservationException, match=r"without a source"):
        decode_observations([proto], image_spec(2, 2, 3), [0])


def test_mapping_of_the_wrong_length_is_refused():
    proto = png_obs(png_bytes(pixels(2, 2, 3)), (2, 2, 2), mapping=[0, 1])
    with pytest.raises(UnityObservationException, match=r"2 entries for 3 decoded channels"):
        decode_observations([proto], image_spec(2, 2, 2), [0])


def test_decoded_shape_that_differs_from_spec_is_refused():
    proto = png_obs(png_bytes(pixels(4, 4, 3)), (5, 4, 3))
    with pytest.raises(UnityObservationException, match=r"\(4, 4, 3\).*\(5, 4, 3\)"):
        decode_observations([proto], image_spec(5, 4, 3), [0])


def test_more_channels_expected_than_decoded_is_refused():
    proto = png_obs(png_bytes(pixels(2, 2, 3)), (2, 2, 4))
    with pytest.raises(UnityObservationException, match="3 channels"):
        decode_observations([proto], image_spec(2, 2, 4), [0])


def test_agents_whose_images_differ_in_size_are_refused_naming_the_agent():
    protos = [
        png_obs(png_bytes(pixels(2, 2, 3)), (2, 2, 3)),
        png_obs(png_bytes(pixels(3, 2, 3)), (2, 2, 3)),
    ]
    with pytest.raises(UnityObservationException, match="agent 42"):
        decode_observations(protos, image_spec(2, 2, 3), [41, 42])


def test_agents_with_different_mappings_are_refused():
    raw = pixels(2, 2, 3)
    protos = [
        png_obs(png_bytes(raw), (2, 2, 3), mapping=[0, 1, 2]),
        png_obs(png_bytes(raw), (2, 2, 3), mapping=[2, 1, 0]),
    ]
    with pytest.raises(UnityObservationException, match="channel mapping"):
        decode_observations(protos, image_spec(2, 2, 3), [1, 2])


def test_corrupt_png_is_refused():
    data = png_bytes(pixels(4, 4, 3))
    proto = png_obs(data[:20] + b"garbage" * 3, (4, 4, 3))
    with pytest.raises(UnityObservationException, match="Could not decode"):
        decode_observations([proto], image_spec(4, 4, 3), [0])


def test_data_that_is_not_png_is_refused_showing_its_first_bytes():
    with pytest.raises(UnityObservationException, match="ff d8 ff"):
        split_pngs(b"\xff\xd8\xff\xe0 jpeg")


def test_split_pngs_finds_each_file():
    parts = [png_bytes(pixels(2, 2, 3)) for _ in range(3)]
    assert split_pngs(b"".join(parts)) == parts


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA"])
def test_other_png_modes_give_at_most_three_channels(mode):
    image = Image.fromarray(pixels(3, 3, 3), mode="RGB").convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    decoded = decode_png(buffer.getvalue())
    assert decoded.shape == (3, 3, 1 if mode == "LA" else 3)


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5, 6, 7])
def test_encode_then_decode_round_trips_within_half_a_level(channels):
    image = RNG.random((5, 6, channels)).astype(np.float32)
    spec = image_spec(5, 6, channels)
    proto = encode_observation(image, spec, compressed=True)
    if channels > 3:
        assert len(proto.compressed_channel_mapping) == 3 * -(-channels // 3)
    decoded = decode_observations([proto], spec, [0])[0]
    np.testing.assert_allclose(decoded, image, atol=0.5 / 255 + 1e-7)


def test_encode_image_clips_out_of_range_values():
    data, mapping = encode_image(np.array([[[-1.0, 0.5, 2.0]]], dtype=np.float32))
    assert mapping == []
    np.testing.assert_array_equal(decode_png(data)[0, 0], [0, 128, 255])


def test_process_pixels_matches_the_batch_decoder():
    raw = pixels(3, 3, 6)
    data = png_bytes(raw[:, :, :3]) + png_bytes(raw[:, :, 3:])
    mapping = [0, 1, 2, 3, 4, -1]
    single = process_pixels(data, 5, mapping)
    np.testing.assert_array_equal(single, raw[:, :, :5] / np.float32(255))
    np.testing.assert_allclose(
        process_pixels(png_bytes(raw[:, :, :3]), 1),
        raw[:, :, :3].mean(axis=2, keepdims=True) / 255,
        rtol=1e-6,
    )


def test_png_claiming_a_huge_size_is_refused_not_decompressed():
    import struct
    import zlib

    data = bytearray(png_bytes(pixels(2, 2, 3)))
    # IHDR starts after the 8-byte signature and its 8-byte chunk header.
    data[16:24] = struct.pack(">II", 40_000, 40_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    with pytest.raises(UnityObservationException, match="Could not decode"):
        decode_png(bytes(data))
