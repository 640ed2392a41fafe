"""Recording agents into `.demo` files, as Unity's Demonstration Recorder component does.

A `DemonstrationRecorder` watches a Scene (attach it, or give `record_demo=` to InProcessEnv,
or `--record-demo PATH` to the player) and writes one file per recorded agent, as a recorder
component on each of those agents would:

- a step is recorded whenever the agent reports to Python: each decision request, and the
  terminal step when its episode ends (terminal first when both come in one output);
- the agent info is what the environment sends on the wire for that agent (same encoding,
  PNG images included); the action paired with it is the one the agent held when it
  reported, which is the action of its previous decision (zeros at the first decision of
  an episode: Unity clears what an agent holds when its episode ends or the scene resets).
  ML-Agents pairs an observation with that action when it reads the file;
- closing writes the metadata: number_steps (records), number_episodes (terminal records
  plus one for the episode under way), mean_reward (the sum of the recorded rewards over
  number_episodes) and api_version 1, as Unity does; Unity also leaves a copy of the
  metadata after the last step, and so does this.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mlagents_envs.base_env import ActionTuple, BehaviorSpec, DecisionSteps, TerminalSteps
from mlagents_envs.codec import actions_to_proto, behavior_spec_to_proto, steps_to_proto
from mlagents_envs.codec.wire_steps import varint
from mlagents_envs.communicator_objects.agent_info_action_pair_pb2 import (
    AgentInfoActionPairProto,
)
from mlagents_envs.communicator_objects.demonstration_meta_pb2 import DemonstrationMetaProto
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_sim.academy import Steps
from mlagents_sim.scene import Scene

logger = logging.getLogger(__name__)

#: The metadata region at the start of a file; the brain parameters follow at this offset.
META_REGION = 33
API_VERSION = 1
DEMO_SUFFIX = ".demo"
#: Unity keeps a demonstration name to these characters and this length.
MAX_NAME_LENGTH = 16
_NAME_CHARACTERS = re.compile(r"[^a-zA-Z0-9 -]")


def sanitize_name(name: str) -> str:
    """A demonstration name as Unity keeps it: letters, digits, spaces and hyphens, at most
    16 characters (longer names would not fit the metadata region)."""
    return _NAME_CHARACTERS.sub("", name)[:MAX_NAME_LENGTH]


def _delimited(payload: bytes) -> bytes:
    return varint(len(payload)) + payload


class DemonstrationWriter:
    """One agent's demonstration file: metadata, brain parameters, then a step per record."""

    def __init__(
        self, path: Path, name: str, behavior_id: str, spec: BehaviorSpec, file: BinaryIO
    ) -> None:
        self.path = path
        self.meta = DemonstrationMetaProto(api_version=API_VERSION, demonstration_name=name)
        # Unity names the brain parameters by the full behavior id, not training.
        brain = behavior_spec_to_proto(behavior_id, spec, is_training=False)
        self._file: BinaryIO | None = file
        self._cumulative_reward = np.float32(0.0)
        head = _delimited(self.meta.SerializeToString())
        self._file.write(head.ljust(META_REGION, b"\0") + _delimited(brain.SerializeToString()))

    @property
    def closed(self) -> bool:
        return self._file is None

    def record(self, pair: AgentInfoActionPairProto) -> None:
        if self._file is None:
            return
        self.meta.number_steps += 1
        # In float32, as Unity sums it.
        self._cumulative_reward += np.float32(pair.agent_info.reward)
        if pair.agent_info.done:
            self.meta.number_episodes += 1
        self._file.write(_delimited(pair.SerializeToString()))

    def close(self) -> None:
        """Write the metadata and close the file (safe twice)."""
        if self._file is None:
            return
        # Unity counts the episode under way as one more, ended or not.
        self.meta.number_episodes += 1
        self.meta.mean_reward = float(self._cumulative_reward / self.meta.number_episodes)
        data = self._fitted_meta().SerializeToString()
        self._file.write(data)  # the copy Unity leaves at the end
        self._file.seek(0)
        self._file.write(_delimited(data))
        self._file.close()
        self._file = None

    def _fitted_meta(self) -> DemonstrationMetaProto:
        """The metadata, its name shortened if large counts would overflow the region."""
        meta = self.meta
        while len(_delimited(meta.SerializeToString())) > META_REGION:
            logger.warning(
                "Demonstration %s: shortening its name %r to fit the metadata.",
                self.path,
                meta.demonstration_name,
            )
            meta.demonstration_name = meta.demonstration_name[:-1]
        return meta


