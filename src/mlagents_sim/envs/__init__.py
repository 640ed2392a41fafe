"""Example environments written as batched numpy simulations."""
