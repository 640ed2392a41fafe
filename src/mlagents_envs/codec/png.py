"""PNG observations: split concatenated PNGs, decode them to pixels, encode pixels to PNGs.

An image observation with more than 3 channels travels as several PNGs back to back, each
holding up to 3 channels; the next one starts at the next PNG signature.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mlagents_envs.exception import UnityObservationException

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def split_pngs(data: bytes) -> list[bytes]:
    """The PNG files held back to back in data."""
    if not data.startswith(PNG_SIGNATURE):
        raise UnityObservationException(
            f"Compressed observation data does not start with a PNG signature "
            f"(first bytes {data[:8].hex(' ')}, {len(data)} bytes in all)."
        )
    starts = []
    at = 0
    while at != -1:
        starts.append(at)
        at = data.find(PNG_SIGNATURE, at + len(PNG_SIGNATURE))
    # A signature can only appear inside a PNG's compressed data by chance; splitting there
    # would make Pillow fail on both halves, so such a split is reported, not hidden.
    ends = [*starts[1:], len(data)]
    return [data[s:e] for s, e in zip(starts, ends)]


def decode_png(data: bytes) -> np.ndarray:
    """One PNG as a uint8 array of shape (height, width, channels), channels 1 or 3."""
    try:
        with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
            image.load()
            if image.mode in ("L", "RGB"):
                pixels = np.asarray(image)
            elif image.mode in ("LA", "I", "I;16", "1"):
                pixels = np.asarray(image.convert("L"))
            else:  # RGBA, palette, CMYK...: a PNG gives up to 3 channels
                pixels = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise UnityObservationException(
            f"Could not decode a PNG observation of {len(data)} bytes: {error}"
        ) from error
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def decode_pngs(data: bytes) -> np.ndarray:
    """All PNGs in data stacked along the channel axis: (height, width, total channels)."""
    parts = [decode_png(p) for p in split_pngs(data)]
    if len(parts) == 1:
        return parts[0]
    sizes = {p.shape[:2] for p in parts}
    if len(sizes) != 1:
        raise UnityObservationException(
            f"The concatenated PNGs of one observation have different sizes {sorted(sizes)}."
        )
    return np.concatenate(parts, axis=2)


def encode_png(pixels: np.ndarray) -> bytes:
    """A (height, width, 1 or 3) uint8 array as a PNG; 1 channel is written as gray RGB,
    which every client decodes (the 0.28 client expects 3 channels per PNG).
    """
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    buffer = io.BytesIO()
    # Level 1: PNG size barely changes for rendered frames, and encoding gets much faster.
    Image.fromarray(np.ascontiguousarray(pixels), mode="RGB").save(
        buffer, format="PNG", compress_level=1
    )
    return buffer.getvalue()


def encode_image(image: np.ndarray) -> tuple[bytes, list[int]]:
    """An (height, width, channels) float image in [0, 1] as PNG bytes and its channel mapping.

    Up to 3 channels make one PNG and no mapping (2 channels are padded with a zero channel).
    More make one PNG per 3 channels, the padding marked -1 in the mapping.
    """
    height, width, channels = image.shape
    pixels = np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    if channels == 1 or channels == 3:
        return encode_png(pixels), []
    padded = -channels % 3
    if padded:
        pixels = np.concatenate([pixels, np.zeros((height, width, padded), np.uint8)], axis=2)
    data = b"".join(encode_png(pixels[:, :, i : i + 3]) for i in range(0, pixels.shape[2], 3))
    if channels == 2:
        return data, []
    return data, [*range(channels), *([-1] * padded)]
