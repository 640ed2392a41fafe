"""Unity's model checks refuse the models Unity would refuse: each test breaks one thing in a
good exported model (GridWorld's: an image, a goal signal, a masked discrete branch) and
shows the check that catches it, in the generation(s) where Unity would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.model_serialization import export_policy_model
from mlagents.trainers.torch.networks import Actor
from mlagents.trainers.torch.unity_model_checks import (
    UnityModelException,
    check_model_for_unity,
    verify_model_for_unity,
)
from mlagents_envs.base_env import ActionSpec, BehaviorSpec, ObservationSpec
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_envs.exception import UnityException
from tests.trainers.onnx_testing import GENERATIONS, make_env


def gridworld_spec(package_version: str) -> BehaviorSpec:
    with make_env("GridWorld", package_version) as env:
        env.reset()
        return next(iter(env.behavior_specs.values()))


def export(spec: BehaviorSpec, path: Path) -> onnx.ModelProto:
    export_policy_model(Actor(spec, NetworkSettings(hidden_units=16)), path)
    return onnx.load(str(path))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[BehaviorSpec, bytes]]:
    """GridWorld's spec and a good model for it, per generation (as bytes: each test edits
    its own copy)."""
    folder = tmp_path_factory.mktemp("models")
    found = {}
    for package_version in GENERATIONS:
        spec = gridworld_spec(package_version)
        model = export(spec, folder / f"{package_version}.onnx")
        found[package_version] = (spec, model.SerializeToString())
    return found


def good(models: dict, package_version: str) -> tuple[BehaviorSpec, onnx.ModelProto]:
    spec, data = models[package_version]
    return spec, onnx.load_from_string(data)


def constant_source(model: onnx.ModelProto, output: str) -> onnx.TensorProto:
    """The initializer that an output constant (version_number, ...) is read from."""
    (node,) = [n for n in model.graph.node if output in n.output]
    assert node.op_type == "Identity"
    (tensor,) = [t for t in model.graph.initializer if t.name == node.input[0]]
    return tensor


def set_constant(model: onnx.ModelProto, output: str, values: list[float]) -> None:
    tensor = constant_source(model, output)
    tensor.CopyFrom(numpy_helper.from_array(np.array(values, np.float32), tensor.name))


def drop_output(model: onnx.ModelProto, name: str) -> None:
    (output,) = [o for o in model.graph.output if o.name == name]
    model.graph.output.remove(output)


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_the_good_model_passes(models: dict, package_version: str) -> None:
    spec, model = good(models, package_version)
    assert check_model_for_unity(model, spec, package_version) == []
    verify_model_for_unity(model, spec, package_version)  # does not raise


@pytest.mark.parametrize("package_version", GENERATIONS)
@pytest.mark.parametrize(
    ("version", "problem"),
    [(4.0, "newer than"), (1.0, "older than"), (0.0, "older than")],
)
def test_wrong_version_number(
    models: dict, package_version: str, version: float, problem: str
) -> None:
    spec, model = good(models, package_version)
    set_constant(model, "version_number", [version])
    (failure,) = check_model_for_unity(model, spec, package_version)
    assert problem in failure
    # 3.x (Sentis) takes a version of 0 or less for a missing one (-1); 2.x reads it as is.
    if version == 0.0:
        shown = -1 if package_version == PACKAGE_VERSION_3X else 0
        assert f"version is {shown}," in failure


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_missing_action_masks(models: dict, package_version: str) -> None:
    """The masks turned into a constant: a model that cannot take the agents' masks."""
    spec, model = good(models, package_version)
    (masks,) = [i for i in model.graph.input if i.name == "action_masks"]
    model.graph.input.remove(masks)
    ones = np.ones((1, sum(spec.action_spec.discrete_branches)), np.float32)
    model.graph.initializer.append(numpy_helper.from_array(ones, "action_masks"))
    assert check_model_for_unity(model, spec, package_version) == [
        "The model has discrete actions but no action_masks input."
    ]


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_wrong_image_input_shape(tmp_path: Path, models: dict, package_version: str) -> None:
    """A model made for a smaller camera (36 x 36) than the behavior's (42 x 42)."""
    spec, _ = good(models, package_version)
    image = spec.observation_specs[0]
    small = (3, 36, 36) if package_version == PACKAGE_VERSION_3X else (36, 36, 3)
    other = BehaviorSpec(
        [image._replace(shape=small), *spec.observation_specs[1:]], spec.action_spec
    )
    model = export(other, tmp_path / "small.onnx")
    (failure,) = check_model_for_unity(model, spec, package_version)
    assert failure.startswith("Input obs_0 is [?, 3, 36, 36] but observation 0")
    assert failure.endswith("needs [?, 3, 42, 42].")


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_image_input_taken_channels_last_fails_both_generations(
    models: dict, package_version: str
) -> None:
    """A model that takes the image as N, H, W, C and transposes it itself (the mistake of
    exporting the spec's 2.x shape as is, or of reading a 3.x spec as H, W, C): Unity feeds
    N, C, H, W in both generations, and refuses it in both."""
    spec, model = good(models, package_version)
    (obs,) = [i for i in model.graph.input if i.name == "obs_0"]
    channels_last = helper.make_tensor_value_info(
        "obs_0", onnx.TensorProto.FLOAT, ["batch", 42, 42, 3]
    )
    for node in model.graph.node:
        node.input[:] = ["obs_0_nchw" if name == "obs_0" else name for name in node.input]
    model.graph.node.insert(
        0, helper.make_node("Transpose", ["obs_0"], ["obs_0_nchw"], perm=[0, 3, 1, 2])
    )
    obs.CopyFrom(channels_last)
    onnx.checker.check_model(model)
    (failure,) = check_model_for_unity(model, spec, package_version)
    assert failure.startswith("Input obs_0 is [?, 42, 42, 3]")
    assert failure.endswith("needs [?, 3, 42, 42].")


