"""The environment end of the ML-Agents wire, in Python, and example environments."""

__version__ = "0.1.0"
