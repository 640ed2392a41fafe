"""ML-Agents trainers: environment management, PPO and SAC, mlagents-learn."""
