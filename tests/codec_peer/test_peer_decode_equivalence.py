"""Our decoder against the reference client, mlagents-envs 0.28.0, on the same bytes.

Every case in codec_peer_cases is a sequence of serialized UnityOutputProto. The peer script
decodes them with the client's own rpc_utils (behavior_spec_from_proto, steps_from_proto)
the way its UnityEnvironment does; here the same bytes go through ours, and both results are
compared field by field, bit for bit. One peer process serves the whole session.

Differences found, and which side follows PROTOCOL.md / the API reference:
- group_id: the peer returns a Python list, ours an int32 array (the API reference types it
  as an int32 array; the peer's own DecisionSteps.empty uses one). Values agree.
- action_mask when a behavior with discrete branches has no deciding agent: the peer returns
  None, ours one (0, branch_size) bool array per branch. PROTOCOL.md: a list of
  (n_agents, branch_size) arrays; None only when there are no discrete branches.
- A 1-channel (mode L) PNG: the peer fails (numpy AxisError); ours decodes it. PROTOCOL.md:
  each PNG gives up to 3 channels.
- An RGBA PNG for a 1-channel spec: the peer averages R, G, B and alpha; ours R, G, B, as
  PROTOCOL.md says.
- Finite observations whose float32 sum overflows (two FLOAT32_MAX values): the peer raises
  "had Infinite values" (it checks np.mean); ours accepts them. PROTOCOL.md rejects only NaN
  or infinite values.
- A reward or group_reward of -0.0 on the wire: the peer reads +0.0. Its protobuf 3.20
  pure-Python parser drops any proto3 singular scalar equal to zero as a default, -0.0
  included. Ours keeps the sign that is on the wire (reward=7 : float). Only the sign of
  zero differs; repeated floats (observations) keep -0.0 on both sides.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import numpy as np
import pytest
from codec_peer_cases import CASES, V
from codec_peer_flatten import (
    DECISION_FIELDS,
    LIST_FIELDS,
    TERMINAL_FIELDS,
    PeerReport,
    spec_record,
    steps_record,
)
from PIL import Image

from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.observation_pb2 import GOAL_SIGNAL, PNG, ObservationProto
from mlagents_envs.communicator_objects.space_type_pb2 import continuous
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.rpc_utils import behavior_spec_from_proto, steps_from_proto

pytestmark = pytest.mark.peer

# Cases the peer cannot decode, with the error it gives: see the module docstring.
PEER_REJECTS = {
    "png_single_channel_file": "AxisError: axis 2 is out of bounds",
    "large_finite_observations": "RuntimeError: The observations provided had Infinite values.",
}
# Cases the peer decodes against PROTOCOL.md.
PEER_DEVIATES = {"png_rgba_gray"}
MATCHING = sorted(set(CASES) - set(PEER_REJECTS) - PEER_DEVIATES)
PNG_CASES = sorted(
    name for name, case in CASES.items() if any(b"\x89PNG" in o for o in case.outputs)
)
# The dtypes the API reference gives the fields of DecisionSteps and TerminalSteps.
API_DTYPES = {
    "obs": np.float32,
    "reward": np.float32,
    "agent_id": np.int32,
    "action_mask": np.bool_,
    "interrupted": np.bool_,
    "group_id": np.int32,
    "group_reward": np.float32,
}
FIELDS = {"decision": DECISION_FIELDS, "terminal": TERMINAL_FIELDS}
# AgentInfoProto's singular float fields.
SCALAR_FLOATS = ("reward", "group_reward")


def outputs(case: str) -> list[UnityOutputProto]:
    return [UnityOutputProto.FromString(data) for data in CASES[case].outputs]


@functools.cache
def decode_ours(case: str) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], list[dict]]:
    """What the peer script does, with our codec: (report, arrays, decoded steps objects).

    Cached, and per case, so that a case our codec fails on fails only its own tests.
    """
    specs: dict[str, BehaviorSpec] = {}
    report: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    decoded: list[dict] = []
    for i, output in enumerate(outputs(case)):
        agent_infos = output.rl_output.agentInfos
        record: dict[str, Any] = {"specs": {}, "steps": {}}
        steps_of_output = {}
        for params in output.rl_initialization_output.brain_parameters:
            name = params.brain_name
            if name in agent_infos and agent_infos[name].value:
                specs[name] = behavior_spec_from_proto(params, agent_infos[name].value[0])
                record["specs"][name] = spec_record(specs[name])
        for name in sorted(specs):
            if name not in agent_infos:
                continue
            decision, terminal = steps_from_proto(agent_infos[name].value, specs[name], name)
            steps_of_output[name] = {"decision": decision, "terminal": terminal}
            prefix = f"{case}|{i}|{name}"
            record["steps"][name] = {
                "decision": steps_record(f"{prefix}|decision", decision, DECISION_FIELDS, arrays),
                "terminal": steps_record(f"{prefix}|terminal", terminal, TERMINAL_FIELDS, arrays),
            }
        report.append(record)
        decoded.append(steps_of_output)
    return report, arrays, decoded


def assert_same_array(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs the peer's {theirs.dtype}"
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs the peer's {theirs.shape}"
    np.testing.assert_array_equal(ours, theirs, err_msg=what, strict=True)
    # Bit for bit: assert_array_equal does not tell -0.0 from 0.0.
    assert ours.tobytes() == theirs.tobytes(), f"{what}: same values, different bits"


def compare_steps(
    ours: dict[str, Any],
    theirs: dict[str, Any],
    our_arrays: dict[str, np.ndarray],
    peer_arrays: dict[str, np.ndarray],
    fields: tuple[str, ...],
    branches: list[int],
    what: str,
) -> None:
    assert ours["len"] == theirs["len"], what
    for field in fields:
        mine, peer = ours[field], theirs[field]
        label = f"{what} {field}"
        if field == "action_mask" and peer is None and branches:
            # Known difference: the peer gives None when no agent decides. Ours follows
            # PROTOCOL.md, one (n_agents, branch_size) array per branch.
            assert theirs["len"] == 0, f"{label}: the peer gave no mask to deciding agents"
            shapes = [our_arrays[item["key"]].shape for item in mine["items"]]
            assert shapes == [(0, b) for b in branches], label
            continue
        if field in LIST_FIELDS:
            if peer is None:
                assert mine is None, f"{label}: the peer has None, ours {mine}"
                continue
            assert mine is not None, f"{label}: ours is None, the peer's is not"
            assert mine["type"] == peer["type"] == "list", label
            assert len(mine["items"]) == len(peer["items"]), label
            pairs = zip(mine["items"], peer["items"])
        else:
            pairs = zip([mine], [peer])
        for k, (m, p) in enumerate(pairs):
            ours_array, peer_array = our_arrays[m["key"]], peer_arrays[p["key"]]
            item = f"{label}[{k}]" if field in LIST_FIELDS else label
            if field == "group_id":
                # Known difference: the peer's group_id is a list of ints, ours an int32 array
                # (the API reference). The values must agree.
                assert p["type"] == "list" and m["type"] == "ndarray", item
                assert ours_array.shape == peer_array.shape, item
                np.testing.assert_array_equal(ours_array, peer_array, err_msg=item)
                continue
            assert m["type"] == p["type"] == "ndarray", f"{item}: {m['type']} vs {p['type']}"
            assert m["dtype"] == p["dtype"], item
            if field in SCALAR_FLOATS:
                # Known difference: the peer's protobuf parser reads a -0.0 scalar as +0.0.
                signed_zero = (ours_array == 0) & np.signbit(ours_array)
                assert not np.signbit(peer_array[signed_zero]).any(), item
                peer_array = np.where(signed_zero, ours_array, peer_array)
            assert_same_array(ours_array, peer_array, item)


def test_the_peer_is_the_reference_client(codec_peer: PeerReport) -> None:
    report = codec_peer.report
    assert report["mlagents_envs_version"] == "0.28.0"
    assert "site-packages" in report["mlagents_envs"]
    assert report["protobuf"].startswith("3.20.")
    assert sorted(report["cases"]) == sorted(CASES)


def features(output: UnityOutputProto) -> set[str]:
    """What an output exercises, read from its protos alone."""
    found: set[str] = set()
    for params in output.rl_initialization_output.brain_parameters:
        spec = params.action_spec
        if not params.HasField("action_spec"):
            kind = params.vector_action_space_type_deprecated
            found.add(f"deprecated {'continuous' if kind == continuous else 'discrete'}")
        elif spec.num_continuous_actions and spec.num_discrete_actions:
            found.add("hybrid")
    for infos in output.rl_output.agentInfos.values():
        agents = list(infos.value)
        deciding = [a for a in agents if not a.done]
        if not agents:
            found.add("no agents")
        elif not deciding:
            found.add("no deciding agent")
        if {a.id for a in deciding} & {a.id for a in agents if a.done}:
            found.add("same id done and deciding")
        found |= {"interrupted" if a.max_step_reached else "done" for a in agents if a.done}
        found |= {"group" for a in agents if a.group_id and a.group_reward}
        lengths = {len(a.action_mask) for a in deciding}
        if len(lengths - {0}) > 1 and 0 in lengths:
            found.add("masks of several lengths, and none")
        for obs in (o for a in agents for o in a.observations):
            if obs.compression_type != PNG:
                found.add(f"float rank {len(obs.shape)}")
            else:
                data = obs.compressed_data
                pngs = data.count(b"\x89PNG\r\n\x1a\n")
                mapping = [m for m in obs.compressed_channel_mapping if m >= 0]
                # Byte 25 is the first PNG's colour type: 0 gray, 2 RGB, 6 RGBA.
                found.add(
                    f"png {obs.shape[2]} channels from {pngs} PNGs of colour type {data[25]}, "
                    f"mapping {bool(mapping)}"
                )
                if len(set(mapping)) < len(mapping):
                    found.add("png averaging")
            found |= {"goal signal"} if obs.observation_type == GOAL_SIGNAL else set()
            found |= {"variable size"} if int(V) in obs.dimension_properties else set()
            found |= {"no dimension properties"} if not obs.dimension_properties else set()
    return found


def test_cases_hold_what_they_claim() -> None:
    found = set().union(*(features(o) for case in CASES for o in outputs(case)))
    expected = {
        "deprecated continuous",
        "deprecated discrete",
        "hybrid",
        "no agents",
        "no deciding agent",
        "same id done and deciding",
        "interrupted",
        "done",
        "group",
        "masks of several lengths, and none",
        "float rank 1",
        "float rank 2",
        "float rank 3",
        "png 3 channels from 1 PNGs of colour type 2, mapping False",
        "png 1 channels from 1 PNGs of colour type 2, mapping False",
        "png 2 channels from 1 PNGs of colour type 2, mapping False",
        "png 5 channels from 2 PNGs of colour type 2, mapping True",
        "png 6 channels from 2 PNGs of colour type 2, mapping True",
        "png averaging",
        "goal signal",
        "variable size",
        "no dimension properties",
    }
    assert expected <= found, sorted(expected - found)


@pytest.mark.parametrize("case", sorted(CASES))
def test_behavior_specs_match_peer(case: str, codec_peer: PeerReport) -> None:
    our_report, _, _ = decode_ours(case)
    peer_report = codec_peer.report["cases"][case]
    assert len(our_report) == len(peer_report) == len(CASES[case].outputs)
    for i, (mine, theirs) in enumerate(zip(our_report, peer_report)):
        assert mine["specs"] == theirs["specs"], f"{case} output {i}"


@pytest.mark.parametrize("case", MATCHING)
def test_steps_match_peer(case: str, codec_peer: PeerReport) -> None:
    our_report, our_arrays, _ = decode_ours(case)
    peer_report = codec_peer.report["cases"][case]
    specs: dict[str, dict] = {}
    for i, (mine, theirs) in enumerate(zip(our_report, peer_report)):
        specs.update(theirs["specs"])
        assert sorted(mine["steps"]) == sorted(theirs["steps"]), f"{case} output {i}"
        assert mine["steps"], f"{case} output {i} decodes no behavior"
        for name, parts in theirs["steps"].items():
            assert "error" not in parts, f"{case} output {i} {name}: {parts}"
            for part, fields in FIELDS.items():
                compare_steps(
                    mine["steps"][name][part],
                    parts[part],
                    our_arrays,
                    codec_peer.arrays,
                    fields,
                    specs[name]["discrete_branches"],
                    f"{case} output {i} {name} {part}",
                )


@pytest.mark.parametrize("case", sorted(CASES))
def test_our_dtypes_follow_the_api_reference(case: str) -> None:
    _, _, decoded = decode_ours(case)
    for i, steps_of_output in enumerate(decoded):
        for name, parts in steps_of_output.items():
            for part, steps in parts.items():
                for field in FIELDS[part]:
                    value = getattr(steps, field)
                    what = f"{case} output {i} {name} {part} {field}"
                    if field == "action_mask" and value is None:
                        continue
                    items = value if field in LIST_FIELDS else [value]
                    for item in items:
                        assert isinstance(item, np.ndarray), what
                        assert item.dtype == API_DTYPES[field], f"{what}: {item.dtype}"
                        assert len(item) == len(steps), what


def test_masks_are_none_only_without_branches() -> None:
    seen_empty_mask = False
    for case in CASES:
        for steps_of_output in decode_ours(case)[2]:
            for decision in (parts["decision"] for parts in steps_of_output.values()):
                if decision.action_mask is None:
                    continue
                assert all(m.shape[0] == len(decision) for m in decision.action_mask)
                seen_empty_mask |= len(decision) == 0
    # zero_agents has a discrete behavior with no deciding agent: its masks are (0, b).
    assert seen_empty_mask


@pytest.mark.parametrize(
    ("case", "name", "part", "field", "row"),
    [
        ("vector_observations", "NoActions", "decision", "reward", 0),
        ("groups_hybrid", "Striker?team=1", "terminal", "group_reward", 1),
    ],
)
def test_negative_zero_scalars_keep_their_sign(
    case: str, name: str, part: str, field: str, row: int, codec_peer: PeerReport
) -> None:
    """-0.0 on the wire: ours keeps the sign, the peer's protobuf 3.20 parser reads +0.0."""
    steps = decode_ours(case)[2][0][name][part]
    output = outputs(case)[0]
    (agent,) = [
        a
        for a in output.rl_output.agentInfos[name].value
        if a.id == steps.agent_id[row] and a.done == (part == "terminal")
    ]
    tag = {"reward": b"\x3d", "group_reward": b"\x7d"}[field]  # fixed32 fields 7 and 15
    assert tag + b"\x00\x00\x00\x80" in agent.SerializeToString()
    ours = getattr(steps, field)[row]
    key = codec_peer.report["cases"][case][0]["steps"][name][part][field]["key"]
    theirs = codec_peer.arrays[key][row]
    assert ours == 0 and np.signbit(ours)
    assert theirs == 0 and not np.signbit(theirs)


