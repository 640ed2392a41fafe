"""The low-level Python API of Unity ML-Agents: BaseEnv, UnityEnvironment, side channels."""

__version__ = "0.1.0"
