"""Shared set-up for the side-channel tests."""

from __future__ import annotations

import sys
from pathlib import Path

# The peer test imports devtools from the repository root, which pytest does not put on
# sys.path by itself when it is started as `pytest` rather than `python -m pytest`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