# ---- PNG observations against PROTOCOL.md; the cases the peer gets wrong. -----------------


def protocol_pixels(obs: ObservationProto) -> tuple[np.ndarray, np.ndarray]:
    """A PNG observation decoded from PROTOCOL.md alone, in float64: value / 255, each PNG
    giving up to 3 channels, mapped channels averaged, 1 expected channel = mean of RGB.
    Also, per output channel, whether it is a mean of several decoded channels.
    """
    data = obs.compressed_data
    starts = [m.start() for m in re.finditer(re.escape(b"\x89PNG\r\n\x1a\n"), data)]
    channels = []
    for start, end in zip(starts, [*starts[1:], len(data)]):
        with Image.open(io.BytesIO(data[start:end])) as image:
            pixels = np.asarray(image, dtype=np.float64) / 255
        channels.append(pixels[:, :, None] if pixels.ndim == 2 else pixels[:, :, :3])
    decoded = np.concatenate(channels, axis=2)
    mapping = list(obs.compressed_channel_mapping)
    expected = obs.shape[2]
    if mapping:
        sources = [[c for c, m in enumerate(mapping) if m == j] for j in range(expected)]
    elif expected == 1 and decoded.shape[2] >= 3:
        sources = [[0, 1, 2]]
    else:
        sources = [[c] for c in range(expected)]
    values = np.stack([decoded[:, :, s].mean(axis=2) for s in sources], axis=2)
    return values, np.array([len(s) > 1 for s in sources])


