"""A reward curriculum measures a behavior's latest episodes (as many as the largest
min_lesson_length of its criteria), not every episode since the lesson began: early
failures must not hold a lesson back for good."""

from __future__ import annotations

from pathlib import Path

from mlagents.trainers.checkpoints import TrainingStatus
from mlagents.trainers.settings import RunOptions
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.trainer_controller import REWARD_KEY, TrainerController
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv


def controller_with_curriculum(tmp_path: Path) -> tuple[TrainerController, SimpleEnvManager]:
    criteria = {
        "behavior": "Basic",
        "measure": "reward",
        "threshold": 0.5,
        "min_lesson_length": 10,
        "signal_smoothing": False,
    }
    options = RunOptions.from_dict(
        {
            "behaviors": {"Basic": {"max_steps": 10**6, "summary_freq": 10**6}},
            "environment_parameters": {
                "level": {
                    "curriculum": [
                        {"name": "easy", "value": 1.0, "completion_criteria": criteria},
                        {"name": "hard", "value": 2.0},
                    ]
                }
            },
        }
    )
    params = EnvironmentParametersChannel()
    sim = make_simulation("Basic", seed=0, num_areas=1)
    manager = SimpleEnvManager(InProcessEnv(sim, [params]), params)
    status = TrainingStatus(tmp_path / "training_status.json")
    controller = TrainerController(options, manager, tmp_path, status, seed=0)
    manager.reset()
    controller.advance()  # creates the trainer of Basic
    return controller, manager


def test_a_reward_lesson_measures_the_latest_episodes(tmp_path: Path) -> None:
    controller, manager = controller_with_curriculum(tmp_path)
    reporter = controller.reporters["Basic"]
    reporter.since_lesson.clear()
    for reward in [-1.0] * 50 + [0.9] * 4:
        reporter.add_stat(REWARD_KEY, reward)
    controller._update_lessons()
    # The 10 latest (min_lesson_length) average -0.24: no change yet.
    assert controller.lessons == {"level": 0}
    for _ in range(6):
        reporter.add_stat(REWARD_KEY, 0.9)
    controller._update_lessons()
    # The mean of the 10 latest is 0.9 (of all 60 since the lesson began: -0.68).
    assert controller.lessons == {"level": 1}
    manager.close()
