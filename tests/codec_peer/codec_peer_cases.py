"""Serialized UnityOutputProto sequences for the decode comparison with the 0.28 client.

Each case is a short sequence of outputs, as an environment sends them: a behavior's
BrainParametersProto rides only in the first output that holds agents of that behavior, and
later outputs are decoded with the spec learned then. Most agents are encoded by our
environment-side encoders (steps_to_proto, behavior_spec_to_proto); what those never produce
(a wrong-length mask, hand-made PNGs and channel mappings, deprecated action fields) is built
by hand with our protobuf classes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DecisionSteps,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
    TerminalSteps,
)
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.brain_parameters_pb2 import BrainParametersProto
from mlagents_envs.communicator_objects.observation_pb2 import PNG, ObservationProto
from mlagents_envs.communicator_objects.space_type_pb2 import continuous, discrete
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_output_pb2 import (
    UnityRLInitializationOutputProto,
)
from mlagents_envs.communicator_objects.unity_rl_output_pb2 import UnityRLOutputProto
from mlagents_envs.rpc_utils import behavior_spec_to_proto, steps_to_proto

FLOAT32_MAX = float(np.finfo(np.float32).max)
# Values that catch narrowing and sign slips: -0.0, a subnormal, 0.1 (rounds to float32),
# the extremes of float32 (one of each, so that no sum of them overflows).
SPECIAL = np.array([-0.0, 1e-45, 0.1, FLOAT32_MAX, -FLOAT32_MAX, 2.0 / 3.0], dtype=np.float32)

U = DimensionProperty.UNSPECIFIED
N = DimensionProperty.NONE
T = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
V = DimensionProperty.VARIABLE_SIZE


@dataclass(frozen=True)
class Case:
    """The serialized outputs of one case, in the order an environment sends them."""

    outputs: list[bytes]
    note: str


def obs_spec(
    shape: tuple[int, ...],
    name: str,
    dims: tuple[DimensionProperty, ...] | None = None,
    kind: ObservationType = ObservationType.DEFAULT,
) -> ObservationSpec:
    if dims is None:
        dims = (T, T, N) if len(shape) == 3 else (N,) * len(shape)
    return ObservationSpec(shape, dims, kind, name)


def image_pixels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """uint8 pixels that hold every value 0..255 when there are enough of them."""
    count = int(np.prod(shape))
    values = np.resize(np.arange(256, dtype=np.uint8), count)
    return rng.permutation(values).reshape(shape)


def make_steps(
    spec: BehaviorSpec,
    rng: np.random.Generator,
    decision_ids: list[int],
    terminal_ids: list[int],
    interrupted: list[bool],
    *,
    images: tuple[int, ...] = (),
    group_ids: tuple[list[int], list[int]] | None = None,
    group_rewards: tuple[list[float], list[float]] | None = None,
) -> tuple[DecisionSteps, TerminalSteps]:
    """Steps with random contents; observations listed in images hold k/255 pixel values."""

    def observations(n: int, first: bool) -> list[np.ndarray]:
        result = []
        for k, o in enumerate(spec.observation_specs):
            if k in images:
                result.append(image_pixels(rng, (n, *o.shape)).astype(np.float32) / 255)
                continue
            values = rng.standard_normal((n, *o.shape)).astype(np.float32)
            if first and n:
                flat = values.reshape(n, -1)[0]
                count = min(len(flat), len(SPECIAL))
                flat[:count] = SPECIAL[:count]
            result.append(values)
        return result

    def rewards(n: int, first: bool) -> np.ndarray:
        values = rng.standard_normal(n).astype(np.float32)
        if first:
            count = min(n, len(SPECIAL))
            values[:count] = SPECIAL[:count]
        return values

    n_d, n_t = len(decision_ids), len(terminal_ids)
    gid = group_ids or ([0] * n_d, [0] * n_t)
    grew = group_rewards or ([0.0] * n_d, [0.0] * n_t)
    branches = spec.action_spec.discrete_branches
    masks = [rng.random((n_d, b)) < 0.4 for b in branches] if branches else None
    decision = DecisionSteps(
        obs=observations(n_d, True),
        reward=rewards(n_d, True),
        agent_id=np.array(decision_ids, dtype=np.int32),
        action_mask=masks,
        group_id=np.array(gid[0], dtype=np.int32),
        group_reward=np.array(grew[0], dtype=np.float32),
    )
    terminal = TerminalSteps(
        obs=observations(n_t, False),
        reward=rewards(n_t, False),
        interrupted=np.array(interrupted, dtype=bool),
        agent_id=np.array(terminal_ids, dtype=np.int32),
        group_id=np.array(gid[1], dtype=np.int32),
        group_reward=np.array(grew[1], dtype=np.float32),
    )
    return decision, terminal


def output(behaviors: dict[str, tuple[BrainParametersProto | None, list[AgentInfoProto]]]) -> bytes:
    """One UnityOutputProto; brain parameters are sent for the behaviors that give them."""
    message = UnityOutputProto(
        rl_output=UnityRLOutputProto(side_channel=b""),
        rl_initialization_output=UnityRLInitializationOutputProto(
            brain_parameters=[p for p, _ in behaviors.values() if p is not None]
        ),
    )
    for name, (_, infos) in behaviors.items():
        message.rl_output.agentInfos[name].value.extend(infos)
    return message.SerializeToString()


def encoded(
    name: str, spec: BehaviorSpec, decision: DecisionSteps, terminal: TerminalSteps
) -> tuple[BrainParametersProto, list[AgentInfoProto]]:
    """A behavior's brain parameters and agents, as our environment-side encoders give them."""
    return behavior_spec_to_proto(name, spec), steps_to_proto(decision, terminal, spec)


