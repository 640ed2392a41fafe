"""Prints, as JSON, the public names of every mlagents_envs module the interpreter has
(but the generated protobuf modules) and the public attributes of each class among them:
run with the reference client's interpreter, it lists what scripts may import from it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import mlagents_envs


def public_names() -> dict[str, dict[str, list[str] | None]]:
    found: dict[str, dict[str, list[str] | None]] = {}
    for info in pkgutil.walk_packages(mlagents_envs.__path__, "mlagents_envs."):
        if "communicator_objects" in info.name or ".tests" in info.name:
            continue
        module = importlib.import_module(info.name)
        names: dict[str, list[str] | None] = {}
        for name, value in vars(module).items():
            if name.startswith("_") or inspect.ismodule(value):
                continue
            # What the module defines, not what it imported (typing names, numpy...); a
            # package's re-exports are part of it.
            if not info.ispkg and getattr(value, "__module__", info.name) != info.name:
                continue
            if inspect.isclass(value):
                names[name] = sorted(a for a in vars(value) if not a.startswith("_"))
            else:
                names[name] = None
        found[info.name] = names
    return found


if __name__ == "__main__":
    print(json.dumps(public_names(), sort_keys=True))
