"""GhostController: which team learns, across every ghost trainer of a run.

One controller serves the whole run: the ghost trainers subscribe their team ids, one team
learns at a time and the others play snapshots. In an asymmetric game (StrikersVsGoalie)
the teams belong to different behaviors, so only one behavior learns at a time. The
controller also rates games: the opponent's rating is that of the snapshot its trainer
deploys.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from mlagents.trainers.ghost.elo import elo_change

if TYPE_CHECKING:
    from mlagents.trainers.ghost.trainer import GhostTrainer

logger = logging.getLogger(__name__)


class GhostController:
    """The learning team, the teams waiting their turn, and each team's ghost trainer."""

    def __init__(self) -> None:
        self._trainers: dict[int, GhostTrainer] = {}
        self._waiting: deque[int] = deque()
        self._learning_team = -1
        self._changed = False

    @property
    def learning_team(self) -> int:
        """The team id whose trajectories train (-1 before any team subscribed)."""
        return self._learning_team

    @property
    def teams(self) -> dict[int, GhostTrainer]:
        return dict(self._trainers)

    def subscribe_team_id(self, team_id: int, trainer: GhostTrainer) -> None:
        """Add team_id (managed by trainer); the first team to subscribe learns first."""
        if team_id in self._trainers:
            return
        self._trainers[team_id] = trainer
        if self._learning_team < 0:
            self._learning_team = team_id
        else:
            self._waiting.append(team_id)

    def learning_team_finished(self) -> bool:
        """Whether the learning team's trainer has reached its max_steps."""
        trainer = self._trainers.get(self._learning_team)
        return trainer is not None and not trainer.trainer.should_still_train()

    def change_training_team(self, step: int) -> None:
        """The next waiting team learns (one whose trainer still trains, if any); the
        environments must then be reset (`should_reset`)."""
        if not self._waiting:
            return
        for _ in range(len(self._waiting)):
            self._waiting.append(self._learning_team)
            self._learning_team = self._waiting.popleft()
            if not self.learning_team_finished():
                break
        logger.debug("Team %d learns from step %d on.", self._learning_team, step)
        self._changed = True

    def should_reset(self) -> bool:
        """True once after each change of the learning team: the episodes in progress were
        played by the previous assignment and are ended by a reset."""
        changed, self._changed = self._changed, False
        return changed

    def compute_elo_rating_changes(self, rating: float, result: float) -> float:
        """What the learning policy (rated rating) gains from a game with result against
        the opponents deployed now; their trainers' snapshot ratings lose as much."""
        opponents = [t for team, t in self._trainers.items() if team != self._learning_team]
        if not opponents:
            return 0.0
        # Two teams in ML-Agents' games: the last other team's opponent rating counts.
        change = elo_change(rating, opponents[-1].get_opponent_elo(), result)
        for trainer in opponents:
            trainer.change_opponent_elo(change)
        return change
