"""The inputs of a policy model as Unity checks them: one per observation, shaped as the
observation in the layout of the Unity generation at hand, and nothing Unity does not feed.

Images are (N, C, H, W) at a model's input in both generations; Unity 2.x (Barracuda) reads a
spec's image shape as (H, W, C), 3.x (Sentis) as (C, H, W).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import onnx

from mlagents_envs.base_env import ActionSpec, ObservationSpec
from mlagents_envs.codec.generation import channels_first

ACTION_MASKS = "action_masks"
RECURRENT_IN = "recurrent_in"
PREVIOUS_ACTION = "prev_action"
# The model API version 2 (ML-Agents 1.x) names.
LEGACY_VECTOR = "vector_observation"
LEGACY_VISUAL_PREFIX = "visual_observation_"

#: Inputs Unity fills without looking at their shape (besides the observations).
_UNCHECKED_INPUTS = {"epsilon", ACTION_MASKS, "sequence_length", RECURRENT_IN}


@dataclass(frozen=True)
class ModelInput:
    """An input of a model as its graph declares it."""

    name: str
    dims: tuple[int | None, ...]  # None: a symbolic (dynamic) dimension
    elem_type: int


def model_inputs(proto: onnx.ModelProto) -> list[ModelInput]:
    graph = proto.graph
    # Older exporters also list the weights as graph inputs; Unity does not feed those.
    weights = {init.name for init in graph.initializer}
    found = []
    for value in graph.input:
        if value.name in weights:
            continue
        tensor = value.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
        found.append(ModelInput(value.name, dims, tensor.elem_type))
    return found


def _dims(dims: Sequence[int | None]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def observation_input_dims(spec: ObservationSpec, package_version: str) -> tuple[int, ...]:
    """The dimensions after the batch that Unity of package_version expects at the input of
    an observation: images as (C, H, W) from the spec's (H, W, C) in 2.x, (C, H, W) in 3.x."""
    shape = tuple(int(d) for d in spec.shape)
    if len(shape) != 3:
        return shape
    if channels_first(package_version):
        return shape
    height, width, channels = shape
    return (channels, height, width)


def _layout(package_version: str) -> str:
    return "(C, H, W)" if channels_first(package_version) else "(H, W, C)"


def _check_observation_input(
    item: ModelInput, index: int, spec: ObservationSpec, package_version: str
) -> str | None:
    expected = observation_input_dims(spec, package_version)
    if item.dims[1:] == expected:
        return None
    where = f"observation {index} ({spec.name!r}, shape {tuple(spec.shape)}"
    if len(spec.shape) == 3:
        where += f", an image read as {_layout(package_version)} by Unity {package_version}"
    return f"Input {item.name} is {_dims(item.dims)} but {where}) needs {_dims((None, *expected))}."


def check_inputs(
    inputs: list[ModelInput],
    observations: list[ObservationSpec],
    action_spec: ActionSpec,
    package_version: str,
) -> list[str]:
    """The inputs of a model of API version 3: obs_I for the I-th observation."""
    failures = []
    names = {item.name for item in inputs}
    for index, spec in enumerate(observations):
        if f"obs_{index}" not in names:
            failures.append(
                f"The model has no input obs_{index} for observation {index} ({spec.name!r})."
            )
    by_name = {f"obs_{index}": (index, spec) for index, spec in enumerate(observations)}
    for item in inputs:
        if item.name in by_name:
            index, spec = by_name[item.name]
            if len(spec.shape) not in (1, 2, 3):
                failures.append(f"Observation {index} has rank {len(spec.shape)}; Unity takes 1-3.")
                continue
            failure = _check_observation_input(item, index, spec, package_version)
            if failure:
                failures.append(failure)
        elif item.name == PREVIOUS_ACTION:
            failures += _check_previous_action(item, action_spec)
        elif item.name not in _UNCHECKED_INPUTS:
            failures.append(f"The model has an input Unity does not feed: {item.name}.")
    return failures


def _check_previous_action(item: ModelInput, action_spec: ActionSpec) -> list[str]:
    branches = len(action_spec.discrete_branches)
    if item.dims and item.dims[-1] == branches:
        return []
    return [
        f"Input {PREVIOUS_ACTION} is {_dims(item.dims)}; the behavior has {branches} discrete "
        "branches."
    ]


def check_legacy_inputs(
    inputs: list[ModelInput],
    observations: list[ObservationSpec],
    action_spec: ActionSpec,
    package_version: str,
) -> list[str]:
    """The inputs of a model of API version 2: one vector_observation for every rank-1
    observation together, visual_observation_K for the K-th image, obs_I for rank 2."""
    failures = []
    names = {item.name for item in inputs}
    vector_size = sum(int(spec.shape[0]) for spec in observations if len(spec.shape) == 1)
    tested: dict[str, tuple[int, ObservationSpec]] = {}
    images = 0
    for index, spec in enumerate(observations):
        if len(spec.shape) == 3:
            tested[f"{LEGACY_VISUAL_PREFIX}{images}"] = (index, spec)
            images += 1
        elif len(spec.shape) == 2:
            tested[f"obs_{index}"] = (index, spec)
    if vector_size and LEGACY_VECTOR not in names:
        failures.append(f"The model has no {LEGACY_VECTOR} input for the vector observations.")
    for name, (index, _) in tested.items():
        if name not in names:
            failures.append(f"The model has no input {name} for observation {index}.")
    model_images = sum(1 for name in names if name.startswith(LEGACY_VISUAL_PREFIX))
    if model_images > images:
        failures.append(f"The model expects {model_images} images; the behavior has {images}.")
    for item in inputs:
        if item.name == LEGACY_VECTOR:
            if not item.dims or item.dims[-1] != vector_size:
                failures.append(
                    f"Input {LEGACY_VECTOR} is {_dims(item.dims)}; the vector observations add "
                    f"up to {vector_size}."
                )
        elif item.name in tested:
            index, spec = tested[item.name]
            failure = _check_observation_input(item, index, spec, package_version)
            if failure:
                failures.append(failure)
        elif item.name == PREVIOUS_ACTION:
            failures += _check_previous_action(item, action_spec)
        elif item.name not in _UNCHECKED_INPUTS and not item.name.startswith(LEGACY_VISUAL_PREFIX):
            failures.append(f"The model has an input Unity does not feed: {item.name}.")
    return failures
