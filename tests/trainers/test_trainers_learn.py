"""mlagents-learn end to end on Basic (the registry's executable): results, a used run id,
--force, --resume, --inference, curricula, configuration errors."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from devtools.envtest import free_port
from mlagents.trainers.learn import main
from tests.trainers.learn_testing import learn_basic

pytestmark = pytest.mark.slow

BASIC = {
    "behaviors": {
        "Basic": {
            "trainer_type": "ppo",
            "hyperparameters": {"batch_size": 32, "buffer_size": 256, "num_epoch": 3},
            "network_settings": {"normalize": True, "hidden_units": 20, "num_layers": 1},
            "reward_signals": {"extrinsic": {"gamma": 0.9, "strength": 1.0}},
            "keep_checkpoints": 2,
            "checkpoint_interval": 1000,
            "max_steps": 3000,
            "time_horizon": 3,
            "summary_freq": 1000,
        }
    },
    # A parameter Basic ignores, to see a curriculum move on by training progress.
    "environment_parameters": {
        "unused_level": {
            "curriculum": [
                {
                    "name": "easy",
                    "value": 1.0,
                    "completion_criteria": {
                        "behavior": "Basic",
                        "measure": "progress",
                        "threshold": 0.3,
                    },
                },
                {"name": "hard", "value": 2.0},
            ]
        }
    },
}


def write_config(folder: Path, max_steps: int, name: str) -> Path:
    config = yaml.safe_load(yaml.safe_dump(BASIC))
    config["behaviors"]["Basic"]["max_steps"] = max_steps
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


learn = learn_basic


def checkpoint(run: Path) -> dict:
    return torch.load(run / "Basic" / "checkpoint.pt", weights_only=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One 3000-step run of Basic, shared (copied) by the tests; and its console output."""
    folder = tmp_path_factory.mktemp("learn")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLAGENTS_BINARIES_DIR", str(folder / "binaries"))
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = learn(
                write_config(folder, 3000, "basic"),
                folder / "results",
                "--run-id",
                "first",
                "--time-scale",
                "10",
            )
        assert code == 0, buffer.getvalue()
        yield folder / "results", buffer.getvalue()


