"""The exported ONNX model follows Unity's contract in both generations of Unity builds, passes
the checks Unity makes when it loads a model, and acts as the torch policy does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from onnx import numpy_helper

from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.model_serialization import export_policy_model
from mlagents.trainers.torch.networks import Actor, observation_tensors
from mlagents.trainers.torch.unity_model_checks import check_model_for_unity
from mlagents.trainers.torch_policy import TorchPolicy
from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X, PACKAGE_VERSION_3X
from mlagents_sim.catalog import ENVIRONMENTS
from tests.trainers.onnx_testing import (
    GENERATIONS,
    decision_batches,
    make_env,
    network_settings,
    unity_feeds,
)

SPATIAL = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
VECTOR = ObservationSpec((8,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "vector")
GOAL = ObservationSpec((2,), (DimensionProperty.NONE,), ObservationType.GOAL_SIGNAL, "goal")
# Not square, so that a height/width mix-up cannot pass for the right layout.
IMAGE = {
    PACKAGE_VERSION_2X: ObservationSpec(
        (40, 48, 3), (SPATIAL, SPATIAL, DimensionProperty.NONE), ObservationType.DEFAULT, "cam"
    ),
    PACKAGE_VERSION_3X: ObservationSpec(
        (3, 40, 48), (DimensionProperty.NONE, SPATIAL, SPATIAL), ObservationType.DEFAULT, "cam"
    ),
}


def session(path: Path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("package_version", GENERATIONS)
@pytest.mark.parametrize(
    ("action", "kinds", "outputs"),
    [
        (ActionSpec.create_continuous(2), ["vector"], ["continuous_actions"]),
        (ActionSpec.create_discrete((3, 2)), ["image", "goal"], ["discrete_actions"]),
        (
            ActionSpec.create_hybrid(2, (3,)),
            ["vector", "image"],
            ["continuous_actions", "discrete_actions"],
        ),
    ],
)
def test_contract_and_deterministic_actions(
    tmp_path: Path, package_version: str, action: ActionSpec, kinds: list[str], outputs: list
) -> None:
    observations = [
        {"vector": VECTOR, "goal": GOAL, "image": IMAGE[package_version]}[kind] for kind in kinds
    ]
    spec = BehaviorSpec(observations, action)
    network = Actor(spec, NetworkSettings(normalize=True, hidden_units=16))
    if "vector" in kinds:
        # A normalizer that saw data, so that its statistics must travel in the model.
        network.update_normalization([torch.randn(50, *o.shape) * 3 + 1 for o in observations])
    path = tmp_path / "policy.onnx"
    export_policy_model(network, path)
    model = onnx.load(str(path))
    assert model.opset_import[0].version == 9
    # Images are N, C, H, W at the input in both generations, and nothing transposes them.
    dims = {
        i.name: [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]
        for i in model.graph.input
    }
    for k, kind in enumerate(kinds):
        if kind == "image":
            assert dims[f"obs_{k}"] == ["batch", 3, 40, 48]
    assert "Transpose" not in {node.op_type for node in model.graph.node}
    assert check_model_for_unity(model, spec, package_version) == []

    runner = session(path)
    names_in = [i.name for i in runner.get_inputs()]
    expected_in = [f"obs_{k}" for k in range(len(observations))]
    if action.discrete_branches:
        expected_in.append("action_masks")
    assert names_in == expected_in
    names_out = [o.name for o in runner.get_outputs()]
    assert names_out[:2] == ["version_number", "memory_size"]
    for name in outputs:
        kind = name.removesuffix("_actions")
        assert [name, f"{kind}_action_output_shape", f"deterministic_{name}"] == names_out[
            names_out.index(name) : names_out.index(name) + 3
        ]

    rng = np.random.default_rng(0)
    feeds, tensors = {}, []
    for k, kind in enumerate(kinds):
        if kind == "image":
            value = rng.random((4, 3, 40, 48), dtype=np.float32)
        else:
            value = rng.standard_normal((4, *observations[k].shape)).astype(np.float32)
        feeds[f"obs_{k}"] = value
        tensors.append(torch.as_tensor(value))
    masks = None
    if action.discrete_branches:
        mask = np.ones((4, sum(action.discrete_branches)), np.float32)
        mask[:, 0] = 0  # the first action of the first branch is not allowed
        feeds["action_masks"] = mask
        masks = torch.as_tensor(mask)
    results = dict(zip(names_out, runner.run(None, feeds)))
    assert results["version_number"].tolist() == [3.0] and results["memory_size"].tolist() == [0]
    with torch.no_grad():
        expected = network.act(tensors, masks, deterministic=True)
    if action.continuous_size:
        want = np.clip(expected.continuous.numpy(), -3, 3) / 3
        np.testing.assert_allclose(results["deterministic_continuous_actions"], want, atol=1e-5)
        assert results["continuous_action_output_shape"].tolist() == [action.continuous_size]
        assert np.abs(results["continuous_actions"]).max() <= 1.0
    if action.discrete_branches:
        np.testing.assert_array_equal(
            results["deterministic_discrete_actions"], expected.discrete.numpy()
        )
        assert results["discrete_action_output_shape"].tolist() == list(action.discrete_branches)
        assert (results["discrete_actions"][:, 0] != 0).all()  # masked action never sampled


def exported_policy(
    env_name: str, behavior: str, spec: BehaviorSpec, batches: list, path: Path
) -> TorchPolicy:
    """A policy as config/ppo makes it for the behavior, its normalizer fed real
    observations, exported to path."""
    policy = TorchPolicy(spec, network_settings(env_name, behavior), seed=1)
    network = policy.actor
    network.update_normalization(observation_tensors(batches[0].obs, network.channels_last))
    export_policy_model(network, path)
    return policy


@pytest.mark.parametrize("package_version", GENERATIONS)
@pytest.mark.parametrize("env_name", sorted(ENVIRONMENTS))
def test_every_environment_exports_a_model_unity_runs(
    tmp_path: Path, env_name: str, package_version: str
) -> None:
    """Each behavior of each built-in environment, in either generation: the exported model
    passes Unity's checks for that generation, and on the environment's own observations
    (fed as Unity feeds them) gives the torch policy's deterministic actions."""
    with make_env(env_name, package_version, seed=3) as env:
        batches = decision_batches(env, steps=12, seed=3)
        specs = dict(env.behavior_specs)
    assert specs and all(batches[name] for name in specs)
    for index, (behavior, spec) in enumerate(specs.items()):
        path = tmp_path / f"behavior{index}.onnx"
        policy = exported_policy(env_name, behavior, spec, batches[behavior], path)
        assert check_model_for_unity(path, spec, package_version) == []
        assert (
            check_model_for_unity(path, spec, package_version, deterministic_inference=True) == []
        )

        policy.deterministic = True
        runner = session(path)
        names = [o.name for o in runner.get_outputs()]
        compared = 0
        for decisions in batches[behavior]:
            feeds = unity_feeds(decisions, spec, package_version)
            # The network sees in training exactly the numbers Unity feeds the model.
            seen = observation_tensors(decisions.obs, policy.actor.channels_last)
            for k, tensor in enumerate(seen):
                np.testing.assert_array_equal(tensor.numpy(), feeds[f"obs_{k}"])
            results = dict(zip(names, runner.run(None, feeds)))
            actions = policy.get_action(decisions).env_action
            if spec.action_spec.continuous_size:
                np.testing.assert_allclose(
                    results["deterministic_continuous_actions"], actions.continuous, atol=1e-5
                )
            if spec.action_spec.discrete_branches:
                np.testing.assert_array_equal(
                    results["deterministic_discrete_actions"], actions.discrete
                )
            compared += len(decisions)
        assert compared >= 2, (env_name, behavior)


