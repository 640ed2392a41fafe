"""Environment parameters: constants, samplers drawn per episode, and curricula of lessons.

Each parameter has `apply(key, channel)` to queue its (current lesson's) value on an
`EnvironmentParametersChannel`; `lesson_values` and `seed_samplers` prepare what the
environment managers send.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple

from mlagents.trainers.settings_schema import (
    Section,
    TrainerConfigError,
    describe,
    in_range,
    key_path,
    parsed_by,
    to_brain_name,
    to_choice,
    to_float,
    to_mapping,
    to_str,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentParametersChannel,
)

__all__ = [
    "CompletionCriteriaSettings",
    "ConstantSettings",
    "CurriculumSettings",
    "EnvironmentParameterSettings",
    "GaussianSettings",
    "Lesson",
    "LessonUpdate",
    "MultiRangeUniformSettings",
    "SamplerSettings",
    "UniformSettings",
    "lesson_values",
    "parse_environment_parameters",
    "seed_samplers",
]

logger = logging.getLogger(__name__)


class SamplerSettings(Section):
    """How an environment parameter is set: a value, or a distribution drawn per episode."""

    sampler_type: ClassVar[str]

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        """Queue this value of parameter key on channel."""
        raise NotImplementedError

    def with_seed(self, seed: int) -> SamplerSettings:
        """A copy whose seed is seed, unless the configuration chose one (-1 means not)."""
        if getattr(self, "seed", None) == -1:
            return dataclasses.replace(self, seed=seed)
        return self

    def to_config(self) -> Any:
        return {"sampler_type": self.sampler_type, "sampler_parameters": self.as_dict()}


@dataclass(frozen=True, kw_only=True)
class ConstantSettings(SamplerSettings):
    """A fixed value (written as a bare number, or as `sampler_type: constant`)."""

    sampler_type: ClassVar[str] = "constant"
    _IGNORED: ClassVar[frozenset[str]] = frozenset({"seed"})  # a constant draws nothing
    value: float

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_float_parameter(key, self.value)

    def to_config(self) -> Any:
        return self.value


@dataclass(frozen=True, kw_only=True)
class UniformSettings(SamplerSettings):
    """A uniform draw from [min_value, max_value]."""

    sampler_type: ClassVar[str] = "uniform"
    min_value: float
    max_value: float = 1.0
    seed: int = -1

    def _check(self, path: str) -> None:
        if self.min_value > self.max_value:
            raise TrainerConfigError(
                key_path(path, "min_value"),
                f"{self.min_value} is greater than max_value {self.max_value}",
            )

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_uniform_sampler_parameters(key, self.min_value, self.max_value, self.seed)


@dataclass(frozen=True, kw_only=True)
class GaussianSettings(SamplerSettings):
    """A draw from the normal distribution N(mean, st_dev ** 2)."""

    sampler_type: ClassVar[str] = "gaussian"
    mean: float = 1.0
    st_dev: float = field(default=1.0, metadata=in_range(ge=0))
    seed: int = -1

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_gaussian_sampler_parameters(key, self.mean, self.st_dev, self.seed)


@dataclass(frozen=True, kw_only=True)
class MultiRangeUniformSettings(SamplerSettings):
    """A uniform draw from the union of [min, max] intervals."""

    sampler_type: ClassVar[str] = "multirangeuniform"
    intervals: tuple[tuple[float, float], ...]
    seed: int = -1

    def _check(self, path: str) -> None:
        if not self.intervals:
            raise TrainerConfigError(key_path(path, "intervals"), "give at least one [min, max]")
        for i, (low, high) in enumerate(self.intervals):
            if low > high:
                raise TrainerConfigError(
                    f"{key_path(path, 'intervals')}[{i}]", f"min {low} is greater than max {high}"
                )

    def apply(self, key: str, channel: EnvironmentParametersChannel) -> None:
        channel.set_multirangeuniform_sampler_parameters(key, self.intervals, self.seed)


_SAMPLERS: dict[str, type[SamplerSettings]] = {
    cls.sampler_type: cls
    for cls in (ConstantSettings, UniformSettings, GaussianSettings, MultiRangeUniformSettings)
}


def _parse_sampler(value: Any, path: str) -> SamplerSettings:
    """A number, or {sampler_type, sampler_parameters}."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ConstantSettings(value=to_float(value, path))
    what = "a number or a sampler (sampler_type, sampler_parameters)"
    mapping = to_mapping(value, path, what)
    for key in mapping:
        if key not in ("sampler_type", "sampler_parameters"):
            raise TrainerConfigError(key_path(path, key), f"unknown key; expected {what}")
    for key in ("sampler_type", "sampler_parameters"):
        if key not in mapping:
            raise TrainerConfigError(key_path(path, key), "missing; this key is required")
    kind = to_choice(mapping["sampler_type"], list(_SAMPLERS), key_path(path, "sampler_type"))
    return _SAMPLERS[kind].from_dict(
        mapping["sampler_parameters"], key_path(path, "sampler_parameters")
    )


