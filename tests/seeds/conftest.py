"""Fixtures of the seed tests: environment processes import this folder's simulations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _seeds_sims_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Environment processes import the simulations of seeds_sims by module name.
    existing = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), existing])))
