"""Make the repository root importable, for `devtools`.

`python -m pytest` from the root puts it on sys.path, the `pytest` script does not, and
pytest's own rootdir insertion only adds this folder (it is not a package).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
