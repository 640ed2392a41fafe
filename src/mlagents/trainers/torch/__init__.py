"""PyTorch parts of the trainers: encoders, the actor-critic network, the policy."""
