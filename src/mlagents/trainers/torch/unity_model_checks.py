"""The checks Unity's inference makes when it loads a policy model, applied in Python.

Before the com.unity.ml-agents package runs an `.onnx` policy for an agent it checks the
model against the agent's behavior, and it will not run a model that fails. This module
makes the same checks on a model and a `BehaviorSpec`, for either generation of Unity builds
(`package_version`, as in the handshake):

- constants: `version_number` and `memory_size` are outputs of the model; the model API
  version is 2 (the 1.x format: `vector_observation`, `visual_observation_N`) or 3 (`obs_N`);
  a version-2 model with memory is refused;
- actions: an action output exists; `continuous_actions` comes with
  `continuous_action_output_shape` and `discrete_actions` with `discrete_action_output_shape`;
  the output Unity reads is there (the sampled one, or the deterministic one under
  deterministic inference); the continuous size and every branch size equal the spec's;
- inputs: one per observation, with the observation's shape; `action_masks` when the model
  has discrete actions; `recurrent_in` and `recurrent_out` when `memory_size` > 0; nothing
  Unity does not feed.

On top of the load-time checks, what Unity's runtime needs: every input is float32 (Unity
feeds float tensors) and, for a batch of agents, the action outputs Unity reads are
(batch, continuous size) and (batch, number of branches).

Where the generations differ:
- image inputs: the model's image input is (N, C, H, W) in both. Unity 2.x (Barracuda)
  reads the spec's image shape as (H, W, C), 3.x (Sentis) as (C, H, W). So one model fits
  the 2.x spec (42, 42, 3) and the 3.x spec (3, 42, 42) alike, and a model taking
  (N, H, W, C) fits neither (unless its sides happen to coincide).
- constants: 2.x reads `version_number`, `memory_size` and the action output shapes from
  the imported model's constant tensors; 3.x runs the model once on zero-filled inputs and
  reads those outputs, counting a version of 0 or less as missing. Here the model is run on
  zero-filled inputs for both generations (an exported model's constants are outputs).
- operators: 2.x imports only Barracuda's ONNX operators (listed below, from Barracuda 2.0's
  documentation); Sentis imports nearly every operator of opsets 7 to 15, so 3.x is not
  checked for operators.

Both generations stop checking at a missing constant or action output (the later checks
need them); otherwise every failure is listed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import onnx

from mlagents.trainers.torch.unity_model_inputs import (
    ACTION_MASKS,
    RECURRENT_IN,
    ModelInput,
    check_inputs,
    check_legacy_inputs,
    model_inputs,
)
from mlagents_envs.base_env import ActionSpec, BehaviorSpec
from mlagents_envs.codec.generation import PACKAGE_VERSION_3X, channels_first
from mlagents_envs.exception import UnityException

VERSION_NUMBER = "version_number"
MEMORY_SIZE = "memory_size"
CONTINUOUS_ACTIONS = "continuous_actions"
DISCRETE_ACTIONS = "discrete_actions"
DETERMINISTIC_CONTINUOUS_ACTIONS = "deterministic_continuous_actions"
DETERMINISTIC_DISCRETE_ACTIONS = "deterministic_discrete_actions"
CONTINUOUS_SHAPE = "continuous_action_output_shape"
DISCRETE_SHAPE = "discrete_action_output_shape"
RECURRENT_OUT = "recurrent_out"
# The model API version 2 (ML-Agents 1.x) names.
LEGACY_ACTION = "action"
LEGACY_ACTION_SHAPE = "action_output_shape"
LEGACY_IS_CONTINUOUS = "is_continuous_control"

#: The model API versions the Unity packages of both generations run.
SUPPORTED_VERSIONS = (2, 3)

#: The ONNX operators Barracuda 2.0 (Unity package 2.x) imports.
BARRACUDA_OPERATORS = frozenset(
    """Add And ArgMax ArgMin AveragePool BatchNormalization Cast Concat Constant
    ConstantOfShape Conv ConvTranspose DepthToSpace Div Dropout Equal Expand Flatten Gather
    Gemm GlobalAveragePool GlobalMaxPool Greater Identity ImageScaler InstanceNormalization
    Less LessOrEqual LRN LSTM MatMul Max MaxPool Mean Min Mul Multinomial NonMaxSuppression
    NonZero Not OneHot Or Pad Pow RandomNormal RandomNormalLike RandomUniform
    RandomUniformLike ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum Reshape Resize
    Shape Slice SpaceToDepth Split Squeeze Sub Sum Tile TopK Transpose Unsqueeze Upsample
    Where Xor Abs Acos Acosh Asin Asinh Atan Atanh Ceil Clip Cos Cosh Elu Exp Floor LeakyRelu
    Log LogSoftmax Neg PRelu Reciprocal Relu Round Selu Sigmoid Sin Sinh Softmax Sqrt Tan
    Tanh""".split()  # noqa: SIM905 (a list literal would take a hundred lines)
)

_ACTION_OUTPUTS = {
    LEGACY_ACTION,
    CONTINUOUS_ACTIONS,
    DISCRETE_ACTIONS,
    DETERMINISTIC_CONTINUOUS_ACTIONS,
    DETERMINISTIC_DISCRETE_ACTIONS,
}
#: The batch the model is run with: more than one agent, as Unity batches them.
_RUN_BATCH = 2


class UnityModelException(UnityException):
    """A model that Unity's inference would refuse for a behavior."""

    def __init__(self, failures: Sequence[str], behavior: str, package_version: str) -> None:
        listed = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(
            f"Unity {package_version} would not run this model for {behavior}:\n{listed}\n"
            "Export the policy for this behavior spec again "
            "(mlagents.trainers.torch.model_serialization.export_policy_model), with the "
            "observations in the layout this generation of Unity sends."
        )
        self.failures = list(failures)
        self.package_version = package_version


