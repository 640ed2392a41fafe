"""steps_from_proto / steps_to_proto: splitting, masks, groups, validation, fast-path fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from codec_helpers import agent, behavior, float_obs, image_spec, vector_spec

from mlagents_envs.base_env import DecisionSteps, TerminalSteps
from mlagents_envs.codec.observations import _decode_floats, decode_observations
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.observation_pb2 import ObservationProto
from mlagents_envs.exception import UnityObservationException
from mlagents_envs.rpc_utils import steps_from_proto, steps_to_proto

SPEC = behavior(vector_spec(3), vector_spec(2, 2, name="grid"), continuous=1, branches=(2, 3))


def obs(agent_id: int) -> list:
    return [
        float_obs(np.full(3, agent_id, np.float32)),
        float_obs(np.full((2, 2), -agent_id, np.float32), name="grid"),
    ]


def wire(infos: list[AgentInfoProto]) -> list[AgentInfoProto]:
    """The agents as they arrive: serialized and parsed again."""
    return [AgentInfoProto.FromString(a.SerializeToString()) for a in infos]


def test_split_into_decision_and_terminal_steps_in_order():
    infos = wire(
        [
            agent(5, obs(5), reward=1.5, mask=[0, 1, 0, 0, 1]),
            agent(7, obs(7), reward=-1, done=True, interrupted=True),
            agent(9, obs(9), reward=0.25, done=True),
            agent(7, obs(7), reward=0.0, mask=[1, 0, 1, 1, 0]),
        ]
    )
    decision, terminal = steps_from_proto(infos, SPEC)
    assert decision.agent_id.tolist() == [5, 7]
    assert terminal.agent_id.tolist() == [7, 9]
    assert decision.reward.tolist() == [1.5, 0.0]
    assert terminal.reward.tolist() == [-1.0, 0.25]
    assert terminal.interrupted.tolist() == [True, False]
    np.testing.assert_array_equal(decision.obs[0], [[5, 5, 5], [7, 7, 7]])
    np.testing.assert_array_equal(terminal.obs[1][1], [[-9, -9], [-9, -9]])
    assert [m.tolist() for m in decision.action_mask] == [
        [[False, True], [True, False]],
        [[False, False, True], [True, True, False]],
    ]
    for array, dtype in [
        (decision.reward, np.float32),
        (decision.agent_id, np.int32),
        (decision.group_id, np.int32),
        (decision.group_reward, np.float32),
        (terminal.interrupted, np.bool_),
        (decision.obs[1], np.float32),
    ]:
        assert array.dtype == dtype
    assert decision[7].obs[0].tolist() == [7, 7, 7]
    assert terminal[7].interrupted is True


def test_groups_and_group_rewards():
    infos = wire([agent(1, obs(1), group=3, group_reward=2.5), agent(2, obs(2))])
    decision, _ = steps_from_proto(infos, SPEC)
    assert decision.group_id.tolist() == [3, 0]
    assert decision.group_reward.tolist() == [2.5, 0.0]


def test_mask_of_the_wrong_length_allows_every_action():
    infos = wire([agent(1, obs(1), mask=[1, 1]), agent(2, obs(2), mask=[1, 0, 0, 0, 0])])
    decision, _ = steps_from_proto(infos, SPEC)
    assert decision.action_mask[0].tolist() == [[False, False], [True, False]]
    assert decision.action_mask[1].tolist() == [[False, False, False], [False, False, False]]


def test_no_discrete_branches_means_no_mask():
    spec = behavior(vector_spec(3), vector_spec(2, 2, name="grid"), continuous=2)
    decision, _ = steps_from_proto(wire([agent(1, obs(1))]), spec)
    assert decision.action_mask is None


def test_no_agents_gives_empty_batches_shaped_by_the_spec():
    decision, terminal = steps_from_proto([], SPEC)
    assert len(decision) == len(terminal) == 0
    assert [o.shape for o in decision.obs] == [(0, 3), (0, 2, 2)]
    assert [m.shape for m in decision.action_mask] == [(0, 2), (0, 3)]


@pytest.mark.parametrize("field", ["reward", "group_reward"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_rewards_are_refused_naming_agent_and_behavior(field, value):
    infos = [agent(1, obs(1)), agent(4, obs(4), **{field: value})]
    with pytest.raises(UnityObservationException, match=r"agents \[4\] of behavior 'Ball'"):
        steps_from_proto(wire(infos), SPEC, behavior_name="Ball")


def test_non_finite_observations_are_refused_naming_the_agent():
    bad = obs(2)
    bad[1] = float_obs(np.array([[0, np.nan], [0, 0]], np.float32), name="grid")
    with pytest.raises(UnityObservationException, match=r"'grid'.*agents \[2\]"):
        steps_from_proto(wire([agent(1, obs(1)), agent(2, bad)]), SPEC)


def test_wrong_number_of_observations_is_refused():
    with pytest.raises(UnityObservationException, match=r"Agent 3 .* sent 1 observations"):
        steps_from_proto(wire([agent(1, obs(1)), agent(3, obs(3)[:1])]), SPEC)


def with_values(shape: tuple[int, ...], count: int) -> ObservationProto:
    """An observation that declares shape but carries count values."""
    proto = float_obs(np.zeros(shape, np.float32))
    del proto.float_data.data[:]
    proto.float_data.data.extend([0.5] * count)
    return proto


def test_observation_declaring_another_shape_is_refused():
    bad = obs(2)
    bad[0] = float_obs(np.zeros((3, 1), np.float32))
    with pytest.raises(UnityObservationException, match=r"agent 2 has shape \(3, 1\)"):
        steps_from_proto(wire([agent(1, obs(1)), agent(2, bad)]), SPEC)


def test_observation_with_the_wrong_number_of_values_is_refused():
    bad = obs(2)
    bad[0] = with_values((3,), 4)
    with pytest.raises(UnityObservationException, match=r"agent 2 holds 4 values .*\(3,\)"):
        steps_from_proto(wire([agent(1, obs(1)), agent(2, bad)]), SPEC)


def test_compensating_wrong_lengths_are_still_refused():
    # 2 + 4 values add up to the 6 of two correct agents: only per-agent checks catch it.
    short, long = obs(1), obs(2)
    short[0] = with_values((3,), 2)
    long[0] = with_values((3,), 4)
    with pytest.raises(UnityObservationException, match="agent 1 holds 2 values"):
        steps_from_proto(wire([agent(1, short), agent(2, long)]), SPEC)


def test_image_spec_with_float_data_is_decoded_as_floats():
    spec = behavior(image_spec(2, 2, 1), continuous=1)
    values = np.arange(4, dtype=np.float32).reshape(2, 2, 1) / 4
    decision, _ = steps_from_proto(wire([agent(1, [float_obs(values, name="camera")])]), spec)
    np.testing.assert_array_equal(decision.obs[0][0], values)


def general_and_fast_agree(protos: list[ObservationProto], spec) -> np.ndarray:
    fast = decode_observations(protos, spec, list(range(len(protos))))
    general = _decode_floats(protos, spec, list(range(len(protos))))
    np.testing.assert_array_equal(fast, general)
    return fast


def test_agents_whose_sensor_names_differ_still_decode():
    spec = vector_spec(3)
    protos = [float_obs(np.full(3, i, np.float32), name=f"sensor{i}") for i in range(4)]
    np.testing.assert_array_equal(general_and_fast_agree(protos, spec)[:, 0], [0, 1, 2, 3])


def test_observations_without_dimension_properties_still_decode():
    spec = vector_spec(2)
    protos = [ObservationProto(shape=[2]) for _ in range(3)]
    for i, p in enumerate(protos):
        p.float_data.data.extend([i, -i])
    np.testing.assert_array_equal(general_and_fast_agree(protos, spec)[:, 1], [0, -1, -2])


def test_unknown_fields_from_a_newer_environment_do_not_corrupt_values():
    spec = vector_spec(2)
    protos = []
    for i in range(3):
        base = float_obs(np.array([i, i + 0.5], np.float32)).SerializeToString()
        # Field 15 (varint 1) appended, as a newer sender could do.
        protos.append(ObservationProto.FromString(base + bytes([15 << 3, 1])))
    decoded = general_and_fast_agree(protos, spec)
    np.testing.assert_array_equal(decoded, [[0, 0.5], [1, 1.5], [2, 2.5]])


def test_single_agent_observations_are_writable_aligned_arrays():
    decision, _ = steps_from_proto(wire([agent(1, obs(1))]), SPEC)
    for array in decision.obs:
        assert array.flags.writeable and array.flags.aligned
        array += 1  # in-place normalisation, as wrappers and users do


def test_float_data_declared_as_png_is_refused():
    bad = float_obs(np.zeros(3, np.float32))
    bad.compression_type = 1  # PNG, with float data: a malformed message
    with pytest.raises(UnityObservationException):
        steps_from_proto(wire([agent(1, [bad, obs(1)[1]])]), SPEC)


def test_special_float_bit_patterns_survive_the_fast_path():
    spec = vector_spec(4)
    values = np.array([-0.0, 1e-45, 3.4028235e38, -1.5], np.float32)
    protos = [float_obs(values) for _ in range(3)]
    decoded = general_and_fast_agree(protos, spec)
    assert decoded.view(np.uint32).tolist() == [values.view(np.uint32).tolist()] * 3


def test_encoder_puts_terminal_agents_first_and_round_trips():
    rng = np.random.default_rng(1)
    decision = DecisionSteps(
        [rng.random((2, 3), dtype=np.float32), rng.random((2, 2, 2), dtype=np.float32)],
        np.array([0.5, 1.0], np.float32),
        np.array([3, 4], np.int32),
        [np.array([[True, False], [False, False]]), np.zeros((2, 3), bool)],
        np.array([1, 1], np.int32),
        np.array([0.1, 0.1], np.float32),
    )
    terminal = TerminalSteps(
        [rng.random((1, 3), dtype=np.float32), rng.random((1, 2, 2), dtype=np.float32)],
        np.array([-1.0], np.float32),
        np.array([True]),
        np.array([4], np.int32),
        np.array([1], np.int32),
        np.array([0.1], np.float32),
    )
    infos = steps_to_proto(decision, terminal, SPEC)
    assert [(a.id, a.done) for a in infos] == [(4, True), (3, False), (4, False)]
    assert infos[0].max_step_reached is True
    back_decision, back_terminal = steps_from_proto(wire(infos), SPEC)
    for ours, theirs in [(back_decision, decision), (back_terminal, terminal)]:
        for a, b in zip(ours.obs, theirs.obs):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ours.reward, theirs.reward)
        np.testing.assert_array_equal(ours.agent_id, theirs.agent_id)
        np.testing.assert_array_equal(ours.group_reward, theirs.group_reward)
    for a, b in zip(back_decision.action_mask, decision.action_mask):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back_terminal.interrupted, [True])


def test_encoder_refuses_steps_that_disagree_with_the_spec():
    decision = DecisionSteps.empty(SPEC)
    with pytest.raises(UnityObservationException, match=r"2 observations .* 1 flags"):
        steps_to_proto(decision, TerminalSteps.empty(SPEC), SPEC, compressed=[False])
