"""Reward signals and behavioral cloning inside PPO and SAC on Basic: their stats under
ML-Agents' names, when each updates (PPO: every minibatch, cloning after each buffer; SAC:
each signal on a minibatch of its own, cloning after each update), the next observations
PPO keeps for curiosity, short trainings with each signal, and checkpoints that keep every
signal through real files (resume, --initialize-from, mlagents-learn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from mlagents.trainers.buffer import ObservationKeyPrefix
from mlagents.trainers.checkpoints import TrainingStatus, load_checkpoint, save_checkpoint
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.torch.components.reward_providers import GAILRewardProvider
from mlagents.trainers.trainer.trainer import Trainer
from mlagents.trainers.trainer.trainer_factory import create_trainer
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.record import record_expert
from tests.trainers.experience_testing import experience
from tests.trainers.learn_testing import learn_basic
from tests.trainers.training_testing import run_trainer


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # small networks: threads would only wait on each other


@pytest.fixture(scope="module")
def expert(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Basic demonstrations (its scripted policy walking to the large goal), recorded as
    Unity records them."""
    (path,) = record_expert("Basic", tmp_path_factory.mktemp("demos") / "Basic.demo", 300)
    return str(path)


def settings(trainer_type: str, expert: str, **extra: Any) -> dict[str, Any]:
    hyperparameters = (
        {"batch_size": 16, "buffer_size": 64, "num_epoch": 2}
        if trainer_type == "ppo"
        else {"batch_size": 16, "buffer_size": 5000, "steps_per_update": 4}
    )
    network = {"hidden_units": 16, "num_layers": 1}
    signal = {"strength": 0.1, "network_settings": network}
    return {
        "trainer_type": trainer_type,
        "hyperparameters": hyperparameters,
        "network_settings": network,
        "reward_signals": {
            "extrinsic": {"gamma": 0.9},
            "curiosity": signal,
            "rnd": signal,
            "gail": {**signal, "demo_path": expert, "use_actions": True, "use_vail": True},
        },
        "behavioral_cloning": {"demo_path": expert, "batch_size": 16, "samples_per_update": 32},
        "summary_freq": 10**9,
        **extra,
    }


def trained(config: dict[str, Any], steps: int, seed: int = 0) -> Trainer:
    params = EnvironmentParametersChannel()
    env = InProcessEnv(make_simulation("Basic", seed=seed), side_channels=[params])
    manager = SimpleEnvManager(env, params)
    manager.reset()
    ((behavior, spec),) = manager.training_behaviors.items()
    trainer = create_trainer("Basic", spec, TrainerSettings.from_dict(config), seed=seed)
    run_trainer(trainer, manager, behavior, steps, time_horizon=8)
    return trainer


SIGNAL_STATS = [
    "Policy/Extrinsic Reward",
    "Policy/Curiosity Reward",
    "Policy/Rnd Reward",
    "Policy/Gail Reward",
    "Policy/Curiosity Value Estimate",
    "Policy/Rnd Value Estimate",
    "Policy/Gail Value Estimate",
    "Losses/Curiosity Forward Loss",
    "Losses/Curiosity Inverse Loss",
    "Losses/RND Loss",
    "Losses/GAIL Loss",
    "Policy/GAIL Policy Estimate",
    "Policy/GAIL Expert Estimate",
    "Policy/GAIL Grad Mag Loss",
    "Policy/GAIL Beta",
    "Losses/GAIL KL Loss",
    "Losses/Pretraining Loss",
]


def bc_adam_steps(trainer: Trainer) -> int:
    module = trainer.optimizer.bc_module
    assert module is not None
    return int(max(float(s["step"]) for s in module.optimizer.state_dict()["state"].values()))


