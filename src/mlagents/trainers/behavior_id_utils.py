"""Behavior names and agent ids across environment workers."""

from __future__ import annotations

from typing import NamedTuple

from mlagents_envs.base_env import AgentId


class BehaviorIdentifiers(NamedTuple):
    """A behavior name as Unity sends it, "<name>?team=<id>", split in its parts."""

    behavior_id: str
    brain_name: str
    team_id: int

    @staticmethod
    def from_name_behavior_id(name_behavior_id: str) -> BehaviorIdentifiers:
        name, _, query = name_behavior_id.partition("?")
        team = 0
        for part in query.split("&") if query else []:
            key, _, value = part.partition("=")
            if key == "team" and value.lstrip("-").isdigit():
                team = int(value)
        return BehaviorIdentifiers(name_behavior_id, name, team)


def get_global_agent_id(worker_id: int, agent_id: AgentId) -> str:
    """An agent id unique across workers (each environment numbers its agents anew)."""
    return f"${worker_id}-{agent_id}"
