"""mlagents-learn writes results/<run-id>/run_logs/timers.json as ML-Agents does: the
hierarchical timers of the trainer loop, with its metadata, in ML-Agents' tree shape."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
import yaml

from devtools.envtest import free_port
from mlagents.trainers.learn import main

pytestmark = pytest.mark.slow

# default_settings, not a behavior's name: whatever name the environment sends trains so.
CONFIG = {
    "default_settings": {
        "trainer_type": "ppo",
        "hyperparameters": {"batch_size": 32, "buffer_size": 128, "num_epoch": 1},
        "network_settings": {"hidden_units": 16, "num_layers": 1},
        "max_steps": 400,
        "time_horizon": 16,
        "summary_freq": 200,
        "checkpoint_interval": 100000,
    }
}
NODE_KEYS = ("total", "count", "is_parallel", "self", "children")


def check_node(node: dict[str, Any], path: str) -> None:
    """Each node has ML-Agents' keys in ML-Agents' order, and consistent times."""
    keys = [k for k in NODE_KEYS if k in node]
    assert list(node) == keys, path
    assert {"total", "count", "self"} <= set(node), path
    assert 0.0 <= node["self"] <= node["total"] + 1e-9, path
    for name, child in node.get("children", {}).items():
        check_node(child, f"{path}/{name}")


@pytest.fixture(scope="module")
def timers_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("timers")
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLAGENTS_BINARIES_DIR", str(folder / "binaries"))
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = main(
                [
                    str(config),
                    "--env",
                    "Basic",
                    "--results-dir",
                    str(folder / "results"),
                    "--run-id",
                    "timed",
                    "--base-port",
                    str(free_port()),
                    "--no-graphics",
                    "--seed",
                    "3",
                ]
            )
    assert code == 0, output.getvalue()
    path = folder / "results" / "timed" / "run_logs" / "timers.json"
    assert path.is_file()
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_the_root_and_its_metadata(timers_json: dict[str, Any]) -> None:
    tree = timers_json
    assert list(tree) == ["name", "metadata", "total", "count", "self", "children"]
    assert (tree["name"], tree["count"]) == ("root", 1)
    metadata = tree["metadata"]
    assert list(metadata) == [
        "timer_format_version",
        "start_time_seconds",
        "python_version",
        "command_line_arguments",
        "mlagents_version",
        "mlagents_envs_version",
        "communication_protocol_version",
        "pytorch_version",
        "numpy_version",
        "end_time_seconds",
    ]
    assert all(isinstance(value, str) for value in metadata.values())
    assert metadata["timer_format_version"] == "0.1.0"
    assert metadata["communication_protocol_version"] == "1.5.0"
    assert int(metadata["end_time_seconds"]) >= int(metadata["start_time_seconds"])
    check_node({k: tree[k] for k in NODE_KEYS if k in tree}, "root")


def test_the_trainer_loop_phases(timers_json: dict[str, Any]) -> None:
    # Only this run's timers: the tree starts afresh with each run.
    assert list(timers_json["children"]) == ["TrainerController.start_learning"]
    learning = timers_json["children"]["TrainerController.start_learning"]
    assert learning["count"] == 1
    advance = learning["children"]["TrainerController.advance"]
    assert advance["count"] > 1
    env_step = advance["children"]["env_step"]
    assert env_step["count"] == advance["count"]  # one environment step per iteration
    assert env_step["children"]["TorchPolicy.get_action"]["count"] >= 1
    trainer = advance["children"]["trainer_advance"]
    assert trainer["count"] >= 1
    # 400 steps with a buffer of 128: the policy was updated.
    assert trainer["children"]["OnPolicyTrainer._update_policy"]["count"] >= 2
    assert trainer["children"]["OnPolicyTrainer._process_trajectory"]["count"] >= 1
    assert learning["total"] >= advance["total"] >= env_step["total"]
