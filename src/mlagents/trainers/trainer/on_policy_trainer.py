"""OnPolicyTrainer: trajectories become training rows at once (each signal's value
estimates, GAE advantages and returns, bootstrapping from the last observation when the
episode did not truly end); once `buffer_size` rows are collected, the optimizer makes
`num_epoch` passes over shuffled minibatches (the learned reward signals train on each
minibatch too), behavioral cloning makes its own passes, and the buffer starts afresh."""

from __future__ import annotations

import numpy as np

from mlagents.trainers.buffer import (
    BufferKey,
    ObservationKeyPrefix,
    RewardSignalKeyPrefix,
    signal_key,
)
from mlagents.trainers.trainer.trainer import Trainer
from mlagents.trainers.trajectory import Trajectory
from mlagents_envs.timers import timed


def discounted_gae(
    rewards: np.ndarray, values: np.ndarray, next_value: float, gamma: float, lambd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimates and returns (advantages + values) of one trajectory."""
    advantages = np.zeros(len(rewards), dtype=np.float32)
    following_value, running = next_value, 0.0
    for t in range(len(rewards) - 1, -1, -1):
        delta = rewards[t] + gamma * following_value - values[t]
        running = delta + gamma * lambd * running
        advantages[t] = running
        following_value = values[t]
    return advantages, advantages + values.astype(np.float32)


class OnPolicyTrainer(Trainer):
    """Needs hyperparameters with buffer_size, batch_size, num_epoch and lambd."""

    @timed
    def _process_trajectory(self, trajectory: Trajectory) -> None:
        rows = self._trajectory_rows(trajectory)
        if rows is None:
            return
        buffer, values, next_values = rows
        lambd = self.hyperparameters.lambd
        advantages = []
        for name, provider in self.optimizer.reward_signals.items():
            rewards = buffer[signal_key(RewardSignalKeyPrefix.REWARDS, name)]
            advantage, returns = discounted_gae(
                rewards, values[name], next_values[name], provider.gamma, lambd
            )
            buffer.add_column(signal_key(RewardSignalKeyPrefix.VALUE_ESTIMATES, name), values[name])
            buffer.add_column(signal_key(RewardSignalKeyPrefix.RETURNS, name), returns)
            buffer.add_column(signal_key(RewardSignalKeyPrefix.ADVANTAGE, name), advantage)
            advantages.append(advantage)
        # Advantages of the signals averaged, as ML-Agents combines them.
        buffer.add_column(BufferKey.ADVANTAGES, np.mean(advantages, axis=0).astype(np.float32))
        # The policy's update never looks at the next observations: keep them out of the
        # buffer (images would double its memory) unless a reward signal learns from them.
        signals = self.optimizer.reward_signals.values()
        if not any(p.needs_next_observations for p in signals):
            for k in range(buffer.count(ObservationKeyPrefix.NEXT_OBSERVATION)):
                buffer.drop((ObservationKeyPrefix.NEXT_OBSERVATION, k))
        self.update_buffer.extend(dict(buffer.items()))
        self.policy.step += len(buffer)

    def _is_ready_update(self) -> bool:
        return len(self.update_buffer) >= self.hyperparameters.buffer_size

    @timed
    def _update_policy(self) -> bool:
        hp = self.hyperparameters
        buffer = self.update_buffer
        # Advantages normalized over the whole buffer, as ML-Agents does.
        advantages = buffer[BufferKey.ADVANTAGES]
        buffer.add_column(
            BufferKey.ADVANTAGES, (advantages - advantages.mean()) / (advantages.std() + 1e-10)
        )
        schedules = self.schedules()
        stats: dict[str, list[float]] = {}
        learning = bool(self.optimizer.learning_signals)
        for _ in range(hp.num_epoch):
            for batch in buffer.minibatches(hp.batch_size, self._rng):
                update = self.optimizer.update(batch, **schedules)
                if learning:
                    # Learned signals train on the same minibatches, as ML-Agents' PPO does.
                    update |= self.optimizer.update_reward_signals(batch)
                for key, value in update.items():
                    stats.setdefault(key, []).append(value)
        if self.optimizer.bc_module is not None:
            # After the buffer's update, as ML-Agents' PPO does.
            stats |= {k: [v] for k, v in self.optimizer.bc_module.update().items()}
        for key, values in stats.items():
            self.stats_reporter.add_stat(key, float(np.mean(values)))
        buffer.reset()
        return True