def png(pixels: np.ndarray) -> bytes:
    """A uint8 (h, w, c) array as one PNG: c = 1 mode L, 3 RGB, 4 RGBA."""
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
    image = Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode=mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_obs(
    data: bytes,
    shape: tuple[int, int, int],
    name: str,
    mapping: tuple[int, ...] = (),
    dims: tuple[DimensionProperty, ...] = (T, T, N),
) -> ObservationProto:
    return ObservationProto(
        shape=shape,
        compression_type=PNG,
        compressed_data=data,
        compressed_channel_mapping=mapping,
        dimension_properties=[int(d) for d in dims],
        name=name,
    )


def vector_observations() -> Case:
    rng = np.random.default_rng(1)
    spec = BehaviorSpec(
        [
            obs_spec((4,), "vector"),
            obs_spec((3, 2), "grid"),
            obs_spec((2, 3, 2), "volume", dims=(U, U, U)),
        ],
        ActionSpec(2, ()),
    )
    # Agent 7 ended an episode and started the next one within the step: both done and deciding.
    decision, terminal = make_steps(spec, rng, [0, 7, 3], [7, 5], [True, False])
    infos = steps_to_proto(decision, terminal, spec)
    # Decision and terminal agents interleaved: the split must keep each group's order.
    infos = [infos[2], infos[0], infos[3], infos[1], infos[4]]
    none_spec = BehaviorSpec([obs_spec((1,), "bias")], ActionSpec(0, ()))
    d2, t2 = make_steps(none_spec, rng, [11], [], [])
    first = output(
        {
            "Walker?team=0": (behavior_spec_to_proto("Walker?team=0", spec), infos),
            "NoActions": encoded("NoActions", none_spec, d2, t2),
        }
    )
    # The next output: fewer agents, in another order, no brain parameters.
    d3, t3 = make_steps(spec, rng, [3, 0], [], [])
    second = output({"Walker?team=0": (None, steps_to_proto(d3, t3, spec))})
    return Case([first, second], "1-D, 2-D, 3-D floats; done, interrupted, same id twice")