def png_observations(case: str):
    """(what, our array, PROTOCOL.md's float64 values, averaged channels) for every PNG
    observation of a case."""
    _, _, decoded = decode_ours(case)
    for i, output in enumerate(outputs(case)):
        for name, parts in decoded[i].items():
            infos: list[AgentInfoProto] = list(output.rl_output.agentInfos[name].value)
            for part, steps in parts.items():
                members = [a for a in infos if a.done == (part == "terminal")]
                for k, array in enumerate(steps.obs):
                    if not members or members[0].observations[k].compression_type != PNG:
                        continue
                    results = [protocol_pixels(a.observations[k]) for a in members]
                    expected = np.stack([values for values, _ in results])
                    averaged = results[0][1]
                    yield f"{case} output {i} {name} {part} obs {k}", array, averaged, expected


@pytest.mark.parametrize("case", PNG_CASES)
def test_png_observations_follow_protocol(case: str) -> None:
    checked = 0
    for what, array, averaged, expected in png_observations(case):
        assert array.shape == expected.shape, what
        # One channel's value / 255 rounds to float32 exactly; a mean of float32 values
        # (the peer's arithmetic, which ours copies bit for bit) may be 2 units of the last
        # place away from the exact mean.
        target = expected.astype(np.float32)
        np.testing.assert_array_equal(array[..., ~averaged], target[..., ~averaged], what)
        np.testing.assert_array_max_ulp(array[..., averaged], target[..., averaged], maxulp=2)
        checked += 1
    assert checked


