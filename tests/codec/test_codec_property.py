"""Property: the vectorized decoder equals a plain per-agent reference on random behaviors."""

from __future__ import annotations

import io

import numpy as np
from codec_helpers import agent, float_obs, png_bytes, png_obs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.observation_pb2 import PNG
from mlagents_envs.rpc_utils import steps_from_proto

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@st.composite
def observation_specs(draw) -> tuple[ObservationSpec, bool]:
    if draw(st.booleans()):
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
        dims = (DimensionProperty.NONE,) * len(shape)
        return ObservationSpec(shape, dims, ObservationType.DEFAULT, "v"), False
    shape = (draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 7)))
    dims = (DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,) * 2 + (DimensionProperty.NONE,)
    return ObservationSpec(shape, dims, ObservationType.DEFAULT, "img"), True


finite32 = st.floats(-1e6, 1e6, width=32)


@st.composite
def behaviors(draw):
    observed = draw(st.lists(observation_specs(), min_size=1, max_size=3))
    action_spec = ActionSpec(
        draw(st.integers(0, 3)), tuple(draw(st.lists(st.integers(1, 4), max_size=3)))
    )
    spec = BehaviorSpec([s for s, _ in observed], action_spec)
    n = draw(st.integers(0, 8))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    width = sum(action_spec.discrete_branches)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    infos = []
    for agent_id in ids:
        done = draw(st.booleans())
        observations = []
        for obs_spec, image in observed:
            if image:
                observations.append(image_observation(rng, obs_spec.shape))
            else:
                values = rng.standard_normal(obs_spec.shape).astype(np.float32)
                observations.append(float_obs(values, name="v"))
        mask_length = draw(st.sampled_from([width, width, max(0, width - 1)]))
        infos.append(
            agent(
                agent_id,
                observations,
                reward=draw(finite32),
                done=done,
                interrupted=done and draw(st.booleans()),
                mask=rng.random(mask_length) < 0.5,
                group=draw(st.integers(0, 3)),
                group_reward=draw(finite32),
            )
        )
        if done and draw(st.booleans()):
            # The same agent begins its next episode in the same output.
            again = AgentInfoProto()
            again.CopyFrom(infos[-1])
            again.done = False
            again.max_step_reached = False
            infos.append(again)
    wire = [AgentInfoProto.FromString(a.SerializeToString()) for a in infos]
    return spec, wire


def image_observation(rng: np.random.Generator, shape: tuple[int, int, int]):
    height, width, channels = shape
    raw = rng.integers(0, 256, size=(height, width, 3 * -(-channels // 3)), dtype=np.uint8)
    if channels <= 3:
        return png_obs(png_bytes(raw[:, :, :3]), shape, name="img")
    data = b"".join(png_bytes(raw[:, :, i : i + 3]) for i in range(0, raw.shape[2], 3))
    mapping = [*range(channels), *([-1] * (raw.shape[2] - channels))]
    return png_obs(data, shape, mapping=mapping, name="img")


def reference_observation(proto, shape) -> np.ndarray:
    """One agent's observation, the plain way."""
    if proto.compression_type != PNG:
        return np.array(list(proto.float_data.data), dtype=np.float32).reshape(shape)
    data = proto.compressed_data
    starts = [i for i in range(len(data)) if data.startswith(PNG_SIGNATURE, i)]
    layers = []
    for start, end in zip(starts, [*starts[1:], len(data)]):
        image = np.asarray(Image.open(io.BytesIO(data[start:end])))
        layers.append(image[:, :, None] if image.ndim == 2 else image)
    channels = np.concatenate(layers, axis=2).astype(np.float32) / np.float32(255)
    mapping = list(proto.compressed_channel_mapping)
    if mapping:
        outputs = [[i for i, m in enumerate(mapping) if m == j] for j in range(max(mapping) + 1)]
        return np.stack([channels[:, :, src].mean(axis=2) for src in outputs], axis=2)
    if shape[2] == 1:
        return channels[:, :, :3].mean(axis=2, keepdims=True)
    return channels[:, :, : shape[2]]


def reference_decode(infos, spec: BehaviorSpec) -> tuple[dict, dict]:
    branches = spec.action_spec.discrete_branches
    decision = {"obs": [], "reward": [], "id": [], "mask": [], "group": [], "group_reward": []}
    terminal = {
        "obs": [],
        "reward": [],
        "id": [],
        "interrupted": [],
        "group": [],
        "group_reward": [],
    }
    for info in infos:
        side = terminal if info.done else decision
        side["obs"].append(
            [
                reference_observation(o, s.shape)
                for o, s in zip(info.observations, spec.observation_specs)
            ]
        )
        side["reward"].append(info.reward)
        side["id"].append(info.id)
        side["group"].append(info.group_id)
        side["group_reward"].append(info.group_reward)
        if info.done:
            side["interrupted"].append(info.max_step_reached)
        else:
            flags = list(info.action_mask)
            if len(flags) != sum(branches):
                flags = [False] * sum(branches)
            split, at = [], 0
            for size in branches:
                split.append(flags[at : at + size])
                at += size
            side["mask"].append(split)
    return decision, terminal


def assert_batch_matches(batch, expected: dict, spec: BehaviorSpec) -> None:
    assert batch.agent_id.tolist() == expected["id"]
    np.testing.assert_array_equal(batch.reward, np.array(expected["reward"], np.float32))
    assert batch.group_id.tolist() == expected["group"]
    np.testing.assert_array_equal(
        batch.group_reward, np.array(expected["group_reward"], np.float32)
    )
    for k, obs_spec in enumerate(spec.observation_specs):
        assert batch.obs[k].shape == (len(expected["id"]), *obs_spec.shape)
        assert batch.obs[k].dtype == np.float32
        for row, per_agent in enumerate(expected["obs"]):
            np.testing.assert_allclose(batch.obs[k][row], per_agent[k], rtol=1e-6, atol=0)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(behaviors())
def test_vectorized_decoder_equals_per_agent_reference(case):
    spec, infos = case
    decision, terminal = steps_from_proto(infos, spec)
    expected_decision, expected_terminal = reference_decode(infos, spec)
    assert_batch_matches(decision, expected_decision, spec)
    assert_batch_matches(terminal, expected_terminal, spec)
    assert terminal.interrupted.tolist() == expected_terminal["interrupted"]
    if not spec.action_spec.discrete_branches:
        assert decision.action_mask is None
    else:
        for branch in range(len(spec.action_spec.discrete_branches)):
            expected = [m[branch] for m in expected_decision["mask"]]
            assert decision.action_mask[branch].tolist() == [
                [bool(x) for x in row] for row in expected
            ]