def groups_hybrid() -> Case:
    rng = np.random.default_rng(2)
    spec = BehaviorSpec([obs_spec((5,), "vector")], ActionSpec(3, (2, 3)))
    decision, terminal = make_steps(
        spec,
        rng,
        [4, 1, 9, 2],
        [8, 6],
        [False, True],
        group_ids=([1, 1, 2, 0], [2, 1]),
        group_rewards=([0.5, 0.5, -1.25, 0.0], [np.float32(0.1), -0.0]),
    )
    name = "Striker?team=1"
    return Case(
        [output({name: encoded(name, spec, decision, terminal)})],
        "groups and group rewards; hybrid actions with masks",
    )


def discrete_masks() -> Case:
    rng = np.random.default_rng(3)
    spec = BehaviorSpec([obs_spec((3,), "vector")], ActionSpec(0, (3, 2, 4)))
    decision, terminal = make_steps(spec, rng, [0, 1, 2, 3, 4], [5, 6], [False, True])
    infos = steps_to_proto(decision, terminal, spec)
    done, deciding = infos[:2], infos[2:]
    # A mask of the wrong length means every action is allowed; so does no mask at all.
    deciding[1].ClearField("action_mask")
    deciding[1].action_mask.extend([True] * 5)
    deciding[2].ClearField("action_mask")
    deciding[3].ClearField("action_mask")
    deciding[3].action_mask.extend([True] * 9)
    deciding[4].ClearField("action_mask")
    deciding[4].action_mask.extend([True] * 10)
    # Masks on done agents are not read.
    done[0].action_mask.extend([True] * 9)
    done[1].action_mask.extend([False, True])
    name = "Picker"
    return Case(
        [output({name: (behavior_spec_to_proto(name, spec), done + deciding)})],
        "discrete branches; valid, wrong-length, missing and all-masked masks",
    )


def png_encoded() -> Case:
    rng = np.random.default_rng(4)
    spec = BehaviorSpec(
        [
            obs_spec((8, 6, 3), "rgb"),
            obs_spec((8, 6, 1), "gray"),
            obs_spec((8, 6, 2), "two"),
            obs_spec((8, 6, 5), "five"),
            obs_spec((8, 6, 6), "six"),
            obs_spec((3,), "vector"),
        ],
        ActionSpec(1, ()),
    )
    decision, terminal = make_steps(spec, rng, [0, 1, 2], [3], [True], images=(0, 1, 2, 3, 4))
    infos = steps_to_proto(decision, terminal, spec, compressed=[True] * 5 + [False])
    name = "Camera"
    return Case(
        [output({name: (behavior_spec_to_proto(name, spec), infos)})],
        "our encoder's PNGs: RGB, gray, 2, 5 and 6 channels (concatenated PNGs, mappings)",
    )


def png_by_hand() -> Case:
    rng = np.random.default_rng(5)
    infos = []
    for agent_id, done in ((0, False), (1, False), (2, True)):
        color = image_pixels(rng, (8, 6, 3))
        six = image_pixels(rng, (8, 6, 6))
        data_six = png(six[:, :, :3]) + png(six[:, :, 3:])
        observations = [
            # A colour PNG for a 1-channel spec: the mean of red, green and blue.
            png_obs(png(color), (8, 6, 1), "gray_from_color"),
            # Channels 0 and 1 averaged into output 0, 3 and 4 into output 2; 5 dropped.
            png_obs(data_six, (8, 6, 3), "averaged", (0, 0, 1, 2, 2, -1)),
            # One PNG with its channels reordered and one dropped; no dimension properties.
            png_obs(png(color), (8, 6, 2), "reordered", (1, -1, 0), dims=()),
            # Outputs 0 and 1 each from two channels of different PNGs.
            png_obs(data_six, (8, 6, 4), "across_pngs", (0, 1, 2, 3, 0, 1)),
        ]
        infos.append(
            AgentInfoProto(
                id=agent_id, done=done, reward=0.25 * agent_id, observations=observations
            )
        )
    params = BrainParametersProto(brain_name="HandPng", is_training=True)
    params.action_spec.num_continuous_actions = 1
    return Case([output({"HandPng": (params, infos)})], "hand-made PNGs and channel mappings")


