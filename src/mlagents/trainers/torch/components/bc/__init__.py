"""Behavioral cloning: the policy trained to take the demonstrations' actions."""