def test_ppo_updates_signals_on_every_minibatch_and_clones_after_each_buffer(expert: str) -> None:
    trainer = trained(settings("ppo", expert), 300)
    report = trainer.stats_reporter
    for stat in SIGNAL_STATS:
        summary = report.get_stats_summaries(stat)
        assert summary.num > 0 and np.isfinite(summary.mean), stat
    buffers = report.get_stats_summaries("Losses/Policy Loss").num  # one a buffer update
    assert buffers >= 3
    assert report.get_stats_summaries("Losses/Pretraining Loss").num == buffers
    minibatches = 2 * (64 // 16)  # num_epoch passes of buffer_size / batch_size
    for name, provider in trainer.optimizer.learning_signals.items():
        assert provider.updates == buffers * minibatches, name
    assert bc_adam_steps(trainer) == buffers * 3 * 2  # 3 epochs of 32 samples: 2 batches


def test_sac_updates_each_signal_on_its_own_minibatch_and_clones_after_each_update(
    expert: str,
) -> None:
    trainer = trained(settings("sac", expert), 200)
    report = trainer.stats_reporter
    for stat in SIGNAL_STATS:
        summary = report.get_stats_summaries(stat)
        assert summary.num > 0 and np.isfinite(summary.mean), stat
    updates = trainer.update_steps - 1  # type: ignore[attr-defined]
    assert updates >= 30
    for name, provider in trainer.optimizer.learning_signals.items():
        assert provider.updates == trainer.reward_signal_update_steps - 1, name  # type: ignore[attr-defined]
    assert bc_adam_steps(trainer) == updates * 3 * 2


def test_ppo_keeps_next_observations_only_for_a_signal_that_reads_them(expert: str) -> None:
    big = {"hyperparameters": {"batch_size": 16, "buffer_size": 10**4}}
    with_curiosity = trained({**settings("ppo", expert), **big}, 40)
    assert with_curiosity.update_buffer.count(ObservationKeyPrefix.NEXT_OBSERVATION) == 1
    config = settings("ppo", expert) | big
    del config["reward_signals"]["curiosity"]
    without = trained(config, 40)
    assert without.update_buffer.count(ObservationKeyPrefix.NEXT_OBSERVATION) == 0
    assert len(without.update_buffer) >= 40


@pytest.mark.parametrize(
    "signals",
    [
        {"extrinsic": {}, "curiosity": {"strength": 0.02}},
        {"extrinsic": {}, "rnd": {"strength": 0.01}},
        {"gail": {}},
        {"gail": {"use_actions": True, "use_vail": True}},
        {"extrinsic": {"strength": 0.0}, "cloning": {}},
    ],
    ids=["curiosity", "rnd", "gail", "gail-vail-actions", "cloning"],
)
def test_a_short_ppo_training_on_basic_with_each_signal(
    expert: str, signals: dict[str, dict[str, Any]]
) -> None:
    config = settings("ppo", expert, max_steps=600)
    del config["behavioral_cloning"]
    config["reward_signals"] = {}
    for name, signal in signals.items():
        if name == "cloning":
            config["behavioral_cloning"] = {"demo_path": expert, **signal}
        else:
            demo = {"demo_path": expert} if name == "gail" else {}
            config["reward_signals"][name] = {"gamma": 0.99, **demo, **signal}
    trainer = trained(config, 600)
    report = trainer.stats_reporter
    losses = report.get_stats_summaries("Losses/Value Loss")
    assert losses.num >= 5 and np.isfinite(losses.full_dist).all()
    for provider in trainer.optimizer.reward_signals.values():
        rewards = report.get_stats_summaries(provider.stat_name)
        assert rewards.num > 0 and np.isfinite(rewards.full_dist).all(), provider.name


# Checkpoints.


def save(trainer: Trainer, folder: Path) -> Path:
    status = TrainingStatus(folder / "run_logs" / "training_status.json")
    return save_checkpoint(trainer, folder, status, keep_checkpoints=2)


def untrained(trainer_type: str, expert: str, seed: int = 7) -> Trainer:
    return trained(settings(trainer_type, expert), 0, seed=seed)


@pytest.mark.parametrize("trainer_type", ["ppo", "sac"])
def test_checkpoints_keep_every_signal_and_cloning(
    tmp_path: Path, expert: str, trainer_type: str
) -> None:
    trainer = trained(settings(trainer_type, expert), 200)
    path = save(trainer, tmp_path)
    resumed = untrained(trainer_type, expert)
    assert load_checkpoint(resumed, tmp_path)
    initialized = untrained(trainer_type, expert)
    assert load_checkpoint(initialized, path, weights_only_init=True)
    probe = experience(trainer.policy.behavior_spec, 32)
    for name, provider in trainer.optimizer.learning_signals.items():
        again = resumed.optimizer.reward_signals[name]
        weights = initialized.optimizer.reward_signals[name]
        rewards = provider.evaluate(probe)
        assert np.array_equal(again.evaluate(probe), rewards), name
        assert np.array_equal(weights.evaluate(probe), rewards), name
        assert again.state_dict()["updates"] == provider.state_dict()["updates"] > 0
        # The optimizer's moments come back on resume, not with --initialize-from.
        saved_adam = provider.state_dict()["adam"]["state"]
        assert saved_adam and again.state_dict()["adam"]["state"].keys() == saved_adam.keys()
        assert weights.state_dict()["adam"]["state"] == {}
    gail = resumed.optimizer.reward_signals["gail"]
    trained_gail = trainer.optimizer.reward_signals["gail"]
    assert isinstance(gail, GAILRewardProvider) and isinstance(trained_gail, GAILRewardProvider)
    assert float(gail.network.beta) == float(trained_gail.network.beta)
    assert bc_adam_steps(resumed) == bc_adam_steps(trainer)
    assert initialized.optimizer.bc_module is not None
    assert initialized.optimizer.bc_module.optimizer.state_dict()["state"] == {}


def test_a_checkpoint_without_a_signal_is_refused(tmp_path: Path, expert: str) -> None:
    config = settings("ppo", expert)
    del config["reward_signals"]["rnd"]
    path = save(trained(config, 0), tmp_path)
    with pytest.raises(UnityEnvironmentException, match="reward_signals changed"):
        load_checkpoint(untrained("ppo", expert), path)


@pytest.mark.parametrize("trainer_type", ["ppo", "sac"])
def test_initialize_from_weights_without_a_signal_starts_that_signal_afresh(
    tmp_path: Path, expert: str, trainer_type: str
) -> None:
    # Pretrained on the extrinsic reward, then curiosity added (--initialize-from).
    config = settings(trainer_type, expert)
    config["reward_signals"] = {"extrinsic": config["reward_signals"]["extrinsic"]}
    pretrained = trained(config, 200)
    path = save(pretrained, tmp_path)
    config["reward_signals"]["curiosity"] = settings(trainer_type, expert)["reward_signals"][
        "curiosity"
    ]
    fresh = trained(config, 0, seed=7)
    assert load_checkpoint(fresh, path, weights_only_init=True)
    for mine, theirs in zip(fresh.policy.actor.parameters(), pretrained.policy.actor.parameters()):
        assert torch.equal(mine, theirs)
    critic, old = fresh.optimizer.critic.state_dict(), pretrained.optimizer.critic.state_dict()
    assert all(torch.equal(critic[k], v) for k, v in old.items())
    assert any(".curiosity." in f".{k}" for k in critic.keys() - old.keys())
    # Resuming (not a new run) still needs every signal's state.
    with pytest.raises(UnityEnvironmentException, match="reward_signals changed"):
        load_checkpoint(trained(config, 0, seed=7), tmp_path)


@pytest.mark.slow
def test_mlagents_learn_trains_and_resumes_with_signals_and_cloning(
    tmp_path: Path, expert: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLAGENTS_BINARIES_DIR", str(tmp_path / "binaries"))
    config = settings("ppo", expert, max_steps=400, time_horizon=8, summary_freq=200)
    path = tmp_path / "signals.yaml"
    path.write_text(yaml.safe_dump({"behaviors": {"Basic": config}}))
    results = tmp_path / "results"
    assert learn_basic(path, results, "--run-id", "signals") == 0
    saved = torch.load(results / "signals" / "Basic" / "checkpoint.pt", weights_only=True)
    signals = saved["optimizer"]["reward_signals"]
    assert sorted(signals) == ["curiosity", "extrinsic", "gail", "rnd"]
    assert all(signals[name]["updates"] > 0 for name in ("curiosity", "gail", "rnd"))
    assert saved["optimizer"]["behavioral_cloning"]["adam"]["state"]
    resolved = yaml.safe_load((results / "signals" / "configuration.yaml").read_text())
    assert resolved["behaviors"]["Basic"]["reward_signals"]["gail"]["demo_path"] == expert
    config["max_steps"] = 600
    path.write_text(yaml.safe_dump({"behaviors": {"Basic": config}}))
    assert learn_basic(path, results, "--run-id", "signals", "--resume") == 0
    resumed = torch.load(results / "signals" / "Basic" / "checkpoint.pt", weights_only=True)
    gail = resumed["optimizer"]["reward_signals"]["gail"]
    assert resumed["step"] >= 600 and gail["updates"] > signals["gail"]["updates"]