@dataclass(frozen=True, kw_only=True)
class CompletionCriteriaSettings(Section):
    """When a lesson is complete: training progress, the mean episode reward, or the self-play
    ELO rating of a behavior passing threshold, after at least min_lesson_length episodes in
    the lesson. (ML-Agents documents the Elo measure but its trainer refuses it.)"""

    behavior: str = field(metadata=parsed_by(to_brain_name))
    measure: Literal["progress", "reward", "Elo"] = "reward"
    min_lesson_length: int = field(default=0, metadata=in_range(ge=0))
    signal_smoothing: bool = True
    threshold: float = 0.0
    require_reset: bool = False

    def _check(self, path: str) -> None:
        if self.measure == "progress" and not 0.0 <= self.threshold <= 1.0:
            raise TrainerConfigError(
                key_path(path, "threshold"),
                f"a progress threshold is a fraction of max_steps in [0, 1], got {self.threshold}",
            )

    def reached(
        self,
        *,
        progress: float,
        rewards: Sequence[float],
        smoothing: float = 0.0,
        elo: float | None = None,
    ) -> tuple[bool, float]:
        """Whether the lesson is complete, and the smoothed measure to pass next time.

        progress is the behavior's step / max_steps; rewards are its episode rewards since
        the lesson began; smoothing is the value this returned last time (0.0 at first);
        elo the behavior's current self-play rating (None: it has none).
        """
        if len(rewards) < self.min_lesson_length:
            return False, smoothing
        if self.measure == "progress":
            return progress > self.threshold, smoothing
        if self.measure == "Elo":
            if elo is None:
                return False, smoothing
            measure = elo
        elif len(rewards) == 0:
            return False, smoothing
        else:
            measure = float(sum(rewards)) / len(rewards)
        if math.isnan(measure):
            return False, smoothing
        if self.signal_smoothing:
            # ML-Agents' smoothing: a quarter of the previous value, three quarters of now.
            measure = 0.25 * smoothing + 0.75 * measure
            smoothing = measure
        return measure > self.threshold, smoothing


def _parse_lesson_value(value: Any, path: str) -> SamplerSettings:
    if isinstance(value, Mapping) and "curriculum" in value:
        raise TrainerConfigError(path, "a lesson's value cannot be a curriculum")
    return _parse_sampler(value, path)


@dataclass(frozen=True, kw_only=True)
class Lesson(Section):
    """One step of a curriculum: the parameter's value, and when to move on."""

    name: str
    value: SamplerSettings = field(metadata=parsed_by(_parse_lesson_value))
    completion_criteria: CompletionCriteriaSettings | None = None


class LessonUpdate(NamedTuple):
    """The outcome of checking a lesson's completion criteria."""

    lesson: int  # the lesson to be in from now on
    smoothing: float  # the smoothed reward, for the next check
    changed: bool
    require_reset: bool  # the completed lesson asks for the environments to be reset