def _load(model: onnx.ModelProto | str | os.PathLike[str]) -> onnx.ModelProto:
    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (str, os.PathLike)):
        return onnx.load(os.fspath(model))
    raise TypeError(f"Expected an onnx.ModelProto or a path to an .onnx file, got {model!r}.")


def _run_on_zeros(
    proto: onnx.ModelProto, inputs: list[ModelInput]
) -> tuple[dict[str, np.ndarray], str | None]:
    """The outputs for zero-filled inputs (a batch of _RUN_BATCH), or why it did not run."""
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(
            "check_model_for_unity runs the model, as Unity 3.x does when it loads one: "
            "pip install onnxruntime"
        ) from error

    feeds = {}
    for item in inputs:
        shape = [
            (_RUN_BATCH if k == 0 else 1) if dim is None else dim for k, dim in enumerate(item.dims)
        ]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(item.elem_type)
        feeds[item.name] = np.zeros(shape, dtype=dtype)
    try:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(
            proto.SerializeToString(),
            options,
            providers=["CPUExecutionProvider"],
        )
        names = [output.name for output in session.get_outputs()]
        return dict(zip(names, session.run(None, feeds))), None
    except Exception as error:  # onnxruntime raises its own untyped errors
        return {}, f"{type(error).__name__}: {error}"


def _float_values(values: dict[str, np.ndarray], name: str) -> list[float] | None:
    if name not in values:
        return None
    return [float(v) for v in np.asarray(values[name]).reshape(-1)]


def _first_int(values: dict[str, np.ndarray], name: str) -> int | None:
    numbers = _float_values(values, name)
    return int(numbers[0]) if numbers else None


class _Actions(NamedTuple):
    """The action outputs as Unity reads them from a model."""

    continuous_name: str  # the output Unity reads continuous actions from
    discrete_name: str
    continuous_size: int  # as the model's constants say
    branches: list[int]  # version 3: every branch size; version 2: [] (see discrete_total)
    discrete_total: int  # the sum of the branch sizes
    by_kind: bool  # version 3's continuous_/discrete_ outputs (not version 2's "action")
    has_continuous: bool
    has_discrete: bool


