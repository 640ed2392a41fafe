"""Hierarchical timers and gauges, as ML-Agents' `mlagents_envs.timers`.

    @timed
    def evaluate(batch): ...

    with hierarchical_timer("env_step"):
        evaluate(batch)          # counted as env_step -> evaluate

    json.dump(get_timer_tree(), open("timers.json", "w"), indent=4)

Each thread has its own stack of open timers and its own tree, so that threads never mix
their timings; `get_timer_stack_for_thread` reads another thread's, and `TimerNode.merge`
folds a tree (a worker's, say) into another. A timer costs two clock reads and a dict
lookup when it runs (`benchmarks/timers_overhead.py` measures it), and nothing when it does
not: importing this module starts nothing, and a thread's stack is made on its first timer.

`get_timer_tree()` gives the tree ML-Agents writes to `run_logs/timers.json`:
`{"name": "root", "gauges": {...}, "metadata": {...}, "total": s, "count": 1, "self": s,
"children": {name: {"total", "count", ["is_parallel"], "self", ["children"]}}}`, where
"self" is the time not spent in children, and gauges and metadata appear when set.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

TIMER_FORMAT_VERSION = "0.1.0"

_clock = time.perf_counter
FuncT = TypeVar("FuncT", bound=Callable[..., Any])


class TimerNode:
    """The time spent in one block of code at one place of the tree, and its children
    (by name: a node does not store its own name)."""

    __slots__ = ("children", "count", "is_parallel", "total")

    def __init__(self) -> None:
        self.children: dict[str, TimerNode] = {}
        self.total: float = 0.0
        self.count: int = 0
        self.is_parallel = False

    def get_child(self, name: str) -> TimerNode:
        """The child called name, made if it does not exist yet."""
        child = self.children.get(name)
        if child is None:
            child = self.children[name] = TimerNode()
        return child

    def add_time(self, elapsed: float) -> None:
        """Count one more run of the block, which took elapsed seconds."""
        self.total += elapsed
        self.count += 1

    def merge(
        self, other: TimerNode, root_name: str | None = None, is_parallel: bool = True
    ) -> None:
        """Add other's times and counts to this node (or to its child root_name), and its
        children's to the children of the same names, recursively. is_parallel marks the
        merged nodes as having run beside this tree (so a parent may total less than its
        children)."""
        node = self.get_child(root_name) if root_name else self
        node.total += other.total
        node.count += other.count
        node.is_parallel |= is_parallel
        for name, other_child in other.children.items():
            node.get_child(name).merge(other_child, is_parallel=is_parallel)


class GaugeNode:
    """The latest value of a metric, with its minimum, maximum and number of updates."""

    __slots__ = ("_timestamp", "count", "max_value", "min_value", "value")

    def __init__(self, value: float) -> None:
        self.value = value
        self.min_value = value
        self.max_value = value
        self.count = 1
        # Wall-clock time of the last update: merging keeps the most recent value.
        self._timestamp = time.time()

    def update(self, new_value: float) -> None:
        self.min_value = min(self.min_value, new_value)
        self.max_value = max(self.max_value, new_value)
        self.value = new_value
        self.count += 1
        self._timestamp = time.time()

    def merge(self, other: GaugeNode) -> None:
        """Fold in another gauge of the same metric; the later value wins."""
        if self._timestamp < other._timestamp:
            self.value = other.value
            self._timestamp = other._timestamp
        self.min_value = min(self.min_value, other.min_value)
        self.max_value = max(self.max_value, other.max_value)
        self.count += other.count

    def as_dict(self) -> dict[str, float]:
        return {
            "value": self.value,
            "min": self.min_value,
            "max": self.max_value,
            "count": self.count,
        }


class TimerStack:
    """One thread's tree of timers, the timers open in it, its gauges and metadata. Use
    hierarchical_timer and timed rather than push and pop, so that they always pair."""

    __slots__ = ("gauges", "metadata", "root", "stack", "start_time")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start afresh: an empty tree, no gauges, only the default metadata."""
        self.root = TimerNode()
        self.stack = [self.root]
        self.start_time = _clock()
        self.gauges: dict[str, GaugeNode] = {}
        self.metadata: dict[str, str] = {}
        self._add_default_metadata()

    def push(self, name: str) -> TimerNode:
        """Enter the block name, under the innermost open one."""
        node = self.stack[-1].get_child(name)
        self.stack.append(node)
        return node

    def pop(self) -> None:
        """Leave the innermost open block."""
        self.stack.pop()

    def get_root(self) -> TimerNode:
        """The root, its total brought up to now (time since the stack was made)."""
        root = self.root
        root.total = _clock() - self.start_time
        root.count = 1
        return root

    def get_timing_tree(self, node: TimerNode | None = None) -> dict[str, Any]:
        """The tree under node (the whole tree by default) as plain data, for JSON."""
        result: dict[str, Any] = {}
        if node is None:
            node = self.get_root()
            result["name"] = "root"
            if self.gauges:
                result["gauges"] = self._get_gauges()
            if self.metadata:
                self.metadata["end_time_seconds"] = str(int(time.time()))
                result["metadata"] = dict(self.metadata)
        result["total"] = node.total
        result["count"] = node.count
        if node.is_parallel:
            result["is_parallel"] = True
        children: dict[str, Any] = {}
        children_total = 0.0
        for name, child in node.children.items():
            children[name] = self.get_timing_tree(child)
            children_total += child.total
        result["self"] = max(0.0, node.total - children_total)
        if children:
            result["children"] = children
        return result

    def set_gauge(self, name: str, value: float) -> None:
        """Record value for the gauge name (made on first use); NaN is ignored."""
        if math.isnan(value):
            return
        gauge = self.gauges.get(name)
        if gauge is None:
            self.gauges[name] = GaugeNode(value)
        else:
            gauge.update(value)

    def add_metadata(self, key: str, value: str) -> None:
        self.metadata[key] = value

    def _get_gauges(self) -> dict[str, dict[str, float]]:
        return {name: gauge.as_dict() for name, gauge in self.gauges.items()}

    def _add_default_metadata(self) -> None:
        self.metadata["timer_format_version"] = TIMER_FORMAT_VERSION
        self.metadata["start_time_seconds"] = str(int(time.time()))
        self.metadata["python_version"] = sys.version
        self.metadata["command_line_arguments"] = " ".join(sys.argv)


