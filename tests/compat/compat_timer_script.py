"""Exercises mlagents_envs.timers and prints the shape of the tree it makes as JSON:
every key in order, counts and flags as they are, times and metadata values replaced by
their type. Run by the timer tests with our package and with ML-Agents' (the peer's)."""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any

from mlagents_envs import timers


@timers.timed
def leaf() -> int:
    return 1


def failing() -> None:
    with timers.hierarchical_timer("fails"):
        raise KeyError("on purpose")


def shape(tree: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if key == "children":
            out[key] = {name: shape(child) for name, child in value.items()}
        elif key == "metadata":
            out[key] = {k: type(v).__name__ for k, v in value.items()}
        elif key in ("total", "self"):
            out[key] = type(value).__name__
        else:
            out[key] = value
    return out


def main() -> None:
    timers.reset_timers()
    with timers.hierarchical_timer("outer"):
        leaf()
        leaf()
        with timers.hierarchical_timer("inner"):
            leaf()
        with contextlib.suppress(KeyError):
            failing()
    timers.set_gauge("reward", 1.0)
    timers.set_gauge("reward", 3.0)
    timers.set_gauge("reward", float("nan"))
    timers.set_gauge("loss", -2.0)
    timers.add_metadata("run", "shape")

    # A worker thread's tree, merged in as ML-Agents' trainer merges its workers'.
    def work() -> None:
        for _ in range(3):
            with timers.hierarchical_timer("step"):
                leaf()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    stack = timers.get_timer_stack_for_thread(thread)
    assert stack is not None
    with timers.hierarchical_timer("workers") as node:
        node.merge(stack.root, root_name="worker_root", is_parallel=True)
    timers.merge_gauges(stack.gauges)
    print(json.dumps(shape(timers.get_timer_tree())))


if __name__ == "__main__":
    main()
