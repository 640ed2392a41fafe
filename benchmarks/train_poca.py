"""MA-POCA against the reference trainer on PushBlock: agent steps and wall-clock time to a
mean group reward (benchmarks/train_vs_reference.py with config/poca/PushBlock.yaml,
trainer poca, the summaries' "Mean Group Reward").

Both trainers run in turn on the same PushBlock executable (groups of three; 4 areas by
default), same configuration and seed. A group that delivers all three blocks scores about
5.9, random moves about -0.7; the default target, 0, is a group that delivers about one
block per episode more than random play. --max-steps caps each run (keep it short: the
machine is shared).

    .venv/bin/python benchmarks/train_poca.py [--seeds 1] [--target 0] [--max-steps 60000]
        [--num-areas 4] [--only ours]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_vs_reference import main

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    main(
        trainer_type="poca",
        defaults={
            "env": "PushBlock",
            "config": ROOT / "config" / "poca" / "PushBlock.yaml",
            "target": 0.0,
            "max_steps": 60_000,
            "num_areas": 4,
            "group_reward": True,
        },
        description=__doc__.split("\n\n")[0],
    )
