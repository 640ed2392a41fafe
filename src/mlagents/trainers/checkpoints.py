"""Checkpoints of a run: the trainer state of each behavior on disk, its ONNX model, and the
run's training_status.json.

A checkpoint is `torch.save` of the trainer's plain state dicts (`Trainer.checkpoint_state`:
policy with its normalizer, optimizer with critic and reward signals, step) and is read
back with `torch.load(weights_only=True)`: a results folder may come from elsewhere, and
unpickling arbitrary objects from it would run arbitrary code.

Layout under results/<run-id>/:
    <Behavior>/<Behavior>-<step>.pt and .onnx   every checkpoint (keep_checkpoints kept)
    <Behavior>/checkpoint.pt                    the latest, what --resume reads
    <Behavior>/...                              what the trainer keeps beside (a replay
                                                buffer, with save_replay_buffer)
    <Behavior>.onnx                             the final model
    run_logs/training_status.json               checkpoints, lessons, versions
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import torch

from mlagents.trainers.trainer.trainer import Trainer

logger = logging.getLogger(__name__)

STATUS_FORMAT_VERSION = "0.3.0"
LATEST = "checkpoint.pt"


class TrainingStatus:
    """training_status.json: the checkpoints of every behavior and the curriculum lessons,
    which --resume reads back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {
            "metadata": {
                "stats_format_version": STATUS_FORMAT_VERSION,
                "torch_version": torch.__version__,
            },
            "lessons": {},
        }

    @classmethod
    def load(cls, path: Path) -> TrainingStatus:
        status = cls(path)
        if path.is_file():
            status.data.update(json.loads(path.read_text(encoding="utf-8")))
        return status

    def behavior(self, name: str) -> dict[str, Any]:
        return self.data.setdefault(name, {"checkpoints": [], "final_checkpoint": None})

    @property
    def lessons(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.data.get("lessons", {}).items()}

    def set_lessons(self, lessons: dict[str, int]) -> None:
        self.data["lessons"] = dict(lessons)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole then renamed: a run killed mid-write keeps the previous status.
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        tmp.replace(self.path)


def save_checkpoint(
    trainer: Trainer,
    run_dir: Path,
    status: TrainingStatus,
    keep_checkpoints: int,
    reward: float | None = None,
    final: bool = False,
) -> Path:
    """Write trainer's state and ONNX model as a checkpoint at its step; drop the oldest
    beyond keep_checkpoints. final also writes run_dir/<Behavior>.onnx."""
    name = trainer.brain_name
    folder = run_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    step = int(trainer.step)
    path = folder / f"{name}-{step}.pt"
    state = trainer.checkpoint_state()
    torch.save(state, path)
    torch.save(state, folder / LATEST)
    trainer.save_extra(folder)
    onnx_path = path.with_suffix(".onnx")
    trainer.export_model(onnx_path)
    entry = {
        "steps": step,
        "file_path": str(onnx_path),
        "reward": reward,
        "creation_time": time.time(),
        "auxillary_file_paths": [str(path)],  # ML-Agents' spelling
    }
    record = status.behavior(name)
    record.update(trainer.training_status())
    record["checkpoints"] = [c for c in record["checkpoints"] if c["steps"] != step] + [entry]
    while len(record["checkpoints"]) > keep_checkpoints:
        old = record["checkpoints"].pop(0)
        for file in [old["file_path"], *old.get("auxillary_file_paths", [])]:
            Path(file).unlink(missing_ok=True)
    if final:
        final_path = run_dir / f"{name}.onnx"
        trainer.export_model(final_path)
        record["final_checkpoint"] = {**entry, "file_path": str(final_path)}
        logger.info("Exported %s", final_path)
    status.save()
    logger.info("Saved checkpoint %s", path)
    return path


def latest_checkpoint(run_dir: Path, behavior_name: str) -> Path:
    """Where the latest checkpoint of behavior_name in run_dir is (it may not exist)."""
    return run_dir / behavior_name / LATEST


def load_checkpoint(trainer: Trainer, path: Path, weights_only_init: bool = False) -> bool:
    """Load the checkpoint at path (a .pt file, or a run folder for the behavior's latest);
    False if there is none.

    weights_only_init (--initialize-from, init_path) takes the networks (normalizers
    included) and leaves the step and the torch optimizers as they are: a new run starting
    from old weights.
    """
    if path.is_dir():
        path = latest_checkpoint(path, trainer.brain_name)
    if not path.is_file():
        return False
    state = torch.load(path, map_location="cpu", weights_only=True)
    trainer.load_checkpoint_state(state, weights_only=weights_only_init, source=str(path))
    if not weights_only_init:
        trainer.load_extra(path.parent)
    logger.info("Loaded %s from %s (step %d)", trainer.brain_name, path, trainer.step)
    return True
