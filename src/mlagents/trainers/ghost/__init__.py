"""Self-play: the ghost trainer, its controller across behaviors, and ELO ratings."""
