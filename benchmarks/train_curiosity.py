"""PPO with curiosity against the reference trainer on Pyramids: agent steps and wall-clock
time to a mean reward of 1.5 (benchmarks/train_vs_reference.py with config/ppo/Pyramids.yaml,
16 areas in the executable, as upstream's Pyramids scene has 16).

A summary's mean reward is that of the episodes that ended in its period (10,000 steps):
1.5 means nearly every episode reaches the brick (a success scores about 1.8, a time-out
-1; the scripted policy scores 1.83). Seeds 0..n-1, each trainer in turn on the same
executable.

    .venv/bin/python benchmarks/train_curiosity.py [--seeds 3] [--target 1.5]
        [--max-steps 150000] [--config config/ppo/Pyramids_rnd.yaml] [--only ours]

Measured (2 cores, 2 seeds): curiosity, ours 60k and 50k steps in 29 and 24 s, the reference
60k and 50k in 74 and 60 s (steps 1.00x, time 0.40x); RND, ours 60k and 50k in 21 and 17 s,
the reference 50k and 50k in 54 and 83 s (steps 1.10x, time 0.30x).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_vs_reference import main

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    main(
        trainer_type="ppo",
        defaults={
            "env": "Pyramids",
            "config": ROOT / "config" / "ppo" / "Pyramids.yaml",
            "target": 1.5,
            "max_steps": 150_000,
            "num_areas": 16,
            "seeds": 3,
        },
        description=__doc__.split("\n\n")[0],
    )
