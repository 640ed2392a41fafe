"""mlagents_envs.timers: the tree ML-Agents writes to timers.json, per-thread stacks,
gauges, metadata, merging; and the same tree shape as ML-Agents' own module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mlagents_envs import timers
from mlagents_envs.timers import GaugeNode, TimerNode, TimerStack

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"


def test_nested_blocks_and_timed_calls_make_the_tree() -> None:
    stack = TimerStack()
    with timers.hierarchical_timer("outer", stack) as outer:
        for _ in range(3):
            with timers.hierarchical_timer("inner", stack) as inner:
                pass
    assert stack.root.children == {"outer": outer}
    assert outer.children == {"inner": inner}
    assert (outer.count, inner.count) == (1, 3)
    assert outer.total >= inner.total > 0.0
    assert stack.stack == [stack.root]  # every block was closed


def test_tree_as_ml_agents_writes_it() -> None:
    stack = TimerStack()
    outer = stack.root.get_child("outer")
    outer.total, outer.count = 5.0, 2
    first = outer.get_child("a")
    first.total, first.count = 1.5, 4
    second = outer.get_child("b")
    second.total, second.count = 2.0, 1
    stack.set_gauge("g", 2.0)
    stack.add_metadata("key", "value")
    tree = stack.get_timing_tree()
    assert list(tree) == ["name", "gauges", "metadata", "total", "count", "self", "children"]
    assert tree["name"] == "root"
    assert tree["count"] == 1
    assert tree["gauges"] == {"g": {"value": 2.0, "min": 2.0, "max": 2.0, "count": 1}}
    assert list(tree["metadata"]) == [
        "timer_format_version",
        "start_time_seconds",
        "python_version",
        "command_line_arguments",
        "key",
        "end_time_seconds",
    ]
    assert tree["metadata"]["timer_format_version"] == "0.1.0"
    assert tree["metadata"]["key"] == "value"
    assert tree["children"]["outer"] == {
        "total": 5.0,
        "count": 2,
        "self": 1.5,  # total less the children's
        "children": {
            "a": {"total": 1.5, "count": 4, "self": 1.5},
            "b": {"total": 2.0, "count": 1, "self": 2.0},
        },
    }
    json.dumps(tree)  # plain data


def test_self_is_never_negative() -> None:
    stack = TimerStack()
    parent = stack.root.get_child("parallel")
    parent.total = 1.0
    parent.get_child("worker").total = 3.0
    assert stack.get_timing_tree(parent)["self"] == 0.0


def test_a_block_that_raises_is_counted_and_the_error_goes_on() -> None:
    stack = TimerStack()
    with pytest.raises(ZeroDivisionError), timers.hierarchical_timer("broken", stack):
        _ = 1 / 0
    assert stack.root.children["broken"].count == 1
    assert stack.stack == [stack.root]


def test_timed_names_the_timer_after_the_function() -> None:
    timers.reset_timers()

    class Policy:
        @timers.timed
        def evaluate(self, x: int) -> int:
            """Doubles x."""
            return 2 * x

    assert Policy().evaluate(4) == 8
    assert Policy.evaluate.__doc__ == "Doubles x."
    assert Policy.evaluate.__name__ == "evaluate"
    name = Policy.evaluate.__qualname__
    assert name.endswith("<locals>.Policy.evaluate")
    assert timers.get_timer_root().children[name].count == 1


def test_hierarchical_timer_as_a_decorator() -> None:
    stack = TimerStack()

    @timers.hierarchical_timer("decorated", stack)
    def twice(x: int) -> int:
        return 2 * x

    assert twice(3) + twice(4) == 14
    assert stack.root.children["decorated"].count == 2


def test_each_thread_has_its_own_stack() -> None:
    timers.reset_timers()
    with timers.hierarchical_timer("main"):
        pass

    def work() -> None:
        with timers.hierarchical_timer("worker"):
            pass

    thread = threading.Thread(target=work)
    assert timers.get_timer_stack_for_thread(thread) is None  # not started
    thread.start()
    thread.join()
    theirs = timers.get_timer_stack_for_thread(thread)
    assert theirs is not None
    assert list(theirs.root.children) == ["worker"]
    assert list(timers.get_timer_root().children) == ["main"]
    assert timers.get_timer_stack_for_thread(threading.current_thread()) is not theirs


def test_merge_adds_times_counts_and_children() -> None:
    mine, other = TimerNode(), TimerNode()
    mine.get_child("step").add_time(1.0)
    other.add_time(4.0)
    other.get_child("step").add_time(2.0)
    other.get_child("step").get_child("policy").add_time(0.5)
    mine.merge(other, root_name="workers", is_parallel=True)
    workers = mine.children["workers"]
    assert (workers.total, workers.count, workers.is_parallel) == (4.0, 1, True)
    assert workers.children["step"].children["policy"].total == 0.5
    mine.merge(other, is_parallel=False)
    assert (mine.total, mine.children["step"].total, mine.children["step"].count) == (4.0, 3.0, 2)
    assert not mine.children["step"].is_parallel


def test_gauges_keep_min_max_count_and_the_latest_value() -> None:
    stack = TimerStack()
    for value in (3.0, float("nan"), -1.0, 2.0):
        stack.set_gauge("g", value)
    assert stack.gauges["g"].as_dict() == {"value": 2.0, "min": -1.0, "max": 3.0, "count": 3}
    # Merging keeps the value updated last, by the gauges' clocks.
    older, newer = GaugeNode(10.0), GaugeNode(5.0)
    older._timestamp = 1.0
    newer._timestamp = stack.gauges["g"]._timestamp + 1.0
    timers.merge_gauges({"g": newer}, stack)
    timers.merge_gauges({"h": older}, stack)
    assert stack.gauges["g"].as_dict() == {"value": 5.0, "min": -1.0, "max": 5.0, "count": 4}
    assert stack.gauges["h"] is older
    older.merge(newer)
    assert older.value == 5.0


def test_reset_empties_the_tree_gauges_and_metadata() -> None:
    timers.reset_timers()
    with timers.hierarchical_timer("before"):
        pass
    timers.set_gauge("g", 1.0)
    timers.add_metadata("k", "v")
    timers.reset_timers()
    tree = timers.get_timer_tree()
    assert "children" not in tree and "gauges" not in tree
    assert "k" not in tree["metadata"]


@pytest.mark.peer
def test_the_tree_has_the_shape_of_ml_agents_own() -> None:
    # The same script against both implementations: every key in the same order, the
    # same counts and flags (times and metadata values differ from run to run).
    from devtools.peer_env import PeerUnavailable, peer_python

    try:
        peer = peer_python()
    except PeerUnavailable as error:
        pytest.skip(f"the reference client is unavailable: {error}")
    script = str(HERE / "compat_timer_script.py")
    # The peer must import its own mlagents_envs, not ours from PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ours = subprocess.run(
        [sys.executable, script],
        env={**env, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
    )
    assert ours.returncode == 0, ours.stderr
    theirs = subprocess.run([str(peer), script], env=env, capture_output=True, text=True)
    assert theirs.returncode == 0, theirs.stderr
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)
    # Equal dicts may differ in order: JSON files are read in order too.
    assert ours.stdout == theirs.stdout


def test_unused_timers_cost_nothing_but_the_import() -> None:
    # Importing starts no thread and makes no stack; the first timer of a thread makes it.
    code = (
        "import threading\n"
        "from mlagents_envs import timers\n"
        "assert threading.active_count() == 1\n"
        "assert timers._thread_timer_stacks == {}\n"
        "with timers.hierarchical_timer('first'):\n"
        "    pass\n"
        "assert list(timers._thread_timer_stacks) == [threading.get_ident()]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
