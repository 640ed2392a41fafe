"""Optimizers: the losses and updates of each algorithm, over a policy and a critic."""