class _RecordedAgent:
    """A recorded agent: its file, the action it holds, where it asked in the last output."""

    def __init__(self, agent_id: int, writer: DemonstrationWriter, spec: BehaviorSpec) -> None:
        self.agent_id = agent_id
        self.writer = writer
        self.empty = spec.action_spec.empty_action(1)
        self.held = self.empty
        self.position: int | None = None


class DemonstrationRecorder:
    """Records agents of one behavior of a Scene into .demo files.

    - path: a .demo file (the first agent's; further agents get "<stem>_0.demo",
      "<stem>_1.demo"... beside it, overwritten), or a folder, where files are named after
      the demonstration name with Unity's numbering and never overwrite another.
    - behavior: a behavior name or id ("3DBall" or "3DBall?team=0"); the scene's first
      behavior by default.
    - agents: how many agents to record (those with the lowest ids at their first decision).
    - name: the demonstration name in the metadata (sanitized as Unity does); by default the
      file's stem, or the behavior name for a folder.
    - max_steps: stop recording an agent after that many steps (Unity's NumStepsToRecord;
      0 records until close) and close its file at once.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        behavior: str | None = None,
        agents: int = 1,
        name: str | None = None,
        max_steps: int = 0,
    ) -> None:
        if agents < 1 or max_steps < 0:
            raise UnityEnvironmentException(
                f"agents={agents} must be >= 1 and max_steps={max_steps} >= 0."
            )
        self.target = Path(path)
        self.behavior = behavior
        self.n_agents = agents
        self.name = name
        self.max_steps = max_steps
        self._scene: Scene | None = None
        self._behavior_id: str | None = None
        self._agents: list[_RecordedAgent] = []

    def attach(self, scene: Scene) -> DemonstrationRecorder:
        """Start watching scene (from its next output on)."""
        if self._scene is not None:
            raise UnityEnvironmentException("A DemonstrationRecorder records one scene only.")
        self._scene = scene
        self._behavior_id = self._find_behavior(scene)
        scene.add_observer(self)
        return self

    @property
    def paths(self) -> list[Path]:
        """The files of the recorded agents (none before their first decision)."""
        return [a.writer.path for a in self._agents]

    @property
    def steps(self) -> int:
        """Steps recorded so far, for the agent with fewest."""
        return min((a.writer.meta.number_steps for a in self._agents), default=0)

    @property
    def done(self) -> bool:
        """Every agent has its max_steps (never, without max_steps)."""
        return bool(self._agents) and all(a.writer.closed for a in self._agents)

    def observe(
        self, actions: Mapping[str, ActionTuple] | None, steps: Mapping[str, Steps]
    ) -> None:
        """Called by the scene after each output, with the actions that led to it (None for a
        reset)."""
        assert self._scene is not None and self._behavior_id is not None
        name = self._behavior_id
        given = None if actions is None else actions.get(name)
        for agent in self._agents:
            if actions is None:
                agent.held = agent.empty
            elif agent.position is not None:
                agent.held = _row(given, agent.position) if given is not None else agent.empty
            agent.position = None
        if name not in steps:
            return
        decision, terminal = steps[name]
        if not self._agents and len(decision):
            self._open(sorted(int(i) for i in decision.agent_id)[: self.n_agents])
        for agent in self._agents:
            if agent.writer.closed:
                continue
            if agent.agent_id in terminal.agent_id:
                self._record(agent, None, _terminal_row(terminal, agent.agent_id))
                agent.held = agent.empty  # Unity clears it when the episode ends
            if agent.agent_id in decision.agent_id:
                row, one = _decision_row(decision, agent.agent_id)
                self._record(agent, one, None)
                agent.position = row

    def close(self) -> None:
        """Write every file's metadata (safe twice; the scene calls it when it closes)."""
        for agent in self._agents:
            agent.writer.close()

    def _find_behavior(self, scene: Scene) -> str:
        ids = list(scene.behavior_specs)
        if self.behavior is None:
            return ids[0]
        matches = [b for b in ids if self.behavior in (b, b.partition("?")[0])]
        if not matches:
            raise UnityEnvironmentException(
                f"Cannot record behavior {self.behavior!r}: the scene has {ids}."
            )
        return matches[0]

    def _open(self, agent_ids: Sequence[int]) -> None:
        assert self._scene is not None and self._behavior_id is not None
        spec = self._scene.behavior_specs[self._behavior_id]
        stem = self.target.stem if self.target.suffix == DEMO_SUFFIX else None
        name = sanitize_name(self.name or stem or self._behavior_id.partition("?")[0])
        for k, agent_id in enumerate(agent_ids):
            if stem is not None:
                suffix = "" if k == 0 else f"_{k - 1}"
                path = self.target.with_name(f"{stem}{suffix}{DEMO_SUFFIX}")
                file = _claim(path)
                if file is None:
                    # Several environments given one file (mlagents-learn --num-envs with
                    # --env-args --record-demo F): each other one records beside it.
                    given = path
                    path, file = _unique_path(path.parent, f"{stem}{suffix}")
                    logger.warning(
                        "%s is being recorded by another environment; recording into %s.",
                        given,
                        path,
                    )
            else:
                path, file = _unique_path(self.target, name)
            try:
                writer = DemonstrationWriter(path, name, self._behavior_id, spec, file)
            except BaseException:
                file.close()
                path.unlink(missing_ok=True)
                raise
            self._agents.append(_RecordedAgent(agent_id, writer, spec))
        logger.info("Recording %s into %s", self._behavior_id, [str(p) for p in self.paths])

    def _record(
        self, agent: _RecordedAgent, decision: DecisionSteps | None, terminal: TerminalSteps | None
    ) -> None:
        assert self._scene is not None and self._behavior_id is not None
        name = self._behavior_id
        spec = self._scene.behavior_specs[name]
        (info,) = steps_to_proto(
            decision if decision is not None else DecisionSteps.empty(spec),
            terminal if terminal is not None else TerminalSteps.empty(spec),
            spec,
            self._scene.academy.behaviors[name].compressed or None,
            self._scene.channels_first,
        )
        (action,) = actions_to_proto(agent.held)
        agent.writer.record(AgentInfoActionPairProto(agent_info=info, action_info=action))
        if self.max_steps and agent.writer.meta.number_steps >= self.max_steps:
            agent.writer.close()