def goal_and_variable_size() -> Case:
    rng = np.random.default_rng(6)
    spec = BehaviorSpec(
        [
            obs_spec((6,), "goal", kind=ObservationType.GOAL_SIGNAL),
            obs_spec((5, 4), "entities", dims=(V, N)),
            obs_spec((4, 4, 2), "float_image", dims=(T, T, N)),
            obs_spec((2,), "goal_unspecified", dims=(U,), kind=ObservationType.GOAL_SIGNAL),
        ],
        ActionSpec(0, (4,)),
    )
    decision, terminal = make_steps(spec, rng, [10, 20], [30], [False])
    name = "Seeker"
    return Case(
        [output({name: encoded(name, spec, decision, terminal)})],
        "GOAL_SIGNAL, VARIABLE_SIZE and other dimension properties",
    )


def deprecated_action_fields() -> Case:
    rng = np.random.default_rng(7)
    old_continuous = BrainParametersProto(
        brain_name="OldContinuous",
        vector_action_space_type_deprecated=continuous,
        vector_action_size_deprecated=[3],
        vector_action_descriptions_deprecated=["a", "b", "c"],
        is_training=True,
    )
    old_discrete = BrainParametersProto(
        brain_name="OldDiscrete",
        vector_action_space_type_deprecated=discrete,
        vector_action_size_deprecated=[3, 2],
        is_training=True,
    )
    c_spec = BehaviorSpec([obs_spec((2,), "vector")], ActionSpec(3, ()))
    d_spec = BehaviorSpec([obs_spec((2,), "vector")], ActionSpec(0, (3, 2)))
    c_steps = make_steps(c_spec, rng, [0, 1], [2], [True])
    d_steps = make_steps(d_spec, rng, [0, 1, 2], [], [])
    return Case(
        [
            output(
                {
                    "OldContinuous": (old_continuous, steps_to_proto(*c_steps, c_spec)),
                    "OldDiscrete": (old_discrete, steps_to_proto(*d_steps, d_spec)),
                }
            )
        ],
        "action specs from the deprecated BrainParametersProto fields only",
    )


def zero_agents() -> Case:
    rng = np.random.default_rng(8)
    disc = BehaviorSpec([obs_spec((3,), "vector")], ActionSpec(0, (2, 3)))
    cont = BehaviorSpec(
        [obs_spec((2, 2), "grid"), obs_spec((4, 4, 3), "camera")], ActionSpec(2, ())
    )
    late = BehaviorSpec([obs_spec((1,), "bias")], ActionSpec(1, (2,)))
    d0 = make_steps(disc, rng, [0, 1], [], [])
    c0 = make_steps(cont, rng, [5], [6], [False], images=(1,))
    first = output(
        {
            "Disc": (behavior_spec_to_proto("Disc", disc), steps_to_proto(*d0, disc)),
            "Cont": (
                behavior_spec_to_proto("Cont", cont),
                steps_to_proto(*c0, cont, compressed=[False, True]),
            ),
        }
    )
    # Both behaviors present with no agents at all.
    second = output({"Disc": (None, []), "Cont": (None, [])})
    # Only done agents: no agent needs a decision.
    d2 = make_steps(disc, rng, [], [0, 1], [True, False])
    third = output({"Disc": (None, steps_to_proto(*d2, disc))})
    # A behavior that appears late, and Disc deciding again.
    d3 = make_steps(disc, rng, [0], [], [])
    l3 = make_steps(late, rng, [40, 41], [], [])
    fourth = output(
        {
            "Disc": (None, steps_to_proto(*d3, disc)),
            "Late": (behavior_spec_to_proto("Late", late), steps_to_proto(*l3, late)),
        }
    )
    return Case([first, second, third, fourth], "empty agent lists, only done agents")