def _read_actions(
    outputs: list[str], values: dict[str, np.ndarray], deterministic: bool
) -> _Actions | str:
    """The action outputs of a model, or what makes Unity stop checking it."""
    continuous_name = DETERMINISTIC_CONTINUOUS_ACTIONS if deterministic else CONTINUOUS_ACTIONS
    discrete_name = DETERMINISTIC_DISCRETE_ACTIONS if deterministic else DISCRETE_ACTIONS
    mode = "deterministic" if deterministic else "stochastic"
    if CONTINUOUS_ACTIONS not in outputs and DISCRETE_ACTIONS not in outputs:
        # Model API version 2: one "action" output and two constants saying what it is.
        for name in (LEGACY_ACTION_SHAPE, LEGACY_IS_CONTINUOUS):
            if name not in outputs:
                return f'Required constant "{name}" of a 1.x-format model is missing.'
        continuous = (_first_int(values, LEGACY_IS_CONTINUOUS) or 0) > 0
        size = _first_int(values, LEGACY_ACTION_SHAPE) or 0
        return _Actions(
            LEGACY_ACTION, LEGACY_ACTION, size if continuous else 0, [],
            0 if continuous else size, False, continuous, not continuous,
        )  # fmt: skip
    continuous_size = _first_int(values, CONTINUOUS_SHAPE) or 0
    branches = [int(b) for b in _float_values(values, DISCRETE_SHAPE) or []]
    for sampled, read, shape, size in (
        (CONTINUOUS_ACTIONS, continuous_name, CONTINUOUS_SHAPE, continuous_size),
        (DISCRETE_ACTIONS, discrete_name, DISCRETE_SHAPE, sum(branches)),
    ):
        if sampled not in outputs:
            continue
        if shape not in outputs:
            return f"The model has {sampled} but no {shape} output."
        if read not in outputs or size <= 0:
            return (
                f"Under {mode} inference Unity reads {read} (with a positive {shape}); the "
                "model has no such output."
            )
    return _Actions(
        continuous_name, discrete_name, continuous_size, branches, sum(branches), True,
        continuous_name in outputs and continuous_size > 0,
        discrete_name in outputs and sum(branches) > 0,
    )  # fmt: skip


def _check_version(version: int, memory: int, package_version: str) -> list[str]:
    low, high = min(SUPPORTED_VERSIONS), max(SUPPORTED_VERSIONS)
    if version < low:
        return [
            f"The model API version is {version}, older than Unity {package_version} runs "
            f"(at least {low}): retrain with a newer trainer."
        ]
    if version > high:
        return [
            f"The model API version is {version}, newer than Unity {package_version} runs "
            f"(at most {high})."
        ]
    if version == 2 and memory > 0:
        return ["A model of API version 2 (ML-Agents 1.x) with memory is no longer supported."]
    return []


def _check_action_sizes(actions: _Actions, spec: ActionSpec) -> list[str]:
    """The model's action constants against the behavior's actions."""
    failures = []
    if actions.continuous_size != spec.continuous_size:
        failures.append(
            f"The model has {actions.continuous_size} continuous actions; the behavior has "
            f"{spec.continuous_size}."
        )
    wanted = [int(b) for b in spec.discrete_branches]
    if not actions.by_kind:
        if actions.discrete_total != sum(wanted):
            failures.append(
                f"The model's discrete actions add up to {actions.discrete_total}; the "
                f"behavior's branches add up to {sum(wanted)}."
            )
    elif len(actions.branches) != len(wanted):
        failures.append(
            f"The model has {len(actions.branches)} discrete branches; the behavior has "
            f"{len(wanted)}."
        )
    else:
        for k, (ours, theirs) in enumerate(zip(actions.branches, wanted)):
            if ours != theirs:
                failures.append(
                    f"Discrete branch {k} of the model has {ours} actions; the behavior's has "
                    f"{theirs}."
                )
                break
    return failures


