"""Export of a policy to the ONNX model that Unity runs (model API version 3, opset 9).

Inputs: obs_0, obs_1, ... (the batch dimension dynamic) and, with discrete actions,
action_masks (float, 1 = allowed). Outputs: version_number, memory_size, then
continuous_actions / continuous_action_output_shape / deterministic_continuous_actions and
discrete_actions / discrete_action_output_shape / deterministic_discrete_actions as the
action spec has them. Continuous actions leave as the environment gets them in training
(the action model's export outputs).

Images are N, C, H, W at the model's input for either generation of Unity builds: a 2.x
spec declares (H, W, C) and its input is that shape reordered; a 3.x spec declares
(C, H, W) and its input takes the spec's order. The graph holds no transpose, since the
actor itself takes N, C, H, W. `unity_model_checks` checks a model the way Unity does.
"""

from __future__ import annotations

import os
import warnings

import torch
from torch import nn

from mlagents.trainers.torch.networks import Actor
from mlagents_envs.codec.generation import image_chw

MODEL_API_VERSION = 3
OPSET = 9


class _Exported(nn.Module):
    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor
        self.n_obs = len(actor.spec.observation_specs)
        action = actor.spec.action_spec
        # Constants as parameters: Unity reads them as tensors of the model.
        constant = lambda values: nn.Parameter(  # noqa: E731
            torch.tensor(values, dtype=torch.float32), requires_grad=False
        )
        self.version_number = constant([float(MODEL_API_VERSION)])
        self.memory_size = constant([0.0])
        self.continuous_shape = constant([float(action.continuous_size)])
        self.discrete_shape = constant([float(b) for b in action.discrete_branches])

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        observations = list(inputs[: self.n_obs])
        masks = inputs[self.n_obs] if len(inputs) > self.n_obs else None
        code = self.actor.body(observations)
        continuous, discrete = self.actor.action_model.export_outputs(code, masks)
        outputs: list[torch.Tensor] = [self.version_number, self.memory_size]
        if continuous:
            outputs += [continuous[0], self.continuous_shape, continuous[1]]
        if discrete:
            outputs += [discrete[0], self.discrete_shape, discrete[1]]
        return tuple(outputs)


def input_names(actor: Actor) -> list[str]:
    names = [f"obs_{k}" for k in range(len(actor.spec.observation_specs))]
    if actor.spec.action_spec.discrete_branches:
        names.append("action_masks")
    return names


def output_names(actor: Actor) -> list[str]:
    names = ["version_number", "memory_size"]
    action = actor.spec.action_spec
    if action.continuous_size:
        names += [
            "continuous_actions",
            "continuous_action_output_shape",
            "deterministic_continuous_actions",
        ]
    if action.discrete_branches:
        names += [
            "discrete_actions",
            "discrete_action_output_shape",
            "deterministic_discrete_actions",
        ]
    return names


def export_policy_model(actor: Actor, path: str | os.PathLike[str]) -> None:
    """Write actor as an ONNX model for Unity at path."""
    module = _Exported(actor).eval()
    dummies: list[torch.Tensor] = []
    for spec in actor.spec.observation_specs:
        shape = image_chw(spec) if len(spec.shape) == 3 else tuple(spec.shape)
        dummies.append(torch.zeros((1, *shape)))
    branches = actor.spec.action_spec.discrete_branches
    if branches:
        dummies.append(torch.ones((1, sum(branches))))
    names_in = input_names(actor)
    names_out = output_names(actor)
    batched_outputs = {
        "continuous_actions",
        "deterministic_continuous_actions",
        "discrete_actions",
        "deterministic_discrete_actions",
    }
    dynamic_axes = {name: {0: "batch"} for name in names_in}
    dynamic_axes.update({name: {0: "batch"} for name in names_out if name in batched_outputs})
    with warnings.catch_warnings():
        # The TorchScript exporter warns that it is the legacy path: opset 9 needs it.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            tuple(dummies),
            str(path),
            input_names=names_in,
            output_names=names_out,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