@dataclass(frozen=True)
class CurriculumSettings:
    """Lessons taken in order; each but the last has completion criteria."""

    lessons: tuple[Lesson, ...]

    @classmethod
    def from_list(cls, value: Any, path: str) -> CurriculumSettings:
        if not isinstance(value, list | tuple) or not value:
            raise TrainerConfigError(path, f"expected a list of lessons, got {describe(value)}")
        lessons = tuple(Lesson.from_dict(item, f"{path}[{i}]") for i, item in enumerate(value))
        for i, lesson in enumerate(lessons[:-1]):
            if lesson.completion_criteria is None:
                raise TrainerConfigError(
                    f"{path}[{i}].completion_criteria",
                    "missing; every lesson but the last needs completion criteria",
                )
        if lessons[-1].completion_criteria is not None:
            logger.warning("%s: the last lesson's completion_criteria are never used.", path)
        return cls(lessons)

    def at(self, lesson: int) -> SamplerSettings:
        """The value of the parameter in lesson (0-based)."""
        return self.lessons[lesson].value

    def apply(self, key: str, channel: EnvironmentParametersChannel, lesson: int = 0) -> None:
        """Queue the value of lesson on channel."""
        self.at(lesson).apply(key, channel)

    def update(
        self,
        lesson: int,
        *,
        progress: float,
        rewards: Sequence[float],
        smoothing: float = 0.0,
        elo: float | None = None,
    ) -> LessonUpdate:
        """Check the completion criteria of lesson with the measures of its behavior
        (`lessons[lesson].completion_criteria.behavior`); move on by at most one lesson."""
        criteria = self.lessons[lesson].completion_criteria
        if lesson >= len(self.lessons) - 1 or criteria is None:
            return LessonUpdate(lesson, smoothing, False, False)
        done, smoothing = criteria.reached(
            progress=progress, rewards=rewards, smoothing=smoothing, elo=elo
        )
        if not done:
            return LessonUpdate(lesson, smoothing, False, False)
        return LessonUpdate(lesson + 1, smoothing, True, criteria.require_reset)

    def with_seed(self, seed: int) -> CurriculumSettings:
        lessons = (dataclasses.replace(x, value=x.value.with_seed(seed)) for x in self.lessons)
        return CurriculumSettings(tuple(lessons))

    def to_config(self) -> Any:
        return {"curriculum": [lesson.as_dict() for lesson in self.lessons]}


EnvironmentParameterSettings = SamplerSettings | CurriculumSettings


def _parse_environment_parameter(value: Any, path: str) -> EnvironmentParameterSettings:
    if isinstance(value, Mapping) and "curriculum" in value:
        for key in value:
            if key != "curriculum":
                raise TrainerConfigError(key_path(path, key), "unknown key next to curriculum")
        return CurriculumSettings.from_list(value["curriculum"], key_path(path, "curriculum"))
    return _parse_sampler(value, path)


def parse_environment_parameters(
    value: Any, path: str
) -> dict[str, EnvironmentParameterSettings] | None:
    if value is None:
        return None
    mapping = to_mapping(value, path, "a mapping of parameter names to settings")
    return {
        to_str(key, path): _parse_environment_parameter(item, key_path(path, key))
        for key, item in mapping.items()
    }


def lesson_values(
    parameters: Mapping[str, EnvironmentParameterSettings] | None,
    lessons: Mapping[str, int] | None = None,
) -> dict[str, SamplerSettings]:
    """The value of every parameter in its current lesson (lessons: name -> lesson, 0 when
    absent): what `EnvManager.reset` and `set_env_parameters` take."""
    values: dict[str, SamplerSettings] = {}
    for key, settings in (parameters or {}).items():
        if isinstance(settings, CurriculumSettings):
            values[key] = settings.at((lessons or {}).get(key, 0))
        else:
            values[key] = settings
    return values


def seed_samplers(
    parameters: Mapping[str, EnvironmentParameterSettings] | None, run_seed: int
) -> dict[str, EnvironmentParameterSettings]:
    """Give every sampler without a seed of its own (-1) one derived from the run's seed:
    run_seed for the first parameter, run_seed + 1 for the next, ...; so that a run with a
    fixed seed draws the same parameters, and two parameters do not draw alike."""
    return {
        key: settings.with_seed(run_seed + i)
        for i, (key, settings) in enumerate((parameters or {}).items())
    }