def _check_action_rows(actions: _Actions, values: dict[str, np.ndarray]) -> list[str]:
    """What the runtime reads for a batch of agents: one row per agent, as wide as the
    model's own shape constant says."""
    wanted = []
    if actions.by_kind and actions.has_continuous:
        wanted.append((actions.continuous_name, actions.continuous_size, CONTINUOUS_SHAPE))
    if actions.by_kind and actions.has_discrete:
        wanted.append((actions.discrete_name, len(actions.branches), DISCRETE_SHAPE))
    failures = []
    for name, width, constant in wanted:
        shape = tuple(np.shape(values[name]))
        if shape != (_RUN_BATCH, width):
            failures.append(
                f"For {_RUN_BATCH} agents {name} is {list(shape)}; from its {constant} Unity "
                f"reads [{_RUN_BATCH}, {width}] (one row per agent)."
            )
    return failures


def check_model_for_unity(
    model: onnx.ModelProto | str | os.PathLike[str],
    behavior_spec: BehaviorSpec,
    package_version: str = PACKAGE_VERSION_3X,
    *,
    deterministic_inference: bool = False,
) -> list[str]:
    """What Unity of package_version finds wrong with model (an onnx.ModelProto or a path)
    for an agent of behavior_spec; an empty list when it would run it."""
    proto = _load(model)
    failures: list[str] = []
    if not channels_first(package_version):
        unknown = sorted({node.op_type for node in proto.graph.node} - BARRACUDA_OPERATORS)
        if unknown:
            failures.append(
                f"Operators Barracuda (Unity {package_version}) does not import: "
                f"{', '.join(unknown)}."
            )
    outputs = [output.name for output in proto.graph.output]
    for constant in (VERSION_NUMBER, MEMORY_SIZE):
        if constant not in outputs:
            return [*failures, f'Required constant "{constant}" is not in the model.']
    if not _ACTION_OUTPUTS & set(outputs):
        return [*failures, "The model has no action output."]
    inputs = model_inputs(proto)
    values, error = _run_on_zeros(proto, inputs)
    if error is not None:
        return [*failures, f"The model does not run on zero-filled inputs: {error}"]
    actions = _read_actions(outputs, values, deterministic_inference)
    if isinstance(actions, str):
        return [*failures, actions]

    version = _first_int(values, VERSION_NUMBER)
    if version is None or (channels_first(package_version) and version <= 0):
        version = -1  # how Sentis reads a missing or non-positive version
    memory = _first_int(values, MEMORY_SIZE)
    memory = -1 if memory is None else memory
    failures += _check_version(version, memory, package_version)
    if memory == -1:
        return [*failures, f"The model's {MEMORY_SIZE} is missing (-1)."]

    observations = list(behavior_spec.observation_specs)
    action_spec = behavior_spec.action_spec
    names_in = {item.name for item in inputs}
    if version == 3:
        failures += check_inputs(inputs, observations, action_spec, package_version)
        if memory > 0 and RECURRENT_IN not in names_in:
            failures.append(f"The model has memory_size {memory} but no {RECURRENT_IN} input.")
    elif version == 2:
        failures += check_legacy_inputs(inputs, observations, action_spec, package_version)
    if version in SUPPORTED_VERSIONS and actions.has_discrete and ACTION_MASKS not in names_in:
        failures.append(f"The model has discrete actions but no {ACTION_MASKS} input.")
    failures += [
        f"Input {item.name} is not float32 (ONNX type {item.elem_type}); Unity feeds every "
        "input as float32."
        for item in inputs
        if item.elem_type != onnx.TensorProto.FLOAT
    ]
    failures += _check_action_sizes(actions, action_spec)
    if memory > 0 and version == 3 and RECURRENT_OUT not in outputs:
        failures.append(f"The model has memory_size {memory} but no {RECURRENT_OUT} output.")
    failures += _check_action_rows(actions, values)
    return failures


def verify_model_for_unity(
    model: onnx.ModelProto | str | os.PathLike[str],
    behavior_spec: BehaviorSpec,
    package_version: str = PACKAGE_VERSION_3X,
    *,
    behavior_name: str = "this behavior",
    deterministic_inference: bool = False,
) -> None:
    """Raise UnityModelException listing what Unity of package_version finds wrong with
    model for behavior_spec; return quietly when it would run it."""
    failures = check_model_for_unity(
        model, behavior_spec, package_version, deterministic_inference=deterministic_inference
    )
    if failures:
        raise UnityModelException(failures, behavior_name, package_version)
