"""Behavior names and agent ids across environment workers.

A Unity build names each behavior "<BehaviorName>?team=<TeamId>" (PROTOCOL.md, "Unity's
behavior names"). Trainers, settings, result folders and models are keyed by the part
before "?", the brain name; policies and agent managers by the whole string, the behavior
id.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import parse_qs

from mlagents_envs.base_env import AgentId
from mlagents_envs.exception import UnityEnvironmentException


class BehaviorIdentifiers(NamedTuple):
    """A behavior name as Unity sends it, "<name>?team=<id>", split in its parts."""

    behavior_id: str
    brain_name: str
    team_id: int

    @staticmethod
    def from_name_behavior_id(name_behavior_id: str) -> BehaviorIdentifiers:
        """Split a behavior id: the brain name is everything before the first "?", the team
        id the query's first `team` value (0 without one), as ML-Agents reads it.

        ML-Agents parses the whole string as a URL, which also cuts a name at "#" or at a
        "scheme:" prefix; here only the "?" separates, so such names stay whole.
        """
        name, _, query = name_behavior_id.partition("?")
        teams = parse_qs(query).get("team")
        if not teams:
            return BehaviorIdentifiers(name_behavior_id, name, 0)
        try:
            team_id = int(teams[0])
        except ValueError:
            raise UnityEnvironmentException(
                f"Behavior {name_behavior_id!r}: team {teams[0]!r} is not an integer; Unity "
                "names behaviors '<BehaviorName>?team=<TeamId>' with an integer team id."
            ) from None
        return BehaviorIdentifiers(name_behavior_id, name, team_id)


def create_name_behavior_id(name: str, team_id: int) -> str:
    """The behavior id Unity sends for brain name under team_id: "<name>?team=<team_id>"."""
    return f"{name}?team={team_id}"


def get_global_agent_id(worker_id: int, agent_id: AgentId) -> str:
    """An agent id unique across workers (each environment numbers its agents anew)."""
    return f"${worker_id}-{agent_id}"
