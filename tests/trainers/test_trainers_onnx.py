"""The exported ONNX model follows Unity's contract and acts as the torch policy does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from mlagents.trainers.settings import NetworkSettings
from mlagents.trainers.torch.model_serialization import export_policy_model
from mlagents.trainers.torch.networks import ActorCritic
from mlagents_envs.base_env import (
    ActionSpec,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)

VECTOR = ObservationSpec((8,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "vector")
IMAGE = ObservationSpec(
    (40, 40, 3),
    (DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,) * 2 + (DimensionProperty.NONE,),
    ObservationType.DEFAULT,
    "camera",
)
GOAL = ObservationSpec((2,), (DimensionProperty.NONE,), ObservationType.GOAL_SIGNAL, "goal")


@pytest.mark.parametrize(
    ("action", "observations", "outputs"),
    [
        (ActionSpec.create_continuous(2), [VECTOR], ["continuous_actions"]),
        (ActionSpec.create_discrete((3, 2)), [IMAGE, GOAL], ["discrete_actions"]),
        (
            ActionSpec.create_hybrid(2, (3,)),
            [VECTOR, IMAGE],
            ["continuous_actions", "discrete_actions"],
        ),
    ],
)
def test_contract_and_deterministic_actions(
    tmp_path: Path, action: ActionSpec, observations: list, outputs: list[str]
) -> None:
    spec = BehaviorSpec(observations, action)
    network = ActorCritic(spec, NetworkSettings(normalize=True, hidden_units=16))
    # A normalizer that saw data, so that its statistics must travel in the model.
    vectors = [o for o in observations if len(o.shape) == 1]
    if vectors:
        network.update_normalization([torch.randn(50, *o.shape) * 3 + 1 for o in observations])
    path = tmp_path / "policy.onnx"
    export_policy_model(network, path)
    model = onnx.load(str(path))
    assert model.opset_import[0].version == 9
    session = onnxruntime.InferenceSession(str(path))
    names_in = [i.name for i in session.get_inputs()]
    expected_in = [f"obs_{k}" for k in range(len(observations))]
    if action.discrete_branches:
        expected_in.append("action_masks")
    assert names_in == expected_in
    names_out = [o.name for o in session.get_outputs()]
    assert names_out[:2] == ["version_number", "memory_size"]
    for name in outputs:
        kind = name.removesuffix("_actions")
        assert [name, f"{kind}_action_output_shape", f"deterministic_{name}"] == names_out[
            names_out.index(name) : names_out.index(name) + 3
        ]

    rng = np.random.default_rng(0)
    feeds, tensors = {}, []
    for k, obs in enumerate(observations):
        if len(obs.shape) == 3:
            value = rng.random((4, obs.shape[2], obs.shape[0], obs.shape[1]), dtype=np.float32)
        else:
            value = rng.standard_normal((4, *obs.shape)).astype(np.float32)
        feeds[f"obs_{k}"] = value
        tensors.append(torch.as_tensor(value))
    masks = None
    if action.discrete_branches:
        mask = np.ones((4, sum(action.discrete_branches)), np.float32)
        mask[:, 0] = 0  # the first action of the first branch is not allowed
        feeds["action_masks"] = mask
        masks = torch.as_tensor(mask)
    results = dict(zip(names_out, session.run(None, feeds)))
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
