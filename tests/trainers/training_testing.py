"""A trainer trained in-process, as the learning tests run one."""

from __future__ import annotations

from mlagents.trainers.agent_processor import AgentManager
from mlagents.trainers.simple_env_manager import SimpleEnvManager
from mlagents.trainers.trainer.trainer import Trainer


def run_trainer(
    trainer: Trainer,
    manager: SimpleEnvManager,
    behavior_id: str,
    steps: int,
    time_horizon: int,
) -> None:
    """Wire trainer to the agents of behavior_id in manager, train until its step reaches
    steps, then close manager."""
    agent_manager = AgentManager(trainer.policy, behavior_id, trainer.stats_reporter, time_horizon)
    trainer.subscribe_trajectory_queue(agent_manager.trajectory_queue)
    trainer.publish_policy_queue(agent_manager.policy_queue)
    manager.set_agent_manager(behavior_id, agent_manager)
    manager.set_policy(behavior_id, trainer.policy)
    while trainer.step < steps:
        manager.process_steps(manager.get_steps())
        trainer.advance()
    manager.close()