@pytest.mark.parametrize("case", sorted(PEER_REJECTS))
def test_ours_decodes_what_the_peer_rejects(case: str, codec_peer: PeerReport) -> None:
    (peer_output,) = codec_peer.report["cases"][case]
    (name,) = peer_output["steps"]
    assert peer_output["steps"][name]["error"].startswith(PEER_REJECTS[case])
    _, _, decoded = decode_ours(case)
    (output,) = outputs(case)
    infos = list(output.rl_output.agentInfos[name].value)
    decision = decoded[0][name]["decision"]
    np.testing.assert_array_equal(decision.agent_id, [a.id for a in infos])
    for k, array in enumerate(decision.obs):
        protos = [a.observations[k] for a in infos]
        if protos[0].compression_type == PNG:
            expected = np.stack([protocol_pixels(p)[0] for p in protos]).astype(np.float32)
        else:
            expected = np.array([p.float_data.data for p in protos], dtype=np.float32)
            expected = expected.reshape(array.shape)
        assert_same_array(array, expected, f"{case} obs {k}")


def test_peer_averages_alpha_into_gray(codec_peer: PeerReport) -> None:
    """The peer's gray from an RGBA PNG includes alpha; ours is the mean of RGB."""
    (output,) = outputs("png_rgba_gray")
    (peer_output,) = codec_peer.report["cases"]["png_rgba_gray"]
    peer_key = peer_output["steps"]["Rgba"]["decision"]["obs"]["items"][0]["key"]
    peer_gray = codec_peer.arrays[peer_key]
    ours_gray = decode_ours("png_rgba_gray")[2][0]["Rgba"]["decision"].obs[0]
    rgba = []
    for info in output.rl_output.agentInfos["Rgba"].value:
        with Image.open(io.BytesIO(info.observations[0].compressed_data)) as image:
            assert image.mode == "RGBA"
            rgba.append(np.asarray(image, dtype=np.float64) / 255)
    pixels = np.stack(rgba)
    rgb_mean = pixels[..., :3].mean(-1).astype(np.float32)
    rgba_mean = pixels.mean(-1).astype(np.float32)
    np.testing.assert_array_max_ulp(ours_gray[..., 0], rgb_mean, maxulp=2)
    np.testing.assert_array_max_ulp(peer_gray[..., 0], rgba_mean, maxulp=2)
    assert not np.array_equal(ours_gray, peer_gray)
