"""Environment management and trainers (PPO, SAC); they see environments only as BaseEnv."""

__version__ = "0.1.0"
