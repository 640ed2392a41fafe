"""The reference trainer, mlagents 0.28.0's `mlagents-learn`, trains on our 3DBall executable
(2.x generation, which 0.28 pairs with) with our config/ppo/3DBall.yaml, and leaves its
results as it does on Unity builds: the basis of the side-by-side training benchmarks
(benchmarks/train_vs_reference.py). Also: the checked patches its environment needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import onnx
import pytest

from devtools.envtest import free_port
from devtools.peer_env import (
    REFERENCE_TRAINER,
    TRAINER_PATCHES,
    PeerUnavailable,
    SourcePatch,
    peer_python,
    reference_trainer,
)
from devtools.trainer_runs import (
    checkout_interpreter,
    environment,
    learn_command,
    parse_summary,
    write_config,
)
from mlagents_envs.codec.generation import PACKAGE_VERSION_2X
from mlagents_sim.build import build_executable

ROOT = Path(__file__).resolve().parents[2]
MAX_STEPS = 3000
SUMMARY_FREQ = 1000


@pytest.mark.peer
@pytest.mark.slow
def test_reference_trainer_trains_on_our_executable(tmp_path: Path) -> None:
    try:
        learn = reference_trainer()
    except PeerUnavailable as error:
        pytest.skip(f"the reference trainer is unavailable: {error}")
    # Run by this checkout's environments, though the trainer runs without our PYTHONPATH.
    python = str(checkout_interpreter(tmp_path / "bin"))
    executable = build_executable(
        "3DBall", tmp_path / "build", python=python, package_version=PACKAGE_VERSION_2X
    )
    config = write_config(
        ROOT / "config" / "ppo" / "3DBall.yaml",
        tmp_path / "3DBall.yaml",
        {"max_steps": MAX_STEPS, "summary_freq": SUMMARY_FREQ},
    )
    results = tmp_path / "results"
    command = learn_command([str(learn)], config, executable, results, "ref", free_port())
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment(keep_pythonpath=False),
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]

    # A summary every summary_freq steps, each with episodes ended (3DBall's are short).
    summaries = [s for s in map(parse_summary, log.splitlines()) if s is not None]
    assert [s.step for s in summaries] == list(range(SUMMARY_FREQ, MAX_STEPS + 1, SUMMARY_FREQ))
    assert all(s.reward is not None and s.reward > 0 for s in summaries), summaries

    run_dir = results / "ref"
    status = json.loads((run_dir / "run_logs" / "training_status.json").read_text())
    checkpoints = status["3DBall"]["checkpoints"]
    assert checkpoints and checkpoints[-1]["steps"] >= MAX_STEPS
    assert (run_dir / "3DBall" / "checkpoint.pt").is_file()
    # The exported policy takes 3DBall's observation as our executable announced it.
    model = onnx.load(str(run_dir / "3DBall.onnx"))
    (obs,) = [i for i in model.graph.input if i.name == "obs_0"]
    assert [d.dim_value for d in obs.type.tensor_type.shape.dim][1:] == [8]


@pytest.mark.peer
def test_reference_trainer_environment_is_patched_and_cpu_only() -> None:
    try:
        python = peer_python(peer=REFERENCE_TRAINER)
    except PeerUnavailable as error:
        pytest.skip(f"the reference trainer is unavailable: {error}")
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig, torch; print(sysconfig.get_paths()['purelib']); "
            "print(torch.__version__, torch.version.cuda)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=environment(keep_pythonpath=False),
    )
    purelib, versions = probe.stdout.split("\n")[:2]
    assert versions == "2.13.0+cpu None"
    settings = (Path(purelib) / "mlagents" / "trainers" / "settings.py").read_text()
    assert settings.count("cattr.register_structure_hook_func(lambda t: t == Dict[") == 2
    assert "cattr.register_structure_hook(\n        Dict[" not in settings


HOOKS = """\
class A:
    cattr.register_structure_hook(
        Dict[RewardSignalType, RewardSignalSettings], RewardSignalSettings.structure
    )

def f():
    cattr.register_structure_hook(EngineSettings, strict_to_cls)
    cattr.register_structure_hook(
        Dict[str, EnvironmentParameterSettings], EnvironmentParameterSettings.structure
    )
"""


def test_source_patch_is_idempotent_and_checked(tmp_path: Path) -> None:
    patch = next(p for p in TRAINER_PATCHES if p.module.endswith("settings.py"))
    module = tmp_path / patch.module
    module.parent.mkdir(parents=True)
    module.write_text(HOOKS)
    patch.apply(tmp_path)
    once = module.read_text()
    assert once.count("register_structure_hook_func(lambda t: t == Dict[") == 2
    assert "cattr.register_structure_hook(EngineSettings, strict_to_cls)" in once
    compile(once, str(module), "exec")
    patch.apply(tmp_path)
    assert module.read_text() == once

    # One hook only (another release): refused, with the counts found.
    module.write_text(HOOKS.split("def f")[0])
    with pytest.raises(PeerUnavailable, match="found 1 to patch and 0 patched"):
        patch.apply(tmp_path)
    with pytest.raises(PeerUnavailable, match="missing"):
        SourcePatch("nowhere.py", "why", "a", "b", "c", count=1).apply(tmp_path)


def test_export_patch_keeps_the_call_valid(tmp_path: Path) -> None:
    patch = next(p for p in TRAINER_PATCHES if p.module.endswith("model_serialization.py"))
    module = tmp_path / patch.module
    module.parent.mkdir(parents=True)
    module.write_text(
        "def export(self, path):\n"
        "    torch.onnx.export(\n"
        "        self.policy.actor,\n"
        "        path,\n"
        "        dynamic_axes=self.dynamic_axes,\n"
        "    )\n"
    )
    patch.apply(tmp_path)
    patch.apply(tmp_path)
    text = module.read_text()
    compile(text, str(module), "exec")
    assert text.count("dynamo=False,") == 1
    assert "        dynamic_axes=self.dynamic_axes,\n        dynamo=False,\n    )" in text
