"""The schema engine of the trainer configuration: typed settings sections read from YAML data.

A `Section` is a frozen dataclass; `Section.from_dict(d, path)` checks every key against its
fields and every value against the field's type and bounds, and a mistake raises
`TrainerConfigError` whose message starts with the key's full path (`behaviors.3DBall.
hyperparameters.batch_sze: unknown key; did you mean batch_size?`). `Section.as_dict()` gives
the settings back as YAML-safe data that `from_dict` reads to an equal object.

Trainers of other packages declare their hyperparameters with the same tools: subclass
`mlagents.trainers.trainer_settings.HyperparamSettings` and bound fields with `in_range`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import math
import operator
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

__all__ = [
    "NOT_IMPLEMENTED",
    "Section",
    "TrainerConfigError",
    "convert",
    "deep_merge",
    "describe",
    "field_types",
    "in_range",
    "is_section_value",
    "key_path",
    "parsed_by",
    "plain",
    "suggest",
    "to_bool",
    "to_brain_name",
    "to_choice",
    "to_float",
    "to_int",
    "to_mapping",
    "to_str",
]


class TrainerConfigError(ValueError):
    """A trainer configuration that cannot be used; the message starts with the key path
    (after the file's name, when it came from a file)."""

    def __init__(self, path: str, problem: str, source: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.source = source
        where = ": ".join(part for part in (source, path) if part)
        super().__init__(f"{where}: {problem}" if where else problem)


# ML-Agents names that this package knows but does not implement: a clearer error than
# "unknown", since the same file may train upstream. Keyed by the setting's name.
NOT_IMPLEMENTED: dict[str, dict[str, str]] = {
    "trainer_type": {},
}


def key_path(path: str, key: object) -> str:
    """The dotted path of key under path."""
    return f"{path}.{key}" if path else str(key)


def describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def suggest(name: str, known: Sequence[str]) -> str:
    """'did you mean X?' for the closest of known, or a plain hint."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else "check the spelling"


# Value converters: each takes a raw YAML value and the path it came from.


def to_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise TrainerConfigError(path, f"expected true or false, got {describe(value)}")
    return value


def to_float(value: Any, path: str) -> float:
    # YAML 1.1 reads `1e-3` (no dot) as a string; upstream accepts it, so do we.
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TrainerConfigError(path, f"expected a number, got {describe(value)}")
    if not math.isfinite(value):
        raise TrainerConfigError(path, f"expected a finite number, got {value!r}")
    return float(value)


def to_int(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = to_float(value, path)  # 5.0e5 and "5e5" are whole numbers written as floats
    except TrainerConfigError:
        number = math.nan
    if not number.is_integer():
        raise TrainerConfigError(path, f"expected an integer, got {describe(value)}")
    return int(number)


def to_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise TrainerConfigError(
            path, f"expected a string, got {describe(value)}; quote it in YAML"
        )
    return value


def to_brain_name(value: Any, path: str) -> str:
    # Settings are keyed by the behavior name without Unity's "?team=N" suffix (the brain
    # name) and apply to every team of it; ML-Agents would silently never match such a key.
    name = to_str(value, path)
    if "?" in name:
        brain = name.partition("?")[0]
        raise TrainerConfigError(
            path,
            f"{name!r}: name the behavior without its team suffix, {brain!r}; its settings "
            "apply to every team id of it",
        )
    return name


def to_choice(value: Any, choices: Sequence[str], path: str, kind: str = "") -> str:
    """value, one of choices; kind names the setting in NOT_IMPLEMENTED."""
    name = to_str(value, path)
    listed = ", ".join(choices)
    unimplemented = NOT_IMPLEMENTED.get(kind, {}).get(name)
    if unimplemented and name not in choices:
        raise TrainerConfigError(
            path, f"{unimplemented} ({name!r}) is not implemented here; use one of: {listed}"
        )
    if name not in choices:
        raise TrainerConfigError(
            path, f"{name!r} is not one of: {listed}; {suggest(name, choices)}"
        )
    return name


def to_mapping(value: Any, path: str, what: str = "a mapping of keys to values") -> Mapping:
    if not isinstance(value, Mapping):
        raise TrainerConfigError(path, f"expected {what}, got {describe(value)}")
    return value


def convert(value: Any, tp: Any, path: str) -> Any:
    """Check value against the type annotation tp and return it in that type."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(tp) if arg is not type(None)]
        if value is None and len(options) < len(get_args(tp)):
            return None
        (option,) = options
        return convert(value, option, path)
    if origin is Literal:
        return to_choice(value, get_args(tp), path, path.rpartition(".")[2])
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TrainerConfigError(path, f"expected a list, got {describe(value)}")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value)
        elif len(value) != len(args):
            raise TrainerConfigError(path, f"expected {len(args)} items, got {len(value)}")
        return tuple(convert(v, a, f"{path}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if isinstance(tp, type) and issubclass(tp, Section):
        return tp.from_dict(value, path)
    converters: dict[Any, Callable[[Any, str], Any]] = {
        bool: to_bool,
        int: to_int,
        float: to_float,
        str: to_str,
    }
    return converters[tp](value, path)


def in_range(**bounds: float) -> dict[str, Any]:
    """Field metadata: the number must lie within bounds (ge, gt, le)."""
    return {"bounds": bounds}


def parsed_by(parse: Callable[[Any, str], Any]) -> dict[str, Any]:
    """Field metadata: the value is read by parse(value, path) instead of by its type."""
    return {"parse": parse}


_COMPARISONS = {"ge": (">=", operator.ge), "gt": (">", operator.gt), "le": ("<=", operator.le)}


def _check_bounds(value: Any, bounds: Mapping[str, float], path: str) -> None:
    for name, limit in bounds.items():
        sign, holds = _COMPARISONS[name]
        if not holds(value, limit):
            raise TrainerConfigError(path, f"must be {sign} {limit:g}, got {value!r}")


def plain(value: Any) -> Any:
    """A settings value as YAML-safe data (mappings, lists, scalars)."""
    if hasattr(value, "to_config"):
        return value.to_config()
    if isinstance(value, Section):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


S = TypeVar("S", bound="Section")


class Section:
    """A block of settings: a frozen dataclass read from a mapping by its fields' types."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    # Keys that are accepted and dropped: ML-Agents writes them, they mean nothing here.
    _IGNORED: ClassVar[frozenset[str]] = frozenset()
    # ML-Agents features not implemented here, accepted with a null value only (upstream
    # writes `memory: null` and the like in every resolved configuration): key -> feature.
    _NULL_ONLY: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def from_dict(cls: type[S], d: Any, path: str = "") -> S:
        """Validate d (a mapping; None means all defaults) and build the settings."""
        mapping = to_mapping({} if d is None else d, path)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key, value in mapping.items():
            if key in cls._NULL_ONLY and value is not None:
                raise TrainerConfigError(
                    key_path(path, key),
                    f"{cls._NULL_ONLY[key]} is not implemented here; remove the key or set it "
                    "to null",
                )
            if key not in fields and key not in cls._NULL_ONLY and key not in cls._IGNORED:
                raise TrainerConfigError(key_path(path, key), cls._unknown(str(key), value))
        values: dict[str, Any] = {}
        for name, f in fields.items():
            sub = key_path(path, name)
            if name not in mapping:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise TrainerConfigError(sub, "missing; this key is required")
                continue
            value = cls._parse_field(name, mapping[name], sub, values)
            if "bounds" in f.metadata and value is not None:
                _check_bounds(value, f.metadata["bounds"], sub)
            values[name] = value
        settings = cls(**values)
        settings._check(path)
        return settings

    @classmethod
    def _parse_field(cls, name: str, value: Any, path: str, parsed: Mapping[str, Any]) -> Any:
        """Read field name's raw value; parsed holds the fields read before it (in field
        order), for a field whose type depends on another's value."""
        parse = cls.__dataclass_fields__[name].metadata.get("parse")
        return parse(value, path) if parse else convert(value, field_types(cls)[name], path)

    @classmethod
    def _subsections(cls) -> dict[str, tuple[type[Section], ...]]:
        """The section classes each field may hold (for the 'it belongs under' hint)."""
        return {
            name: (tp,)
            for name, tp in field_types(cls).items()
            if isinstance(tp, type) and issubclass(tp, Section)
        }

    @classmethod
    def _unknown(cls, key: str, value: Any) -> str:
        names = [f.name for f in dataclasses.fields(cls)]
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        if close:
            return f"unknown key; did you mean {close[0]}?"
        # A key of a sub-section written one level too high (the pre-2020 flat format).
        for name, sections in cls._subsections().items():
            if any(key in section.__dataclass_fields__ for section in sections):
                return f"unknown key; it belongs under {name}"
        return f"unknown key; the keys here are {', '.join(names)}"

    def _check(self, path: str) -> None:
        """Rules that involve several fields; raise TrainerConfigError with a path."""

    def as_dict(self) -> dict[str, Any]:
        """The settings as YAML-safe data, every default filled in."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """The resolved field types of cls (annotations are strings until resolved)."""
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = get_type_hints(cls)
    return _FIELD_TYPES[cls]


def is_section_value(value: Any) -> bool:
    """Whether value can be a section in YAML: a mapping, or null for all defaults."""
    return value is None or isinstance(value, Mapping)


def deep_merge(base: Mapping, top: Mapping) -> dict:
    """base with top's keys written over it, mappings merged key by key."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        if isinstance(below, Mapping) and is_section_value(value):
            merged[key] = deep_merge(below, value or {})
        else:
            merged[key] = value
    return merged