@pytest.mark.parametrize("env_name", ["GridWorld", "VisualHallway"])
def test_one_network_exports_the_same_model_for_both_generations(
    tmp_path: Path, env_name: str
) -> None:
    """The same environment seen through a 2.x and a 3.x build: the specs differ in image
    layout, the networks (same seed) are the same, and so are the exported models: same
    input shapes (N, C, H, W) and the same actions for the same frames."""
    models, feeds = {}, {}
    for package_version in GENERATIONS:
        with make_env(env_name, package_version, seed=5) as env:
            batches = decision_batches(env, steps=4, seed=5)
            ((behavior, spec),) = env.behavior_specs.items()
        path = tmp_path / f"{package_version}.onnx"
        exported_policy(env_name, behavior, spec, batches[behavior], path)
        models[package_version] = onnx.load(str(path))
        feeds[package_version] = unity_feeds(batches[behavior][-1], spec, package_version)
    old, new = models[PACKAGE_VERSION_2X], models[PACKAGE_VERSION_3X]
    assert [str(i.type) for i in old.graph.input] == [str(i.type) for i in new.graph.input]
    weights = [{t.name: numpy_helper.to_array(t) for t in m.graph.initializer} for m in (old, new)]
    assert weights[0].keys() == weights[1].keys()
    for name, value in weights[0].items():
        np.testing.assert_array_equal(value, weights[1][name])
    # Unity fills the model's inputs with the same numbers from either build.
    for name, value in feeds[PACKAGE_VERSION_2X].items():
        np.testing.assert_array_equal(value, feeds[PACKAGE_VERSION_3X][name])
    outputs = {version: session_run(model, feeds[version]) for version, model in models.items()}
    for name, value in outputs[PACKAGE_VERSION_2X].items():
        if name not in ("continuous_actions", "discrete_actions"):  # sampled: random
            np.testing.assert_allclose(value, outputs[PACKAGE_VERSION_3X][name], atol=1e-6)


def session_run(model: onnx.ModelProto, feeds: dict) -> dict[str, np.ndarray]:
    runner = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return dict(zip([o.name for o in runner.get_outputs()], runner.run(None, feeds)))