@pytest.fixture
def results(trained: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the trained results, for a test to change."""
    monkeypatch.setenv("MLAGENTS_BINARIES_DIR", str(tmp_path / "binaries"))
    copy = tmp_path / "results"
    shutil.copytree(trained[0], copy)
    return copy


def test_a_run_writes_its_results(trained: tuple[Path, str]) -> None:
    import onnxruntime

    results, output = trained
    run = results / "first"
    config = yaml.safe_load((run / "configuration.yaml").read_text())
    assert config["engine_settings"]["time_scale"] == 10.0  # the flag over the file
    assert config["checkpoint_settings"]["run_id"] == "first"
    assert config["behaviors"]["Basic"]["max_steps"] == 3000
    assert list((run / "Basic").glob("events.out.tfevents.*"))
    assert checkpoint(run)["step"] >= 3000
    status = yaml.safe_load((run / "run_logs" / "training_status.json").read_text())
    assert [c["steps"] for c in status["Basic"]["checkpoints"]][-1] >= 3000
    assert len(status["Basic"]["checkpoints"]) <= 2  # keep_checkpoints
    assert len(list((run / "Basic").glob("Basic-*.pt"))) <= 2
    # The curriculum moved on at 30% of max_steps, and says so.
    assert status["lessons"] == {"unused_level": 1}
    assert "Parameter 'unused_level' is in lesson 'hard'" in output
    assert "Basic. Step: 1" in output and "Mean Reward" in output
    assert "steps/s" in output  # the progress line
    session = onnxruntime.InferenceSession(str(run / "Basic.onnx"))
    (obs_spec,) = [i for i in session.get_inputs() if i.name == "obs_0"]
    obs = np.zeros((2, obs_spec.shape[1]), dtype=np.float32)
    masks = np.ones((2, 3), dtype=np.float32)
    outputs = session.run(["deterministic_discrete_actions"], {"obs_0": obs, "action_masks": masks})
    assert outputs[0].shape == (2, 1)


def test_a_used_run_id_is_refused_and_force_overwrites(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, 300, "short")
    assert learn(config, results, "--run-id", "first") == 1
    assert "--resume" in capsys.readouterr().err
    assert learn(config, results, "--run-id", "first", "--force") == 0
    assert 300 <= checkpoint(results / "first")["step"] < 1000
    assert not list(
        (results / "first" / "Basic").glob("Basic-[0-9][0-9][0-9][0-9].pt")
    )  # the old run is gone


def test_resume_continues_steps_optimizer_and_weights(results: Path, tmp_path: Path) -> None:
    run = results / "first"
    before = checkpoint(run)
    # max_steps already reached: nothing trains, and what is saved is what was loaded.
    assert (
        learn(write_config(tmp_path, 3000, "same"), results, "--run-id", "first", "--resume") == 0
    )
    same = checkpoint(run)
    assert same["step"] == before["step"]
    for key, tensor in before["policy"].items():
        assert torch.equal(tensor, same["policy"][key]), key
    # A longer max_steps: training continues from the step, optimizer and normalizer.
    assert (
        learn(write_config(tmp_path, 4000, "more"), results, "--run-id", "first", "--resume") == 0
    )
    after = checkpoint(run)
    assert after["step"] >= 4000

    def adam_steps(state: dict) -> float:
        return max(float(s["step"]) for s in state["optimizer"]["adam"]["state"].values())

    assert adam_steps(after) > adam_steps(before)  # the same Adam, with more updates
    counts = [k for k in after["policy"] if k.endswith("normalizer.count")]
    assert counts
    assert all(after["policy"][k] > before["policy"][k] for k in counts)
    status = yaml.safe_load((run / "run_logs" / "training_status.json").read_text())
    assert status["lessons"] == {"unused_level": 1}  # the curriculum does not restart


def test_inference_does_not_train(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = results / "first"
    before = (run / "Basic" / "checkpoint.pt").read_bytes()
    files = sorted(p.name for p in (run / "Basic").iterdir())
    config = write_config(tmp_path, 500, "inference")
    assert learn(config, results, "--run-id", "first", "--resume", "--inference") == 0
    assert "/500 steps" in capsys.readouterr().out  # inference counts its own steps
    assert (run / "Basic" / "checkpoint.pt").read_bytes() == before
    new = sorted(p.name for p in (run / "Basic").iterdir() if not p.name.startswith("events"))
    assert new == [name for name in files if not name.startswith("events")]


def test_a_bad_key_names_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = yaml.safe_load(yaml.safe_dump(BASIC))
    config["behaviors"]["Basic"]["hyperparameters"]["batch_sze"] = 32
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    assert learn(path, tmp_path / "results", "--run-id", "bad") != 0
    err = capsys.readouterr().err
    assert "behaviors.Basic.hyperparameters.batch_sze" in err
    assert "batch_size" in err and str(path) in err
    assert not (tmp_path / "results").exists()


def test_an_unknown_env_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, 100, "basic")
    code = main([str(config), "--env", "NoSuchEnv", "--results-dir", str(tmp_path / "r")])
    assert code == 1
    assert "NoSuchEnv" in capsys.readouterr().err


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def test_ctrl_c_saves_a_checkpoint_and_a_model(tmp_path: Path) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it."""
    config = write_config(tmp_path, 10_000_000, "long")
    env = dict(os.environ, MLAGENTS_BINARIES_DIR=str(tmp_path / "binaries"))
    command = [sys.executable, "-m", "mlagents.trainers.learn", str(config), "--env", "Basic"]
    command += ["--results-dir", str(tmp_path / "results"), "--run-id", "stopped"]
    command += ["--base-port", str(free_port()), "--no-graphics"]
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        # Not a speed check: only a guard against a test that would otherwise never end.
        guard = threading.Timer(600, _kill_group, (process.pid,))
        guard.start()
        lines = []
        try:
            for line in process.stdout:  # wait until training is under way: a summary line
                lines.append(line)
                if "Basic. Step:" in line:
                    break
            os.killpg(process.pid, signal.SIGINT)
            try:
                output, _ = process.communicate(timeout=120)
            except subprocess.TimeoutExpired as error:
                _kill_group(process.pid)
                raise AssertionError(
                    "mlagents-learn did not end within 120 s of Ctrl-C:\n"
                    + "".join(lines)
                    + (error.output or "")
                ) from None
        finally:
            guard.cancel()
    text = "".join(lines) + output
    assert process.returncode == 0, text
    run = tmp_path / "results" / "stopped"
    assert (run / "Basic.onnx").is_file(), text
    saved = torch.load(run / "Basic" / "checkpoint.pt", weights_only=True)
    assert isinstance(saved, dict)