def test_each_generation_reads_image_specs_its_own_way(models: dict) -> None:
    """The model for the 2.x spec (42, 42, 3) would be wrong for a 3.x build declaring the
    same shape (which it would read as 42 channels of 42 x 3), and the other way round."""
    spec_2x, model_2x = good(models, PACKAGE_VERSION_2X)
    spec_3x, model_3x = good(models, PACKAGE_VERSION_3X)
    (failure,) = check_model_for_unity(model_2x, spec_2x, PACKAGE_VERSION_3X)
    assert "read as (C, H, W) by Unity 3.0.0) needs [?, 42, 42, 3]" in failure
    (failure,) = check_model_for_unity(model_3x, spec_3x, PACKAGE_VERSION_2X)
    assert "read as (H, W, C) by Unity 2.2.1-exp.1) needs [?, 42, 3, 42]" in failure


@pytest.mark.parametrize("package_version", GENERATIONS)
@pytest.mark.parametrize("constant", ["version_number", "memory_size"])
def test_missing_constant_stops_the_checks(
    models: dict, package_version: str, constant: str
) -> None:
    spec, model = good(models, package_version)
    drop_output(model, constant)
    other = BehaviorSpec(spec.observation_specs, ActionSpec.create_discrete((2, 2)))
    assert check_model_for_unity(model, other, package_version) == [
        f'Required constant "{constant}" is not in the model.'
    ]


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_deterministic_inference_needs_the_deterministic_output(
    models: dict, package_version: str
) -> None:
    spec, model = good(models, package_version)
    drop_output(model, "deterministic_discrete_actions")
    assert check_model_for_unity(model, spec, package_version) == []
    (failure,) = check_model_for_unity(model, spec, package_version, deterministic_inference=True)
    assert "Under deterministic inference Unity reads deterministic_discrete_actions" in failure


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_action_sizes_against_the_behavior(models: dict, package_version: str) -> None:
    spec, model = good(models, package_version)
    observations = spec.observation_specs
    wider = BehaviorSpec(observations, ActionSpec.create_discrete((6,)))
    assert check_model_for_unity(model, wider, package_version) == [
        "Discrete branch 0 of the model has 5 actions; the behavior's has 6."
    ]
    hybrid = BehaviorSpec(observations, ActionSpec.create_hybrid(2, (5, 2)))
    assert check_model_for_unity(model, hybrid, package_version) == [
        "The model has 0 continuous actions; the behavior has 2.",
        "The model has 1 discrete branches; the behavior has 2.",
    ]


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_shape_constant_that_lies_about_the_output(models: dict, package_version: str) -> None:
    """discrete_action_output_shape says two branches; the output has one column. The
    behavior is made to agree with the constant, so only the output's width is wrong."""
    _, model = good(models, package_version)
    spec, _ = good(models, package_version)
    set_constant(model, "discrete_action_output_shape", [3.0, 2.0])
    two = BehaviorSpec(spec.observation_specs, ActionSpec.create_discrete((3, 2)))
    assert check_model_for_unity(model, two, package_version) == [
        "For 2 agents discrete_actions is [2, 1]; from its discrete_action_output_shape Unity "
        "reads [2, 2] (one row per agent)."
    ]


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_observation_without_input_and_input_unity_does_not_feed(
    models: dict, package_version: str
) -> None:
    spec, model = good(models, package_version)
    extra = ObservationSpec(
        (4,),
        spec.observation_specs[1].dimension_property,
        spec.observation_specs[1].observation_type,
        "extra",
    )
    more = BehaviorSpec([*spec.observation_specs, extra], spec.action_spec)
    assert check_model_for_unity(model, more, package_version) == [
        "The model has no input obs_2 for observation 2 ('extra')."
    ]
    model.graph.input.append(
        helper.make_tensor_value_info("temperature", onnx.TensorProto.FLOAT, ["batch", 1])
    )
    assert check_model_for_unity(model, spec, package_version) == [
        "The model has an input Unity does not feed: temperature."
    ]


def test_operators_barracuda_does_not_import_fail_only_in_2x(models: dict) -> None:
    """Barracuda (2.x) imports a fixed set of ONNX operators; Sentis (3.x) nearly all."""
    for package_version in GENERATIONS:
        spec, model = good(models, package_version)
        leaky = next(node for node in model.graph.node if node.op_type == "LeakyRelu")
        leaky.op_type = "Softsign"
        del leaky.attribute[:]
        failures = check_model_for_unity(model, spec, package_version)
        if package_version == PACKAGE_VERSION_2X:
            assert failures == [
                "Operators Barracuda (Unity 2.2.1-exp.1) does not import: Softsign."
            ]
        else:
            assert failures == []


@pytest.mark.parametrize("package_version", GENERATIONS)
def test_verify_raises_a_unity_exception_listing_the_failures(
    tmp_path: Path, models: dict, package_version: str
) -> None:
    spec, model = good(models, package_version)
    set_constant(model, "version_number", [7.0])
    path = tmp_path / "broken.onnx"
    onnx.save(model, str(path))
    with pytest.raises(UnityModelException) as caught:
        verify_model_for_unity(path, spec, package_version, behavior_name="GridWorld?team=0")
    assert isinstance(caught.value, UnityException)
    message = str(caught.value)
    assert f"Unity {package_version} would not run this model for GridWorld?team=0" in message
    assert "The model API version is 7, newer than" in message
    assert caught.value.failures == check_model_for_unity(path, spec, package_version)
