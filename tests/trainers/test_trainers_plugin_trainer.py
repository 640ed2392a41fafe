"""A trainer from another package: installed under the entry-point group
`mlagents.trainer_type`, it trains with mlagents-learn through the factory, without any
change to the controller, and its own state goes into the checkpoints."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from devtools.envtest import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = """
    from __future__ import annotations

    from dataclasses import dataclass

    from mlagents.trainers.ppo.settings import PPOSettings
    from mlagents.trainers.ppo.trainer import PPOTrainer


    @dataclass(frozen=True, kw_only=True)
    class CountingSettings(PPOSettings):
        label: str = "unnamed"


    class CountingTrainer(PPOTrainer):
        # PPO that counts its updates and keeps the count in its checkpoints.
        updates = 0

        @classmethod
        def get_trainer_name(cls) -> str:
            return "counting_ppo"

        def _update_policy(self) -> bool:
            self.updates += 1
            return super()._update_policy()

        def checkpoint_state(self):
            state = super().checkpoint_state()
            state["counted"] = {"updates": self.updates, "label": self.hyperparameters.label}
            return state


    def get_type_and_setting():
        return {"counting_ppo": CountingTrainer}, {"counting_ppo": CountingSettings}
"""


def test_a_plugin_trainer_trains_with_mlagents_learn(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "counting_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "counting_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: counting-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[mlagents.trainer_type]\ncounting_ppo = counting_plugin:get_type_and_setting\n"
    )
    config = {
        "behaviors": {
            "Basic": {
                "trainer_type": "counting_ppo",
                "hyperparameters": {"batch_size": 32, "buffer_size": 256, "label": "mine"},
                "network_settings": {"hidden_units": 16, "num_layers": 1},
                "max_steps": 800,
                "time_horizon": 3,
                "summary_freq": 400,
            }
        }
    }
    path = tmp_path / "counting.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src"), str(ROOT)]),
        "MLAGENTS_BINARIES_DIR": str(tmp_path / "binaries"),
    }
    command = [sys.executable, "-m", "mlagents.trainers.learn", str(path), "--env", "Basic"]
    command += ["--results-dir", str(tmp_path / "results"), "--run-id", "plugin"]
    command += ["--base-port", str(free_port()), "--no-graphics", "--seed", "1"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    run = tmp_path / "results" / "plugin"
    state = torch.load(run / "Basic" / "checkpoint.pt", weights_only=True)
    assert state["trainer_type"] == "counting_ppo"
    # 800 steps with a buffer of 256: three updates, counted by the plugin's own code.
    assert state["counted"] == {"updates": 3, "label": "mine"}
    resolved = yaml.safe_load((run / "configuration.yaml").read_text())
    assert resolved["behaviors"]["Basic"]["hyperparameters"]["label"] == "mine"
    assert (run / "Basic.onnx").is_file()
