"""TrainerController: runs a whole training from RunOptions and an EnvManager.

Each loop iteration steps the environments (`get_steps`), creates an AgentManager for
every behavior id that has just appeared, and a trainer (of its settings' trainer_type) for
its brain name if it has none yet (before its first steps are processed, so that none of
its experience is lost), hands the steps to the agent managers, advances every trainer,
checkpoints at each checkpoint_interval, moves curricula on, and draws the progress line.
Training ends when every trainer has reached its max_steps, or on Ctrl-C, which saves a
checkpoint and a model first (see interruption.py for where a Ctrl-C takes effect).

Unity sends behavior ids, "<BehaviorName>?team=<TeamId>": trainers, settings, statistics,
checkpoints and models are keyed by the brain name (the part before "?"), so that the
teams of one behavior share its trainer; agent managers and policies by behavior id.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from signal import SIGTERM
from typing import Any

import numpy as np
import yaml

from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.behavior_id_utils import BehaviorIdentifiers
from mlagents.trainers.checkpoints import TrainingStatus, load_checkpoint, save_checkpoint
from mlagents.trainers.env_manager import EnvManager
from mlagents.trainers.ghost.controller import GhostController
from mlagents.trainers.interruption import StopRequests
from mlagents.trainers.progress import ProgressBar
from mlagents.trainers.settings import (
    CurriculumSettings,
    RunOptions,
    SamplerSettings,
    lesson_values,
    seed_samplers,
)
from mlagents.trainers.stats import StatsReporter
from mlagents.trainers.trainer.trainer import Trainer
from mlagents.trainers.trainer.trainer_factory import create_trainer
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_envs.timers import hierarchical_timer, timed

logger = logging.getLogger(__name__)

REWARD_KEY = "Environment/Cumulative Reward"


class _RewardRecordingReporter(StatsReporter):
    """A behavior's StatsReporter that also keeps every episode reward the agent manager
    reports: curricula and the progress line need them, and the summaries are reset at
    each write."""

    def __init__(self, category: str) -> None:
        super().__init__(category)
        self.since_lesson: list[float] = []
        self.recent: deque[float] = deque(maxlen=100)

    def add_stat(
        self,
        key: str,
        value: float,
        aggregation: StatsAggregationMethod = StatsAggregationMethod.AVERAGE,
    ) -> None:
        super().add_stat(key, value, aggregation)
        if key == REWARD_KEY:
            self.since_lesson.append(float(value))
            self.recent.append(float(value))


class TrainerController:
    """Trains every behavior of the environments of env_manager as options say; results
    (checkpoints, models, training status) go to run_dir."""

    def __init__(
        self,
        options: RunOptions,
        env_manager: EnvManager,
        run_dir: Path,
        status: TrainingStatus,
        seed: int,
        progress: ProgressBar | None = None,
        stop: StopRequests | None = None,
    ) -> None:
        """stop: the Ctrl-C handling of the whole run, when the caller installs it
        earlier than start_learning (as mlagents-learn does, so that a Ctrl-C before
        training or after saving cannot break the run either)."""
        self.options = options
        self.env_manager = env_manager
        self.run_dir = run_dir
        self.status = status
        self.seed = seed
        self.progress = progress
        checkpoint = options.checkpoint_settings
        self.inference = checkpoint.inference
        self.resume = checkpoint.resume
        self.init_dir = checkpoint.maybe_init_path
        # By brain name: trainers, reporters, checkpoints and step counts; by behavior
        # id: agent managers.
        self.trainers: dict[str, Trainer] = {}
        self.reporters: dict[str, _RewardRecordingReporter] = {}
        self.managers: dict[str, AgentManager] = {}
        # Ctrl-C while training: raised only where it cannot break a half-done operation.
        self._stop = stop if stop is not None else StopRequests()
        self._next_checkpoint: dict[str, int] = {}
        # --inference does not train: it runs max_steps steps from wherever it starts.
        self._inference_steps: dict[str, int] = {}
        self.parameters = seed_samplers(options.environment_parameters, seed)
        self.lessons: dict[str, int] = {
            key: 0
            for key, value in self.parameters.items()
            if isinstance(value, CurriculumSettings)
        }
        if self.resume:
            self.lessons.update({k: v for k, v in status.lessons.items() if k in self.lessons})
        self._smoothing: dict[str, float] = dict.fromkeys(self.lessons, 0.0)
        # Self-play: which team learns, for every ghost-trained behavior of the run.
        self.ghost_controller = GhostController()

    # The loop.

    @timed
    def start_learning(self) -> None:
        """Train until every trainer is done or Ctrl-C; then save and close."""
        with self._stop:
            try:
                with self._stop.interruptible():
                    self.env_manager.reset(self._env_config())
                while not self._done():
                    self._stop.check()
                    self.advance()
            except KeyboardInterrupt:
                if self.progress:
                    self.progress.clear()
                how = "Terminated (SIGTERM)" if self._stop.first == SIGTERM else "Interrupted"
                logger.info("%s: saving a checkpoint and a model before exiting.", how)
            finally:
                self._stop.saving()
                if self.progress:
                    self._draw_progress(force=True)
                    self.progress.finish()
                self._save_all()
                self.env_manager.close()

    def _done(self) -> bool:
        if not self.trainers:
            return False
        if self.inference:
            return all(
                self._inference_steps[name] >= trainer.settings.max_steps
                for name, trainer in self.trainers.items()
            )
        return not any(trainer.should_still_train() for trainer in self.trainers.values())

    @timed
    def advance(self) -> None:
        """One iteration: step, create new trainers, process, advance, checkpoint."""
        with hierarchical_timer("env_step"), self._stop.interruptible():
            steps = self.env_manager.get_steps()
        for behavior_id, spec in self.env_manager.training_behaviors.items():
            if behavior_id not in self.managers:
                self._create_trainer_and_manager(behavior_id, spec)
        self.env_manager.process_steps(steps)
        for name, trainer in self.trainers.items():
            if self.inference or not trainer.should_still_train():
                self._drain(name)
                continue
            with hierarchical_timer("trainer_advance"):
                trainer.advance()
            if trainer.step >= self._next_checkpoint[name]:
                self._save(trainer)
                interval = trainer.settings.effective_checkpoint_interval
                self._next_checkpoint[name] = (trainer.step // interval + 1) * interval
        if self.ghost_controller.should_reset():
            # Another team learns from now on: the episodes in progress end.
            self.env_manager.reset(self._env_config())
        self._update_lessons()
        self._draw_progress()

    def _drain(self, name: str) -> None:
        """Take the trajectories of a behavior that does not train (it is done, or this is
        --inference); in inference count its steps and write its summaries."""
        trainer = self.trainers[name]
        for queue in trainer.trajectory_queues:
            for trajectory in queue.drain():
                if self.inference:
                    before = self._inference_steps[name]
                    after = before + len(trajectory.steps)
                    self._inference_steps[name] = after
                    freq = trainer.settings.summary_freq
                    if after // freq > before // freq:
                        trainer.stats_reporter.write_stats(after)

    def _create_trainer_and_manager(self, behavior_id: str, spec: Any) -> None:
        """An agent manager for behavior_id, fed to the trainer of its brain name (created
        on the brain's first behavior id)."""
        behavior = BehaviorIdentifiers.from_name_behavior_id(behavior_id)
        trainer = self.trainers.get(behavior.brain_name) or self._create_trainer(
            behavior.brain_name, spec
        )
        policy = trainer.add_policy(behavior, spec)
        manager = AgentManager(
            policy, behavior_id, trainer.stats_reporter, trainer.settings.time_horizon
        )
        trainer.subscribe_trajectory_queue(manager.trajectory_queue)
        trainer.publish_policy_queue(manager.policy_queue)
        self.env_manager.set_agent_manager(behavior_id, manager)
        self.env_manager.set_policy(behavior_id, policy)
        self.managers[behavior_id] = manager

    def _create_trainer(self, name: str, spec: Any) -> Trainer:
        settings = self.options.settings_for(name)
        if name not in self.options.behaviors:
            logger.warning(
                "Behavior %r is not in the configuration: it trains with default_settings "
                "(or the defaults).",
                name,
            )
        reporter = _RewardRecordingReporter(name)
        trainer = create_trainer(
            name,
            spec,
            settings,
            seed=self.seed,
            stats_reporter=reporter,
            ghost_controller=self.ghost_controller,
        )
        self._load(trainer, settings.init_path)
        if self.inference:
            # Inference acts as the exported model does by default: the most likely action.
            trainer.policy.deterministic = True
        self.env_manager.on_training_started(name, settings)
        reporter.add_property("hyperparameters", yaml.safe_dump(settings.as_dict()))
        self.trainers[name] = trainer
        self.reporters[name] = reporter
        self._inference_steps[name] = 0
        interval = settings.effective_checkpoint_interval
        self._next_checkpoint[name] = (trainer.step // interval + 1) * interval
        if self.progress:
            total = settings.max_steps
            start = 0 if self.inference else trainer.step
            self.progress.add(name, start, total)
        logger.info("Created trainer for behavior %s (step %d).", name, trainer.step)
        return trainer

    def _load(self, trainer: Trainer, init_path: str | None) -> None:
        name = trainer.brain_name
        if self.resume:
            trainer.load_training_status(self.status.data.get(name, {}))
            if not load_checkpoint(trainer, self.run_dir):
                logger.warning("No checkpoint of %s to resume from: it starts anew.", name)
            return
        source = Path(init_path) if init_path else self.init_dir
        if source is not None and not load_checkpoint(trainer, source, weights_only_init=True):
            raise FileNotFoundError(
                f"No checkpoint of behavior {name!r} to initialize from in {source}."
            )

    # Saving.

    def _save(self, trainer: Trainer, final: bool = False) -> None:
        recent = self.reporters[trainer.brain_name].recent
        reward = float(np.mean(recent)) if recent else None
        save_checkpoint(
            trainer,
            self.run_dir,
            self.status,
            trainer.settings.keep_checkpoints,
            reward=reward,
            final=final,
        )

    def _save_all(self) -> None:
        if self.inference:
            return  # nothing was trained: the run's checkpoints stay as they were
        for trainer in self.trainers.values():
            self._save(trainer, final=True)
        self.status.set_lessons(self.lessons)

    # Environment parameters and curricula.

    def _env_config(self) -> Mapping[str, SamplerSettings]:
        return lesson_values(self.parameters, self.lessons)

    def _update_lessons(self) -> None:
        changed, reset = False, False
        for key, lesson in list(self.lessons.items()):
            curriculum = self.parameters[key]
            assert isinstance(curriculum, CurriculumSettings)
            criteria = curriculum.lessons[lesson].completion_criteria
            if criteria is None or criteria.behavior not in self.trainers:
                continue
            trainer = self.trainers[criteria.behavior]
            reporter = self.reporters[criteria.behavior]
            update = curriculum.update(
                lesson,
                progress=trainer.step / max(trainer.settings.max_steps, 1),
                # The latest episodes only, as ML-Agents measures: all of them since the
                # lesson began would keep its early failures in the mean for good.
                rewards=reporter.since_lesson[-self._reward_window(criteria.behavior) :],
                smoothing=self._smoothing[key],
                elo=trainer.current_elo,
            )
            self._smoothing[key] = update.smoothing
            if not update.changed:
                continue
            self.lessons[key] = update.lesson
            changed, reset = True, reset or update.require_reset
            reporter.since_lesson.clear()
            logger.info(
                "Parameter %r is in lesson %r (lesson %d) for behavior %s at step %d.",
                key,
                curriculum.lessons[update.lesson].name,
                update.lesson,
                criteria.behavior,
                trainer.step,
            )
            reporter.set_stat(f"Environment/Lesson Number/{key}", update.lesson)
        if changed:
            self.status.set_lessons(self.lessons)
            if reset:
                self.env_manager.reset(self._env_config())
            else:
                self.env_manager.set_env_parameters(self._env_config())

    def _reward_window(self, behavior: str) -> int:
        """How many of a behavior's latest episode rewards a completion criterion averages:
        the largest min_lesson_length of its criteria, at least 1 (ML-Agents' rule)."""
        lengths = [
            lesson.completion_criteria.min_lesson_length
            for settings in self.parameters.values()
            if isinstance(settings, CurriculumSettings)
            for lesson in settings.lessons
            if lesson.completion_criteria is not None
            and lesson.completion_criteria.behavior == behavior
        ]
        return max([1, *lengths])

    # Progress.

    def _draw_progress(self, force: bool = False) -> None:
        if not self.progress:
            return
        for name, trainer in self.trainers.items():
            recent = self.reporters[name].recent
            reward = (float(np.mean(recent)), float(np.std(recent))) if recent else None
            step = self._inference_steps[name] if self.inference else trainer.step
            self.progress.update(name, step, reward, elo=trainer.current_elo)
        self.progress.tick(force)


def random_seed() -> int:
    """A seed for a run that did not choose one (env_settings.seed == -1), as ML-Agents."""
    return random.randint(0, 10000)
