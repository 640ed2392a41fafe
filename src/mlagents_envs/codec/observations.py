"""Observations between ObservationProto and numpy: one batch array per observation."""

from __future__ import annotations

from collections.abc import Sequence, Sized
from itertools import chain
from math import prod

import numpy as np

from mlagents_envs.base_env import ObservationSpec
from mlagents_envs.codec.png import decode_pngs, encode_image
from mlagents_envs.communicator_objects.observation_pb2 import (
    NONE,
    PNG,
    ObservationProto,
)
from mlagents_envs.exception import UnityNonFiniteValueException, UnityObservationException


def decode_observations(
    protos: Sequence[ObservationProto],
    spec: ObservationSpec,
    agent_ids: Sequence[int],
    channels_first: bool = False,
) -> np.ndarray:
    """The observation of every agent as one float32 array (n_agents, *spec.shape).

    protos[i] is the observation of agent agent_ids[i]; the ids only serve error messages.
    channels_first says how PNG images are laid out: (channels, height, width) as builds of
    the Unity package 3.x send them, or (height, width, channels) as older builds do.
    """
    if not protos:
        return np.zeros((0, *spec.shape), dtype=np.float32)
    batch = _packed_floats(protos, spec)
    if batch is None:
        batch = _decode_general(protos, spec, agent_ids, channels_first)
    if batch.dtype == np.float32 and not np.isfinite(batch).all():
        rows = np.unique(np.nonzero(~np.isfinite(batch.reshape(len(protos), -1)))[0])
        raise UnityNonFiniteValueException(
            f"Observation {spec.name!r} holds NaN or infinite values for agents "
            f"{[agent_ids[r] for r in rows[:10]]}. Check the sensor that produces it."
        )
    return batch


def _decode_general(
    protos: Sequence[ObservationProto],
    spec: ObservationSpec,
    agent_ids: Sequence[int],
    channels_first: bool,
) -> np.ndarray:
    compressions = {p.compression_type for p in protos}
    compression = protos[0].compression_type
    if len(compressions) > 1:
        raise UnityObservationException(
            f"Observation {spec.name!r} mixes compressed and uncompressed data across agents."
        )
    if compression == PNG:
        return _decode_images(protos, spec, agent_ids, channels_first)
    if compression != NONE:
        raise UnityObservationException(
            f"Observation {spec.name!r} uses unknown compression type {compression}."
        )
    return _decode_floats(protos, spec, agent_ids)


def first_length_mismatch(items: Sequence[Sized], expected: int) -> int | None:
    """The index of the first item whose length is not expected, or None."""
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    wrong = np.flatnonzero(lengths != expected)
    return int(wrong[0]) if len(wrong) else None


def _packed_floats(protos: Sequence[ObservationProto], spec: ObservationSpec) -> np.ndarray | None:
    """The fast path for float observations, or None when it does not apply.

    Packed float32 values serialize as their raw little-endian bytes. Re-serializing each
    agent's observation (one C call) and viewing the bytes with numpy avoids creating a
    Python float per value. The observations of one sensor differ only in their values, so
    every record must be byte-identical to the first agent's outside the value block: that
    also checks each agent's shape, name and properties.
    """
    size = prod(spec.shape)
    first = protos[0]
    if not size or first.compression_type != NONE:
        return None
    if first.WhichOneof("observation_data") != "float_data":
        return None
    if tuple(first.shape) != spec.shape or len(first.float_data.data) != size:
        return None
    start = _value_offset(first, size)
    if start is None:
        return None
    records = [p.SerializeToString() for p in protos]
    record_size = len(records[0])
    if set(map(len, records)) != {record_size}:
        return None
    table = np.frombuffer(b"".join(records), dtype=np.uint8).reshape(len(protos), record_size)
    end = start + 4 * size
    if not (
        (table[:, :start] == table[0, :start]).all() and (table[:, end:] == table[0, end:]).all()
    ):
        return None
    # A copy: the values then own aligned, writable memory, not the joined bytes.
    values = table[:, start:end].copy().view("<f4")
    return values.astype(np.float32, copy=False).reshape((len(protos), *spec.shape))


# Bytes that no tag, length or shape varint before the values can produce.
_MARKER = bytes([0xA7, 0xFE, 0x5E, 0x81])


def _value_offset(proto: ObservationProto, size: int) -> int | None:
    """Where the float values start in proto's serialized bytes."""
    probe = ObservationProto()
    probe.CopyFrom(proto)
    del probe.float_data.data[:]
    probe.float_data.data.extend(np.frombuffer(_MARKER * size, dtype="<f4").tolist())
    at = probe.SerializeToString().find(_MARKER * size)
    return None if at < 0 else at


def _decode_floats(
    protos: Sequence[ObservationProto], spec: ObservationSpec, agent_ids: Sequence[int]
) -> np.ndarray:
    size = prod(spec.shape)
    for row, proto in enumerate(protos):
        if tuple(proto.shape) != spec.shape:
            raise UnityObservationException(
                f"Observation {spec.name!r} of agent {agent_ids[row]} has shape "
                f"{tuple(proto.shape)} but its spec has shape {spec.shape}."
            )
    data = [p.float_data.data for p in protos]
    bad = first_length_mismatch(data, size)
    if bad is not None:
        raise UnityObservationException(
            f"Observation {spec.name!r} of agent {agent_ids[bad]} holds {len(data[bad])} "
            f"values but its spec has shape {spec.shape} ({size} values)."
        )
    flat = np.fromiter(chain.from_iterable(data), dtype=np.float32, count=size * len(data))
    return flat.reshape((len(data), *spec.shape))


