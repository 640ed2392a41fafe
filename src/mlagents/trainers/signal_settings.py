"""The settings of reward signals (`reward_signals`) and of behavioral cloning
(`behavioral_cloning`), with ML-Agents 0.28's defaults.

Each signal name has its own class: `extrinsic` (`RewardSignalSettings`: gamma, strength),
`curiosity`, `rnd` and `gail`, which train networks of their own (`learning_rate`,
`network_settings`, the older `encoding_size`). A demonstration path must exist when the
configuration is read, not minutes into a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mlagents.trainers.network_settings import NetworkSettings
from mlagents.trainers.settings_schema import (
    Section,
    TrainerConfigError,
    in_range,
    key_path,
    parsed_by,
    to_choice,
    to_int,
    to_mapping,
    to_str,
)

__all__ = [
    "SIGNAL_SETTINGS",
    "BehavioralCloningSettings",
    "CuriositySettings",
    "GAILSettings",
    "LearnedSignalSettings",
    "RNDSettings",
    "RewardSignalSettings",
    "parse_reward_signals",
]


def to_demo_path(value: Any, path: str) -> str:
    """A .demo file or a folder of them, which must exist (relative to the working
    directory, as mlagents-learn reads it)."""
    text = to_str(value, path)
    if not Path(text).exists():
        raise TrainerConfigError(
            path,
            f"{text!r} does not exist (looked for from {Path.cwd()}); give the path of a .demo "
            "file or of a folder of them",
        )
    return text


@dataclass(frozen=True, kw_only=True)
class RewardSignalSettings(Section):
    """A reward signal: its discount and the factor its rewards are scaled by (the
    `extrinsic` signal's whole settings)."""

    # ML-Agents writes a network_settings block under every signal; the extrinsic one has
    # no network, so it is checked and dropped.
    _IGNORED: ClassVar[frozenset[str]] = frozenset({"network_settings"})
    gamma: float = field(default=0.99, metadata=in_range(ge=0, le=1))
    strength: float = 1.0

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> RewardSignalSettings:
        if cls._IGNORED and isinstance(d, Mapping) and "network_settings" in d:
            NetworkSettings.from_dict(d["network_settings"], key_path(path, "network_settings"))
        return super().from_dict(d, path)


@dataclass(frozen=True, kw_only=True)
class LearnedSignalSettings(RewardSignalSettings):
    """A signal with a network of its own, trained with Adam at learning_rate.

    encoding_size is ML-Agents' older name for network_settings.hidden_units: given alone
    it sets hidden_units; given with a different hidden_units it is an error (ML-Agents
    would quietly use hidden_units)."""

    _IGNORED: ClassVar[frozenset[str]] = frozenset()
    learning_rate: float = field(default=3e-4, metadata=in_range(gt=0))
    encoding_size: int | None = field(default=None, metadata=in_range(ge=1))
    network_settings: NetworkSettings = field(default_factory=NetworkSettings)

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> LearnedSignalSettings:
        if isinstance(d, Mapping) and d.get("encoding_size") is not None:
            size_path = key_path(path, "encoding_size")
            size = to_int(d["encoding_size"], size_path)
            network_path = key_path(path, "network_settings")
            network = to_mapping(d.get("network_settings") or {}, network_path)
            hidden = network.get("hidden_units")
            if hidden is None:
                d = {**d, "network_settings": {**network, "hidden_units": size}}
            elif hidden != size:
                raise TrainerConfigError(
                    size_path,
                    f"{size} disagrees with {key_path(network_path, 'hidden_units')} "
                    f"({hidden!r}); encoding_size is the older name of hidden_units: keep one",
                )
        return super().from_dict(d, path)  # type: ignore[return-value]

    def _check(self, path: str) -> None:
        if self.network_settings.deterministic:
            raise TrainerConfigError(
                key_path(key_path(path, "network_settings"), "deterministic"),
                "a reward signal's network takes no actions; remove the key or set it false",
            )


@dataclass(frozen=True, kw_only=True)
class CuriositySettings(LearnedSignalSettings):
    """The intrinsic curiosity module: rewards what its forward model fails to predict."""


@dataclass(frozen=True, kw_only=True)
class RNDSettings(LearnedSignalSettings):
    """Random network distillation: rewards what a trained network fails to match of a
    fixed random one."""

    learning_rate: float = field(default=1e-4, metadata=in_range(gt=0))


@dataclass(frozen=True, kw_only=True)
class GAILSettings(LearnedSignalSettings):
    """Generative adversarial imitation: rewards what a discriminator takes for the
    demonstrations of demo_path. use_actions: it also sees the actions (and episode ends);
    use_vail: a variational bottleneck regularizes it."""

    demo_path: str = field(metadata=parsed_by(to_demo_path))
    use_actions: bool = False
    use_vail: bool = False


#: The settings class of each reward signal name.
SIGNAL_SETTINGS: dict[str, type[RewardSignalSettings]] = {
    "extrinsic": RewardSignalSettings,
    "curiosity": CuriositySettings,
    "gail": GAILSettings,
    "rnd": RNDSettings,
}


def parse_reward_signals(value: Any, path: str) -> dict[str, RewardSignalSettings]:
    """reward_signals: signal names to their settings, at least one."""
    mapping = to_mapping(value, path, "a mapping of reward signal names to settings")
    signals = {}
    for key, item in mapping.items():
        name = to_choice(key, list(SIGNAL_SETTINGS), key_path(path, key), "reward_signals")
        signals[name] = SIGNAL_SETTINGS[name].from_dict(item, key_path(path, name))
    if not signals:
        raise TrainerConfigError(path, "give at least one reward signal (extrinsic)")
    return signals


@dataclass(frozen=True, kw_only=True)
class BehavioralCloningSettings(Section):
    """Behavioral cloning: the policy is also trained to take the actions of the
    demonstrations of demo_path, with Adam at the trainer's learning rate times strength,
    annealed linearly to 0 over steps (0: not annealed). Each update makes num_epoch
    passes (3 when not given) over minibatches of batch_size (the trainer's when not
    given), at most samples_per_update samples a pass (0: the whole demonstration)."""

    demo_path: str = field(metadata=parsed_by(to_demo_path))
    steps: int = field(default=0, metadata=in_range(ge=0))
    strength: float = field(default=1.0, metadata=in_range(ge=0))
    samples_per_update: int = field(default=0, metadata=in_range(ge=0))
    num_epoch: int | None = field(default=None, metadata=in_range(ge=1))
    batch_size: int | None = field(default=None, metadata=in_range(ge=1))
