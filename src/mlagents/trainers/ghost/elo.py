"""ELO ratings of self-play, as ML-Agents computes them.

ML-Agents moves a rating by the result minus the expected score, unscaled: a K-factor of
1, so one game moves the learning policy's rating by at most one point (and the
opponent's by as much the other way).
"""

from __future__ import annotations

#: What a game's outcome moves a rating by, at most (ML-Agents' factor).
ELO_K_FACTOR = 1.0

WIN, DRAW, LOSS = 1.0, 0.5, 0.0


def expected_score(rating: float, opponent_rating: float) -> float:
    """The score a player of rating is expected to make against opponent_rating (0..1)."""
    return 1.0 / (1.0 + 10.0 ** ((opponent_rating - rating) / 400.0))


def elo_change(rating: float, opponent_rating: float, result: float) -> float:
    """What rating gains from a game with result (WIN, DRAW or LOSS); the opponent's rating
    loses as much."""
    return ELO_K_FACTOR * (result - expected_score(rating, opponent_rating))


def game_result(final_reward: float) -> float:
    """An episode's result from its last reward (individual plus group), as ML-Agents reads
    it: positive wins, negative loses, zero draws."""
    if final_reward > 0:
        return WIN
    if final_reward < 0:
        return LOSS
    return DRAW