def _decode_images(
    protos: Sequence[ObservationProto],
    spec: ObservationSpec,
    agent_ids: Sequence[int],
    channels_first: bool,
) -> np.ndarray:
    if len(spec.shape) != 3:
        layout = "(channels, height, width)" if channels_first else "(height, width, channels)"
        raise UnityObservationException(
            f"Observation {spec.name!r} is PNG-compressed but its spec shape {spec.shape} is "
            f"not {layout}."
        )
    mapping = list(protos[0].compressed_channel_mapping)
    first = decode_pngs(protos[0].compressed_data)
    # Decoded once into one uint8 batch, converted to float32 once at the end.
    raw = np.empty((len(protos), *first.shape), dtype=np.uint8)
    raw[0] = first
    for row in range(1, len(protos)):
        proto = protos[row]
        if proto.compressed_channel_mapping != protos[0].compressed_channel_mapping:
            raise UnityObservationException(
                f"Observation {spec.name!r} of agent {agent_ids[row]} has channel mapping "
                f"{list(proto.compressed_channel_mapping)}, unlike agent {agent_ids[0]}'s "
                f"{mapping}."
            )
        pixels = decode_pngs(proto.compressed_data)
        if pixels.shape != first.shape:
            raise UnityObservationException(
                f"Observation {spec.name!r} of agent {agent_ids[row]} decodes to "
                f"{pixels.shape}, unlike agent {agent_ids[0]}'s {first.shape}."
            )
        raw[row] = pixels
    # A build whose package version does not match its images fails here: say which
    # layout was assumed, and why.
    hint = (
        f"Its images were read as {_LAYOUTS[channels_first]}, the layout of builds of the "
        f"Unity package {'3.0 and later' if channels_first else 'before 3.0'}, as the "
        "environment's package version says."
    )
    try:
        batch = channels_from_pngs(raw, spec.shape, mapping, spec.name, channels_first)
    except UnityObservationException as error:
        raise UnityObservationException(f"{error} {hint}") from None
    if batch.shape[1:] != spec.shape:
        raise UnityObservationException(
            f"Observation {spec.name!r} decodes to shape {batch.shape[1:]} but its spec has "
            f"shape {spec.shape}. {hint}"
        )
    return batch


_LAYOUTS = {True: "(channels, height, width)", False: "(height, width, channels)"}


def channels_from_pngs(
    raw: np.ndarray,
    shape: Sequence[int],
    mapping: Sequence[int],
    name: str = "",
    channels_first: bool = False,
) -> np.ndarray:
    """Decoded PNG pixels (n, height, width, channels) as n float32 images of the
    observation's channels, in the layout asked for (C-contiguous either way)."""
    if not channels_first:
        return select_channels(raw, shape[-1], mapping, name)
    # Moved while still uint8, a quarter of the bytes the floats would be.
    raw = np.ascontiguousarray(raw.transpose(0, 3, 1, 2))
    return select_channels(raw, shape[0], mapping, name, axis=1)


def select_channels(
    raw: np.ndarray, expected: int, mapping: Sequence[int], name: str = "", axis: int = -1
) -> np.ndarray:
    """Turn decoded PNG channels (along axis of raw, uint8) into expected channels in
    [0, 1], by the channel mapping if there is one (name only serves error messages).
    """
    decoded = raw.shape[axis]
    if mapping:
        if len(mapping) != decoded:
            raise UnityObservationException(
                f"Observation {name!r} has a channel mapping of {len(mapping)} entries for "
                f"{decoded} decoded channels."
            )
        mapping = list(mapping)
        targets = np.asarray(mapping)
        outputs = int(targets.max()) + 1 if (targets >= 0).any() else 0
        sources = [np.flatnonzero(targets == j) for j in range(outputs)]
        empty = [j for j, s in enumerate(sources) if len(s) == 0]
        if empty:
            raise UnityObservationException(
                f"Observation {name!r} has a channel mapping {mapping} that leaves output "
                f"channels {empty} without a source."
            )
        scaled = raw.astype(np.float32) / np.float32(255.0)
        if all(len(s) == 1 for s in sources):
            return np.take(scaled, [int(s[0]) for s in sources], axis=axis)
        # Channels mapped to the same output are averaged.
        return np.stack([np.take(scaled, s, axis=axis).mean(axis=axis) for s in sources], axis=axis)
    if expected == 1 and decoded >= 3:
        # One channel expected from a colour PNG: the mean of red, green and blue.
        scaled = np.take(raw, [0, 1, 2], axis=axis).astype(np.float32) / np.float32(255.0)
        return scaled.mean(axis=axis, keepdims=True)
    if decoded < expected:
        raise UnityObservationException(
            f"Observation {name!r} decodes to {decoded} channels but its spec has {expected}."
        )
    kept = raw if decoded == expected else np.take(raw, range(expected), axis=axis)
    return kept.astype(np.float32) / np.float32(255.0)


def encode_observation(
    value: np.ndarray,
    spec: ObservationSpec,
    compressed: bool = False,
    channels_first: bool = False,
) -> ObservationProto:
    """One agent's observation (shape spec.shape) as an ObservationProto.

    compressed sends an image as PNGs with values clipped to [0, 1]; the image is
    (channels, height, width) when channels_first, else (height, width, channels).
    """
    proto = ObservationProto(
        shape=spec.shape,
        dimension_properties=[int(p) for p in spec.dimension_property],
        observation_type=spec.observation_type.value,  # type: ignore[arg-type]
        name=spec.name,
    )
    if compressed:
        data, mapping = encode_image(np.moveaxis(value, 0, -1) if channels_first else value)
        proto.compression_type = PNG
        proto.compressed_data = data
        proto.compressed_channel_mapping.extend(mapping)
    else:
        proto.compression_type = NONE
        proto.float_data.data.extend(value.ravel().tolist())
    return proto
