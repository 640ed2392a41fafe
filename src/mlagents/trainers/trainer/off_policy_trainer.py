"""OffPolicyTrainer: trajectories go into a replay buffer of `buffer_size` steps; once
`batch_size` steps (and `buffer_init_steps`) are in, the trainer makes one update on a
random minibatch every `steps_per_update` agent steps (behavioral cloning after each), and
updates each learned reward signal on a minibatch of its own every
`reward_signal_steps_per_update` steps. With `save_replay_buffer` the buffer is saved with
each checkpoint and read back on resume."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from mlagents.trainers.buffer import (
    AgentBufferKey,
    BufferException,
    BufferKey,
    RewardSignalKeyPrefix,
    obs_key,
    signal_key,
)
from mlagents.trainers.trainer.trainer import Trainer
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.timers import hierarchical_timer, timed

logger = logging.getLogger(__name__)

#: What the replay buffer keeps of itself when it grows past buffer_size: dropping a fifth
#: at once, rather than a trajectory's worth each time, keeps the copies rare.
BUFFER_TRUNCATE_FRACTION = 0.8
REPLAY_BUFFER_FILE = "last_replay_buffer.npz"


class OffPolicyTrainer(Trainer):
    """Needs hyperparameters with buffer_size, batch_size, buffer_init_steps,
    steps_per_update, reward_signal_steps_per_update and save_replay_buffer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Updates made so far (counted from 1, as ML-Agents does): the next update is due
        # when the steps since buffer_init_steps pass update_steps * steps_per_update.
        self.update_steps = 1
        self.reward_signal_update_steps = 1

    @timed
    def _process_trajectory(self, trajectory: Trajectory) -> None:
        rows = self._trajectory_rows(trajectory)
        if rows is None:
            return
        buffer = rows[0]
        # Rewards are evaluated again on every sampled minibatch (a learned signal changes);
        # here they only count for the episode's stats.
        for name in self.optimizer.reward_signals:
            buffer.drop(signal_key(RewardSignalKeyPrefix.REWARDS, name))
        self.update_buffer.extend(dict(buffer.items()))
        size = self.hyperparameters.buffer_size
        if len(self.update_buffer) > size:
            self.update_buffer.truncate(int(size * BUFFER_TRUNCATE_FRACTION))
        self.policy.step += len(buffer)

    def _is_ready_update(self) -> bool:
        hp = self.hyperparameters
        return len(self.update_buffer) >= hp.batch_size and self.step >= hp.buffer_init_steps

    def _due(self, done: int, every: float) -> bool:
        return (self.step - self.hyperparameters.buffer_init_steps) / done > every

    def sample_batch(self) -> dict[AgentBufferKey, np.ndarray]:
        """A random minibatch with each signal's rewards (times its strength) added."""
        batch = self.update_buffer.sample(self.hyperparameters.batch_size, self._rng)
        for name, provider in self.optimizer.reward_signals.items():
            rewards = provider.evaluate(batch) * provider.strength
            batch[signal_key(RewardSignalKeyPrefix.REWARDS, name)] = rewards
        return batch

    @timed
    def _update_policy(self) -> bool:
        hp = self.hyperparameters
        stats: dict[str, list[float]] = {}
        updated = False
        schedules = self.schedules()
        with hierarchical_timer("update_policy"):
            while self._due(self.update_steps, hp.steps_per_update):
                batch = self.sample_batch()
                update = self.optimizer.update(batch, **schedules)
                if self.optimizer.bc_module is not None:
                    # After each of SAC's updates, as ML-Agents' SAC does.
                    update |= self.optimizer.bc_module.update()
                for key, value in update.items():
                    stats.setdefault(key, []).append(value)
                self.update_steps += 1
                updated = True
        learning = self.optimizer.learning_signals
        with hierarchical_timer("update_reward_signals"):
            while self._due(self.reward_signal_update_steps, hp.reward_signal_steps_per_update):
                # Each learning signal on a minibatch of its own, as ML-Agents' SAC does.
                for provider in learning.values():
                    batch = self.update_buffer.sample(hp.batch_size, self._rng)
                    for key, value in provider.update(batch).items():
                        stats.setdefault(key, []).append(value)
                self.reward_signal_update_steps += 1
        for key, values in stats.items():
            self.stats_reporter.add_stat(key, float(np.mean(values)))
        return updated

    def _check_replay_buffer(self, path: Path) -> None:
        """A loaded replay buffer must hold this behavior's observations and actions: the
        first trajectory would not fit it otherwise."""
        spec = self.policy.behavior_spec
        expected = {obs_key(k): tuple(o.shape) for k, o in enumerate(spec.observation_specs)}
        expected[BufferKey.CONTINUOUS_ACTION] = (spec.action_spec.continuous_size,)
        expected[BufferKey.DISCRETE_ACTION] = (spec.action_spec.discrete_size,)
        buffer = self.update_buffer
        found = {key: buffer[key].shape[1:] if key in buffer else None for key in expected}
        if found != expected:
            self.update_buffer.reset()
            raise UnityEnvironmentException(
                f"The replay buffer {path} holds rows of other shapes than behavior "
                f"{self.brain_name!r} sends ({found} against {expected}); delete it or set "
                "save_replay_buffer to false to start with an empty one."
            )

    # Checkpoints.

    def checkpoint_state(self) -> dict[str, Any]:
        return {
            **super().checkpoint_state(),
            "update_steps": self.update_steps,
            "reward_signal_update_steps": self.reward_signal_update_steps,
        }

    def load_checkpoint_state(
        self, state: dict[str, Any], weights_only: bool = False, source: str = "the checkpoint"
    ) -> None:
        super().load_checkpoint_state(state, weights_only, source)
        if not weights_only:
            self.update_steps = int(state.get("update_steps", 1))
            self.reward_signal_update_steps = int(state.get("reward_signal_update_steps", 1))

    def save_extra(self, folder: Path) -> None:
        if self.hyperparameters.save_replay_buffer:
            self.update_buffer.save(folder / REPLAY_BUFFER_FILE)

    def load_extra(self, folder: Path) -> None:
        path = folder / REPLAY_BUFFER_FILE
        if not self.hyperparameters.save_replay_buffer:
            return
        if not path.is_file():
            logger.info(
                "No saved replay buffer of %s in %s: it starts empty.", self.brain_name, folder
            )
            return
        try:
            self.update_buffer.load(path)
        except BufferException as error:
            # Kept aside, not overwritten by the next checkpoint: it may still be of use.
            aside = path.with_name(path.name + ".unreadable")
            path.replace(aside)
            logger.warning("%s It starts empty; the file is now %s.", error, aside)
            return
        self._check_replay_buffer(path)
        logger.info(
            "Loaded the replay buffer of %s (%d steps).", self.brain_name, len(self.update_buffer)
        )
