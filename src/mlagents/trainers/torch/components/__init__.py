"""Parts of the torch trainers that are not networks: reward providers."""
