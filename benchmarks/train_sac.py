"""SAC against the reference trainer on 3DBall: agent steps and wall-clock time to a mean
reward of 90 (benchmarks/train_vs_reference.py with config/sac/3DBall.yaml).

    .venv/bin/python benchmarks/train_sac.py [--seeds 1] [--target 90] [--max-steps 200000]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_vs_reference import main

if __name__ == "__main__":
    main(trainer_type="sac")
