"""Demonstrations as imitation needs them: each observation with the action decided on it.

Unity's Demonstration Recorder pairs each recorded observation with the action the agent
held when it reported, the one decided at its previous decision (zeros at an episode's
start), and `demo_to_buffer` keeps that pairing, as ML-Agents does. Cloned as it is, a
policy learns the action that came before each observation: on Basic, to stand still where
every episode starts. So here the action of a row is the one held at the agent's next
record (decided on this row's observation), and rows whose observation is the terminal
step of an episode (on which nothing was decided) are left out; each file is one agent's
records in order, so this is done file by file.
"""

from __future__ import annotations

import os

import numpy as np

from mlagents.trainers.buffer import AgentBuffer, BufferKey
from mlagents.trainers.demo_loader import demo_to_buffer, get_demo_files
from mlagents_envs.base_env import BehaviorSpec
from mlagents_envs.exception import UnityEnvironmentException

_ACTIONS = (BufferKey.CONTINUOUS_ACTION, BufferKey.DISCRETE_ACTION)


def decided_rows(rows: AgentBuffer) -> AgentBuffer:
    """The rows of one file's buffer with the actions decided on their observations: row i
    takes row i + 1's action; the last row (whose decision is not in the buffer) and rows
    whose observation ended an episode (those after a done row) are dropped."""
    n = len(rows)
    if n < 2:
        return AgentBuffer()
    done = rows[BufferKey.DONE]
    keep = np.ones(n - 1, dtype=bool)
    keep[1:] = ~done[: n - 2]  # row i's observation is terminal when row i - 1 was done
    index = np.flatnonzero(keep)
    columns = rows.rows(index)
    for key in _ACTIONS:
        if key in rows:
            columns[key] = rows[key][index + 1]
    out = AgentBuffer()
    out.extend(columns)
    return out


def load_expert_rows(path: str | os.PathLike[str], spec: BehaviorSpec) -> AgentBuffer:
    """The demonstrations at path (a file or a folder) for a policy of spec, as rows of
    observations and the actions decided on them."""
    expert = AgentBuffer()
    for file in get_demo_files(path):
        _, rows = demo_to_buffer(file, 1, spec)
        expert.extend(dict(decided_rows(rows).items()))
    if not len(expert):
        raise UnityEnvironmentException(
            f"The demonstrations at {os.fspath(path)} hold no decision followed by another "
            "one; record longer demonstrations."
        )
    return expert
