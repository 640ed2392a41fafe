"""mlagents-learn with trainer_type poca on the registry's PushBlock executable: a run
writes a checkpoint with the group critic and an ONNX model that passes Unity's checks;
--resume continues from the same critic, Adam and step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from devtools.envtest import free_port
from mlagents.trainers.learn import main
from mlagents.trainers.torch.unity_model_checks import check_model_for_unity
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X
from mlagents_sim.catalog import make_simulation

pytestmark = pytest.mark.slow


def write_config(folder: Path, max_steps: int) -> Path:
    config = {
        "behaviors": {
            "PushBlock": {
                "trainer_type": "poca",
                "hyperparameters": {"batch_size": 64, "buffer_size": 256},
                "network_settings": {"hidden_units": 32, "num_layers": 1},
                "max_steps": max_steps,
                "checkpoint_interval": 600,
                "time_horizon": 32,
                "summary_freq": 600,
            }
        }
    }
    path = folder / f"poca-{max_steps}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def learn(config: Path, results: Path, *flags: str) -> int:
    command = [str(config), "--env", "PushBlock", "--results-dir", str(results)]
    command += ["--base-port", str(free_port()), "--no-graphics", "--seed", "1"]
    return main([*command, "--run-id", "poca", *flags])


def test_poca_runs_checkpoints_exports_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLAGENTS_BINARIES_DIR", str(tmp_path / "binaries"))
    results = tmp_path / "results"
    assert learn(write_config(tmp_path, 1200), results) == 0
    run = results / "poca"
    before = torch.load(run / "PushBlock" / "checkpoint.pt", weights_only=True)
    assert before["trainer_type"] == "poca" and before["step"] >= 1200
    critic = before["optimizer"]["critic"]
    assert any(k.startswith("body.attention.") for k in critic)
    assert float(critic["body.max_agents"]) == 3  # the group's three members were seen
    (behavior,) = make_simulation("PushBlock").behaviors
    assert check_model_for_unity(run / "PushBlock.onnx", behavior.spec, PACKAGE_VERSION_2X) == []

    assert learn(write_config(tmp_path, 1800), results, "--resume") == 0
    after = torch.load(run / "PushBlock" / "checkpoint.pt", weights_only=True)
    assert after["step"] >= 1800

    def adam_steps(state: dict) -> float:
        return max(float(s["step"]) for s in state["optimizer"]["adam"]["state"].values())

    assert adam_steps(after) > adam_steps(before)
    assert float(after["optimizer"]["critic"]["body.max_agents"]) == 3