def png_single_channel_file() -> Case:
    """A 1-channel (mode L) PNG: PROTOCOL.md lets a PNG give up to 3 channels."""
    rng = np.random.default_rng(9)
    infos = [
        AgentInfoProto(
            id=i, observations=[png_obs(png(image_pixels(rng, (8, 6, 1))), (8, 6, 1), "l")]
        )
        for i in range(2)
    ]
    params = BrainParametersProto(brain_name="GrayFile", is_training=True)
    params.action_spec.num_continuous_actions = 1
    return Case([output({"GrayFile": (params, infos)})], "grayscale PNG file (mode L)")


def png_rgba_gray() -> Case:
    """An RGBA PNG for a 1-channel spec: PROTOCOL.md says the mean of R, G and B."""
    rng = np.random.default_rng(10)
    infos = [
        AgentInfoProto(
            id=i, observations=[png_obs(png(image_pixels(rng, (8, 6, 4))), (8, 6, 1), "rgba")]
        )
        for i in range(2)
    ]
    params = BrainParametersProto(brain_name="Rgba", is_training=True)
    params.action_spec.num_continuous_actions = 1
    return Case([output({"Rgba": (params, infos)})], "RGBA PNG for a 1-channel spec")


def large_finite_observations() -> Case:
    """Finite values whose float32 sum overflows: valid observations per PROTOCOL.md."""
    spec = BehaviorSpec([obs_spec((4,), "vector")], ActionSpec(1, ()))
    values = np.array([[FLOAT32_MAX, FLOAT32_MAX, 1.0, -1.0]], dtype=np.float32)
    decision = DecisionSteps(
        obs=[values],
        reward=np.zeros(1, np.float32),
        agent_id=np.array([3], np.int32),
        action_mask=None,
        group_id=np.zeros(1, np.int32),
        group_reward=np.zeros(1, np.float32),
    )
    terminal = TerminalSteps.empty(spec)
    name = "Large"
    return Case(
        [output({name: encoded(name, spec, decision, terminal)})],
        "finite float32 extremes whose sum overflows",
    )


def build_cases() -> dict[str, Case]:
    builders = [
        vector_observations,
        groups_hybrid,
        discrete_masks,
        png_encoded,
        png_by_hand,
        goal_and_variable_size,
        deprecated_action_fields,
        zero_agents,
        png_single_channel_file,
        png_rgba_gray,
        large_finite_observations,
    ]
    return {b.__name__: b() for b in builders}


@dataclass(frozen=True)
class ActionCase:
    """An ActionTuple for a behavior with the given action spec."""

    spec: ActionSpec
    continuous: np.ndarray
    discrete: np.ndarray


def build_action_cases() -> dict[str, ActionCase]:
    f32, i32 = np.float32, np.int32
    return {
        "continuous": ActionCase(
            ActionSpec(3, ()),
            np.array([[0.1, -0.0, 1e-45], [FLOAT32_MAX, -1.5, 2.0 / 3.0]], dtype=f32),
            np.zeros((2, 0), dtype=i32),
        ),
        "discrete": ActionCase(
            ActionSpec(0, (5, 3, 4)),
            np.zeros((3, 0), dtype=f32),
            np.array([[0, 2, 1], [4, 0, 3], [1, 1, 0]], dtype=i32),
        ),
        "hybrid": ActionCase(
            ActionSpec(2, (3, 2)),
            np.array([[-1.0, 1.0], [0.25, -0.0], [1e-45, 3.0]], dtype=f32),
            np.array([[2, 1], [0, 0], [1, 1]], dtype=i32),
        ),
        "zero_agents": ActionCase(
            ActionSpec(2, (3,)), np.zeros((0, 2), dtype=f32), np.zeros((0, 1), dtype=i32)
        ),
    }


CASES = build_cases()
ACTION_CASES = build_action_cases()
