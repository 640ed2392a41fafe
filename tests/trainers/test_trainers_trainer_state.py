"""What trainers keep and restore: checkpoints through the real checkpoint files (resume,
--initialize-from, an old or another trainer's file), SAC's replay buffer file, and SAC's
networks' normalization; SAC on action specs of every shape."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from mlagents.trainers.checkpoints import TrainingStatus, load_checkpoint, save_checkpoint
from mlagents.trainers.sac.trainer import SACTrainer
from mlagents.trainers.settings import TrainerSettings
from mlagents.trainers.trainer.off_policy_trainer import REPLAY_BUFFER_FILE
from mlagents.trainers.trainer.trainer import Trainer
from mlagents.trainers.trainer.trainer_factory import create_trainer
from mlagents_envs.base_env import ActionSpec, BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException
from tests.trainers.experience_testing import IMAGE, experience, spec_of


def settings(trainer_type: str, **hyperparameters: object) -> TrainerSettings:
    return TrainerSettings.from_dict(
        {
            "trainer_type": trainer_type,
            "hyperparameters": {"batch_size": 16, "buffer_size": 256, **hyperparameters},
            "network_settings": {"normalize": True, "hidden_units": 8, "num_layers": 1},
        }
    )


def sac_with_experience(spec: BehaviorSpec, **hyperparameters: object) -> SACTrainer:
    trainer = create_trainer("B", spec, settings("sac", **hyperparameters), seed=0)
    assert isinstance(trainer, SACTrainer)
    buffer = experience(spec, 200)
    trainer._update_normalization(buffer)
    trainer.update_buffer.extend(dict(buffer.items()))
    trainer.policy.step = 200
    return trainer


@pytest.mark.parametrize(
    "action",
    [
        ActionSpec.create_continuous(2),
        ActionSpec.create_discrete((3,)),
        ActionSpec.create_discrete((1, 3)),  # a branch of one action
        ActionSpec.create_hybrid(2, (2,)),
    ],
    ids=["continuous", "discrete", "one-action-branch", "hybrid"],
)
def test_sac_updates_every_kind_of_action_spec(action: ActionSpec) -> None:
    trainer = sac_with_experience(spec_of(action), batch_size=1)
    stats = trainer.optimizer.update(trainer.sample_batch(), learning_rate=1e-3)
    assert all(np.isfinite(value) for value in stats.values()), stats
    assert trainer._update_policy()  # several updates, batches of one row included


def test_sac_networks_normalize_as_the_policy_and_the_target_keeps_its_weights() -> None:
    trainer = sac_with_experience(spec_of(ActionSpec.create_continuous(2), IMAGE))
    optimizer = trainer.optimizer
    target_weights = {k: v.clone() for k, v in optimizer.target.state_dict().items()}
    optimizer.update(trainer.sample_batch(), learning_rate=1e-3)  # the critic moves
    trainer._update_normalization(experience(trainer.policy.behavior_spec, 50, seed=1))
    policy_normalizer = trainer.policy.actor.body.encoder.encoders[0].normalizer
    for network in (optimizer.critic, optimizer.q1, optimizer.q2, optimizer.target):
        normalizer = network.body.encoder.encoders[0].normalizer
        assert torch.equal(normalizer.mean, policy_normalizer.mean)
        assert float(normalizer.count) == 250 + 1e-4
    for key, value in optimizer.target.state_dict().items():
        if "normalizer" not in key:
            # Followed by tau once, not copied from the critic.
            assert not torch.equal(value, optimizer.critic.state_dict()[key]), key
            assert torch.allclose(value, target_weights[key], atol=0.05), key


def saved(trainer: Trainer, tmp_path: Path) -> Path:
    status = TrainingStatus(tmp_path / "run_logs" / "training_status.json")
    return save_checkpoint(trainer, tmp_path, status, keep_checkpoints=2)


def test_resume_and_initialize_from_restore_what_they_should(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_hybrid(2, (2,)))
    trainer = sac_with_experience(spec, save_replay_buffer=True)
    trainer._update_policy()
    path = saved(trainer, tmp_path)
    assert (path.parent / REPLAY_BUFFER_FILE).is_file()
    critic = trainer.optimizer.critic.state_dict()
    coefficient = trainer.optimizer.log_ent_coef["continuous"].detach().clone()

    resumed = create_trainer("B", spec, settings("sac", save_replay_buffer=True), seed=5)
    assert load_checkpoint(resumed, tmp_path)
    assert resumed.step == 200 and len(resumed.update_buffer) == 200
    assert resumed.update_steps == trainer.update_steps
    for key, value in critic.items():
        assert torch.equal(resumed.optimizer.critic.state_dict()[key], value), key
    adam = resumed.optimizer.value_optimizer.state_dict()["state"]
    assert adam and max(float(s["step"]) for s in adam.values()) == trainer.update_steps - 1

    # --initialize-from: the networks (critics and coefficients too), not the step, the
    # replay buffer or the optimizers' moments.
    fresh = create_trainer("B", spec, settings("sac", save_replay_buffer=True), seed=5)
    assert load_checkpoint(fresh, path, weights_only_init=True)
    assert fresh.step == 0 and len(fresh.update_buffer) == 0
    assert fresh.optimizer.value_optimizer.state_dict()["state"] == {}
    assert torch.equal(fresh.optimizer.log_ent_coef["continuous"].detach(), coefficient)
    for key, value in critic.items():
        assert torch.equal(fresh.optimizer.critic.state_dict()[key], value), key


def test_checkpoints_that_do_not_fit_are_refused_with_the_file_named(tmp_path: Path) -> None:
    spec = spec_of(ActionSpec.create_discrete((3,)))
    ppo = create_trainer("B", spec, settings("ppo"), seed=0)
    path = saved(ppo, tmp_path)
    sac = create_trainer("B", spec, settings("sac"), seed=0)
    with pytest.raises(UnityEnvironmentException, match="written by a 'ppo' trainer, not 'sac'"):
        load_checkpoint(sac, path)
    # A checkpoint of the format before trainer types (one "network" state dict).
    old = tmp_path / "old.pt"
    torch.save({"network": {}, "optimizer": {}, "step": 10}, old)
    with pytest.raises(UnityEnvironmentException, match=r"old.pt is not a checkpoint.*older"):
        load_checkpoint(ppo, old)
    # Wider networks than the file's.
    wide = TrainerSettings.from_dict(
        {
            "hyperparameters": {"batch_size": 16, "buffer_size": 256},
            "network_settings": {"hidden_units": 32},
        }
    )
    with pytest.raises(UnityEnvironmentException, match="Were network_settings"):
        load_checkpoint(create_trainer("B", spec, wide, seed=0), path)
    assert ppo.step == 0  # nothing was half-loaded into the trainer that saved it


def test_a_replay_buffer_that_does_not_fit_is_set_aside_or_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = spec_of(ActionSpec.create_continuous(2))
    trainer = sac_with_experience(spec, save_replay_buffer=True)
    saved(trainer, tmp_path)
    replay = tmp_path / "B" / REPLAY_BUFFER_FILE
    replay.write_bytes(b"not a zip")
    with caplog.at_level(logging.WARNING):
        again = create_trainer("B", spec, settings("sac", save_replay_buffer=True), seed=0)
        assert load_checkpoint(again, tmp_path)
    assert len(again.update_buffer) == 0 and not replay.exists()
    assert (tmp_path / "B" / (REPLAY_BUFFER_FILE + ".unreadable")).read_bytes() == b"not a zip"
    assert "It starts empty" in caplog.text
    # A buffer of another behavior's shapes (three continuous actions, not two).
    other = spec_of(ActionSpec.create_continuous(3))
    experience(other, 20).save(replay)
    with pytest.raises(UnityEnvironmentException, match=r"other shapes.*delete it"):
        load_checkpoint(
            create_trainer("B", spec, settings("sac", save_replay_buffer=True), seed=0), tmp_path
        )


def test_a_trainer_type_registered_with_something_else_than_a_trainer_is_refused() -> None:
    from mlagents.plugins.trainer_type import register_trainer_plugins, register_trainer_type
    from mlagents.trainers.ppo.settings import PPOSettings

    trainers, hyperparameters = register_trainer_plugins()
    register_trainer_type("not_a_trainer", dict, PPOSettings)
    try:
        settings = TrainerSettings.from_dict({"trainer_type": "not_a_trainer"})
        spec = spec_of(ActionSpec.create_discrete((3,)))
        with pytest.raises(UnityEnvironmentException, match="not a subclass of"):
            create_trainer("B", spec, settings)
    finally:
        trainers.pop("not_a_trainer")
        hyperparameters.pop("not_a_trainer")