# Every thread's stack by thread id, for get_timer_stack_for_thread; a thread finds its own
# through _local, which is quicker than looking its id up.
_thread_timer_stacks: dict[int, TimerStack] = {}
_local = threading.local()


def _get_thread_timer() -> TimerStack:
    """The calling thread's stack, made on first use."""
    try:
        return _local.stack  # type: ignore[no-any-return]
    except AttributeError:
        stack = _local.stack = TimerStack()
        _thread_timer_stacks[threading.get_ident()] = stack
        return stack


def get_timer_stack_for_thread(t: threading.Thread) -> TimerStack | None:
    """The stack of thread t, or None if it has not timed anything (or not started)."""
    if t.ident is None:
        return None
    return _thread_timer_stacks.get(t.ident)


class HierarchicalTimer:
    """`with hierarchical_timer("name") as node:` times its block under the innermost timer
    open in this thread (or in timer_stack) and gives the block's node to `as`. Also a
    decorator, each call timed on its own.

    The bookkeeping is written out here rather than through TimerStack.push and pop, one
    call each fewer, because this is the cost every timed block pays.
    """

    __slots__ = ("_name", "_node", "_stack", "_start")

    def __init__(self, name: str, timer_stack: TimerStack | None = None) -> None:
        self._name = name
        self._stack = timer_stack

    def __enter__(self) -> TimerNode:
        stack = self._stack
        if stack is None:
            try:
                stack = _local.stack
            except AttributeError:
                stack = _get_thread_timer()
            self._stack = stack
        open_nodes = stack.stack
        children = open_nodes[-1].children
        node = children.get(self._name)
        if node is None:
            node = children[self._name] = TimerNode()
        open_nodes.append(node)
        self._node = node
        self._start = _clock()
        return node

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Counted whether the block ended normally or raised; an exception goes on.
        node = self._node
        node.total += _clock() - self._start
        node.count += 1
        self._stack.stack.pop()  # type: ignore[union-attr]

    def __call__(self, func: FuncT) -> FuncT:
        name, timer_stack = self._name, self._stack

        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with HierarchicalTimer(name, timer_stack):
                return func(*args, **kwargs)

        return wrapped  # type: ignore[return-value]


#: ML-Agents' name: a function there, a class here (a call fewer per block).
hierarchical_timer = HierarchicalTimer


def timed(func: FuncT) -> FuncT:
    """Decorator: time every call of func, named by its qualified name ("Class.method"),
    in the calling thread's stack."""
    name = func.__qualname__

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            stack = _local.stack
        except AttributeError:
            stack = _get_thread_timer()
        open_nodes = stack.stack
        children = open_nodes[-1].children
        node = children.get(name)
        if node is None:
            node = children[name] = TimerNode()
        open_nodes.append(node)
        start = _clock()
        try:
            return func(*args, **kwargs)
        finally:
            node.total += _clock() - start
            node.count += 1
            open_nodes.pop()

    return wrapped  # type: ignore[return-value]


def set_gauge(name: str, value: float, timer_stack: TimerStack | None = None) -> None:
    """Record value for the gauge name (this thread's, or timer_stack's)."""
    (timer_stack or _get_thread_timer()).set_gauge(name, value)


def merge_gauges(gauges: dict[str, GaugeNode], timer_stack: TimerStack | None = None) -> None:
    """Fold gauges (another stack's) into this thread's, or timer_stack's."""
    target = (timer_stack or _get_thread_timer()).gauges
    for name, gauge in gauges.items():
        if name in target:
            target[name].merge(gauge)
        else:
            target[name] = gauge


def add_metadata(key: str, value: str, timer_stack: TimerStack | None = None) -> None:
    """Record key: value in the tree's metadata (this thread's, or timer_stack's)."""
    (timer_stack or _get_thread_timer()).add_metadata(key, value)


def get_timer_tree(timer_stack: TimerStack | None = None) -> dict[str, Any]:
    """This thread's tree (or timer_stack's) as plain data, ready for json.dump."""
    return (timer_stack or _get_thread_timer()).get_timing_tree()


def get_timer_root(timer_stack: TimerStack | None = None) -> TimerNode:
    """The root node of this thread's tree (or timer_stack's), its total brought up to now."""
    return (timer_stack or _get_thread_timer()).get_root()


def reset_timers(timer_stack: TimerStack | None = None) -> None:
    """Empty this thread's tree (or timer_stack's), its gauges and metadata."""
    (timer_stack or _get_thread_timer()).reset()
