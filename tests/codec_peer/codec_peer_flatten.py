"""Reduce decoded specs and steps to plain records, the same way on both sides of the test.

Imported by our tests and, by the peer script, under the reference client's interpreter: it
must need nothing but numpy. Arrays go to an .npz archive, which keeps dtype, shape and bits;
everything else (specs, the Python type of each field, errors) goes to JSON.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class PeerReport(NamedTuple):
    """report.json and arrays.npz as the peer script wrote them."""

    report: dict[str, Any]
    arrays: dict[str, np.ndarray]


DECISION_FIELDS = ("obs", "reward", "agent_id", "action_mask", "group_id", "group_reward")
TERMINAL_FIELDS = ("obs", "reward", "interrupted", "agent_id", "group_id", "group_reward")
# obs and action_mask are lists of arrays (action_mask may be None); the rest are arrays.
LIST_FIELDS = ("obs", "action_mask")


def spec_record(spec: Any) -> dict[str, Any]:
    """A BehaviorSpec as JSON: enums by value, tuples as lists, and the container types."""
    return {
        "observation_specs": [
            {
                "shape": [int(d) for d in o.shape],
                "shape_type": type(o.shape).__name__,
                "dimension_property": [int(p) for p in o.dimension_property],
                "dimension_property_names": [type(p).__name__ for p in o.dimension_property],
                "observation_type": int(o.observation_type.value),
                "observation_type_name": o.observation_type.name,
                "name": o.name,
            }
            for o in spec.observation_specs
        ],
        "continuous_size": int(spec.action_spec.continuous_size),
        "discrete_branches": [int(b) for b in spec.action_spec.discrete_branches],
        "discrete_branches_type": type(spec.action_spec.discrete_branches).__name__,
    }


def steps_record(
    prefix: str, steps: Any, fields: tuple[str, ...], arrays: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Store every field of steps in arrays under prefix|field[|k]; return their descriptions."""
    described: dict[str, Any] = {"len": len(steps)}
    for field in fields:
        value = getattr(steps, field)
        if field in LIST_FIELDS:
            if value is None:
                described[field] = None
                continue
            described[field] = {
                "type": type(value).__name__,
                "items": [_store(f"{prefix}|{field}|{k}", v, arrays) for k, v in enumerate(value)],
            }
        else:
            described[field] = _store(f"{prefix}|{field}", value, arrays)
    return described


def _store(key: str, value: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    arrays[key] = np.asarray(value)
    return {
        "key": key,
        "type": type(value).__name__,
        "dtype": str(value.dtype) if isinstance(value, np.ndarray) else None,
    }
