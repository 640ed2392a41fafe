"""Extension points that other packages fill through entry points (as mlagents 1.x has)."""

#: Entry-point group of trainer types; see `mlagents.plugins.trainer_type`.
ML_AGENTS_TRAINER_TYPE = "mlagents.trainer_type"