def _row(action: ActionTuple, position: int) -> ActionTuple:
    rows = slice(position, position + 1)
    return ActionTuple(action.continuous[rows].copy(), action.discrete[rows].copy())


def _decision_row(steps: DecisionSteps, agent_id: int) -> tuple[int, DecisionSteps]:
    i = int(np.flatnonzero(steps.agent_id == agent_id)[0])
    rows = slice(i, i + 1)
    masks = None if steps.action_mask is None else [m[rows] for m in steps.action_mask]
    one = DecisionSteps(
        [o[rows] for o in steps.obs],
        steps.reward[rows],
        steps.agent_id[rows],
        masks,
        steps.group_id[rows],
        steps.group_reward[rows],
    )
    return i, one


def _terminal_row(steps: TerminalSteps, agent_id: int) -> TerminalSteps:
    i = int(np.flatnonzero(steps.agent_id == agent_id)[0])
    rows = slice(i, i + 1)
    return TerminalSteps(
        [o[rows] for o in steps.obs],
        steps.reward[rows],
        steps.interrupted[rows],
        steps.agent_id[rows],
        steps.group_id[rows],
        steps.group_reward[rows],
    )


def _claim(path: Path, replace: bool = True) -> BinaryIO | None:
    """path opened for writing and locked for as long as it stays open; None when another
    recorder (of this or another process) holds it, or when it exists and not replace.
    Without POSIX locks (Windows) only the existence check guards it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_CREAT | (0 if replace else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        return None
    if sys.platform != "win32":
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
    # Truncated only once it is ours: another recorder's file is never cut.
    os.ftruncate(fd, 0)
    return os.fdopen(fd, "r+b")


def _unique_path(folder: Path, name: str) -> tuple[Path, BinaryIO]:
    """The first of folder/name.demo, name_0.demo, name_1.demo... that does not exist,
    created (at once, so that two recorders never pick the same one)."""
    path = folder / f"{name}{DEMO_SUFFIX}"
    counter = 0
    while (file := _claim(path, replace=False)) is None:
        path = folder / f"{name}_{counter}{DEMO_SUFFIX}"
        counter += 1
    return path, file
