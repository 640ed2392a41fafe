"""Export of a policy to the ONNX model that Unity runs (model API version 3, opset 9).

Inputs: obs_0, obs_1, ... (the batch dimension dynamic) and, with discrete actions,
action_masks (float, 1 = allowed). Outputs: version_number, memory_size, then
continuous_actions / continuous_action_output_shape / deterministic_continuous_actions and
discrete_actions / discrete_action_output_shape / deterministic_discrete_actions as the
action spec has them. Continuous actions go through the same clamp-and-scale as in training.

Images are N, C, H, W at the model's input for either generation of Unity builds: a 2.x
spec declares (H, W, C) and its input is that shape reordered; a 3.x spec declares
(C, H, W) and its input takes the spec's order. The graph holds no transpose, since the
network itself takes N, C, H, W. `unity_model_checks` checks a model the way Unity does.
"""

from __future__ import annotations

import os
import warnings

import torch
from torch import nn

from mlagents.trainers.torch.networks import ACTION_CLAMP, ActorCritic
from mlagents_envs.codec.generation import image_chw

MODEL_API_VERSION = 3
OPSET = 9


class _Exported(nn.Module):
    def __init__(self, network: ActorCritic) -> None:
        super().__init__()
        self.network = network
        self.n_obs = len(network.spec.observation_specs)
        action = network.spec.action_spec
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
        mu, sigma, logits = self.network._heads(observations, masks)
        outputs: list[torch.Tensor] = [self.version_number, self.memory_size]
        if mu is not None and sigma is not None:
            sampled = mu + sigma * torch.randn_like(mu)
            outputs += [
                torch.clamp(sampled, -ACTION_CLAMP, ACTION_CLAMP) / ACTION_CLAMP,
                self.continuous_shape,
                torch.clamp(mu, -ACTION_CLAMP, ACTION_CLAMP) / ACTION_CLAMP,
            ]
        if logits:
            sampled_branches = [torch.multinomial(torch.exp(b), 1) for b in logits]
            greedy = [torch.argmax(b, dim=1, keepdim=True) for b in logits]
            outputs += [
                torch.cat(sampled_branches, dim=1),
                self.discrete_shape,
                torch.cat(greedy, dim=1),
            ]
        return tuple(outputs)


def input_names(network: ActorCritic) -> list[str]:
    names = [f"obs_{k}" for k in range(len(network.spec.observation_specs))]
    if network.spec.action_spec.discrete_branches:
        names.append("action_masks")
    return names


def output_names(network: ActorCritic) -> list[str]:
    names = ["version_number", "memory_size"]
    action = network.spec.action_spec
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


def export_policy_model(network: ActorCritic, path: str | os.PathLike[str]) -> None:
    """Write network's actor as an ONNX model for Unity at path."""
    module = _Exported(network).eval()
    dummies: list[torch.Tensor] = []
    for spec in network.spec.observation_specs:
        shape = image_chw(spec) if len(spec.shape) == 3 else tuple(spec.shape)
        dummies.append(torch.zeros((1, *shape)))
    branches = network.spec.action_spec.discrete_branches
    if branches:
        dummies.append(torch.ones((1, sum(branches))))
    names_in = input_names(network)
    names_out = output_names(network)
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
