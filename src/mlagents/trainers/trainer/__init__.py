"""The trainer base classes and the factory that picks one by trainer_type."""
