"""StrikersVsGoalie: two strikers push a ball into a goal that a goalie guards, on a grid.

Two behaviors share one scene and ask for decisions at different rates (as in ML-Agents'
StrikersVsGoalie): the strikers every tick, the goalie every other tick.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import check_behavior, discrete_actions, vector_observation

STRIKER = "Striker"
GOALIE = "Goalie"
#: The team ids of upstream's scene: the strikers play for team 0, the goalie for team 1
#: (what self-play's GhostController takes turns between).
STRIKER_TEAM, GOALIE_TEAM = 0, 1
STRIKER_ID = behavior_id(STRIKER, STRIKER_TEAM)
GOALIE_ID = behavior_id(GOALIE, GOALIE_TEAM)
GOALS_STAT = "StrikersVsGoalie/Goals"

#: The field: columns x = 0..6, rows y = 0..8; the goal is behind row 8.
WIDTH = 7
LENGTH = 9
GOAL_LINE = LENGTH - 1
#: The goal mouth: the middle 3 columns of the goal line, where the goalie moves.
GOAL_LEFT, GOAL_RIGHT = 2, 4
#: The middle goal cell, just behind the goal line: what observations point at.
GOAL_X, GOAL_Y = 3, LENGTH
#: What a cell is to the ball.
BLOCKED, OPEN, GOAL = 0, 1, 2
#: Strikers per area.
STRIKERS = 2
#: Rows the strikers start on (kick-off: behind the ball).
STRIKER_START_ROWS = 2
MAX_STEP = 300

GOAL_REWARD = 1.0
SAVE_REWARD = 0.1
TIME_PENALTY = 0.001

#: Striker actions: stay, up (towards the goal), down, left, right.
STAY, UP, DOWN, LEFT, RIGHT = range(5)
_STRIKER_DX = np.array([0, 0, 0, -1, 1])
_STRIKER_DY = np.array([0, 1, -1, 0, 0])
#: Goalie actions: stay, left, right.
_GOALIE_DX = np.array([0, -1, 1])

#: Observations hold offsets divided by these, so that they fall in about [-1, 1].
_SCALE_X = float(WIDTH - 1)
_SCALE_Y = float(LENGTH - 1)
_STRIKER_SCALE = np.array([_SCALE_X, _SCALE_Y] * 4)
_GOALIE_SCALE = np.array([_SCALE_X, _SCALE_Y, _SCALE_X] + [_SCALE_X, _SCALE_Y] * 2)
#: How far the scripted strikers expect a kick to go (the default kick_distance).
_KICK_GUESS = 2


def _cell_table() -> np.ndarray:
    """What each cell is to the ball, indexed [x + 1, y + 1] so that one step past the
    field's edge (and two past the goal line) still has an entry: BLOCKED, OPEN or GOAL.

    The ball rolls on the inner field and on the goal line inside the mouth. The field's
    rim is free of it, so that a striker can always stand on every side of the ball: one
    in a corner or against a wall could never be pushed out again.
    """
    table = np.full((WIDTH + 2, LENGTH + 3), BLOCKED, dtype=np.int8)
    table[2:WIDTH, 2 : GOAL_LINE + 1] = OPEN
    table[GOAL_LEFT + 1 : GOAL_RIGHT + 2, GOAL_LINE + 1] = OPEN
    table[GOAL_LEFT + 1 : GOAL_RIGHT + 2, GOAL_LINE + 2] = GOAL
    return table


def _field_table() -> np.ndarray:
    """Cells a player may stand on, indexed [x + 1, y + 1] like `_cell_table`."""
    table = np.zeros((WIDTH + 2, LENGTH + 3), dtype=bool)
    table[1 : WIDTH + 1, 1 : LENGTH + 1] = True
    return table


_CELLS = _cell_table()
_FIELD = _field_table()


def _action(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The striker action of a unit move (dx, dy), or stay for (0, 0)."""
    return np.select(
        [dy > 0, dy < 0, dx < 0, dx > 0], [UP, DOWN, LEFT, RIGHT], default=STAY
    ).astype(np.int32)


def _walk(
    x: np.ndarray, y: np.ndarray, tx: np.ndarray, ty: np.ndarray, bx: np.ndarray, by: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One step from (x, y) towards (tx, ty) that does not walk into the ball at (bx, by)."""
    ex, ey = tx - x, ty - y
    horizontal_first = (np.abs(ex) >= np.abs(ey)) & (ex != 0)
    first_x = np.where(horizontal_first, np.sign(ex), 0)
    first_y = np.where(horizontal_first, 0, np.sign(ey))
    second_x = np.where(horizontal_first, 0, np.sign(ex))
    second_y = np.where(horizontal_first, np.sign(ey), 0)
    into_ball = (x + first_x == bx) & (y + first_y == by)
    has_second = (second_x != 0) | (second_y != 0)
    # Blocked with no other way that helps: step aside, towards the middle of the field.
    aside_x = np.where(first_y != 0, np.where(x < GOAL_X, 1, -1), 0)
    aside_y = np.where(first_x != 0, np.where(y < LENGTH // 2, 1, -1), 0)
    dx = np.where(into_ball, np.where(has_second, second_x, aside_x), first_x)
    dy = np.where(into_ball, np.where(has_second, second_y, aside_y), first_y)
    return dx, dy


def striker_heuristic(obs: np.ndarray) -> np.ndarray:
    """Strikers walk to the ball's far side and push it towards the goal: (n, 8) Striker
    observations to (n, 1) discrete actions.

    The ball is pushed up while it is in a mouth column (from row 7 on: one the goalie is
    not in), else sideways towards the nearest such column. The striker nearer the spot to
    push from goes there, stepping around the ball; the other waits where it can push the
    ball up right after that push.
    """
    cells = np.rint(np.asarray(obs, dtype=np.float64) * _STRIKER_SCALE).astype(np.int64)
    mx, my = GOAL_X - cells[:, 2], GOAL_Y - cells[:, 3]
    bx, by = mx + cells[:, 0], my + cells[:, 1]
    ox, oy = mx + cells[:, 4], my + cells[:, 5]
    gx = mx + cells[:, 6]

    columns = np.arange(GOAL_LEFT, GOAL_RIGHT + 1)
    # Nearest column the goalie is not in; on a tie, the one farther from the goalie.
    cost = (
        np.abs(columns - bx[:, None]) * 10
        + np.where(columns == gx[:, None], 1000, 0)
        - np.abs(columns - gx[:, None])
    )
    aim = columns[np.argmin(cost, axis=1)]
    # Further back, a push up either reaches the goal line (a sure goal: the goalie cannot
    # enter the ball's cell) or is saved a row ahead; only from row 7 on must it dodge.
    near = by >= GOAL_LINE - 1
    target = np.where(near, aim, np.clip(bx, GOAL_LEFT, GOAL_RIGHT))
    push_x = np.sign(target - bx)
    push_y = (push_x == 0).astype(np.int64)
    stand_x, stand_y = bx - push_x, by - push_y

    # Roles: the nearer to the push spot attacks (positions break ties, both agree on it).
    mine = np.abs(stand_x - mx) + np.abs(stand_y - my)
    theirs = np.abs(stand_x - ox) + np.abs(stand_y - oy)
    attacker = (mine < theirs) | ((mine == theirs) & ((mx < ox) | ((mx == ox) & (my < oy))))
    # The supporter waits where it can push next, should the goalie move: beside the ball
    # (pushing it away from the goalie) while it goes up, or below where a sideways push
    # sends it.
    side = np.where(bx < GOAL_X, 1, np.where(bx > GOAL_X, -1, np.where(gx < GOAL_X, 1, -1)))
    wait_x = np.where(push_y == 1, bx - side, np.clip(bx + push_x * _KICK_GUESS, 0, WIDTH - 1))
    wait_y = np.where(push_y == 1, by, by - 1)
    tx, ty = np.where(attacker, stand_x, wait_x), np.where(attacker, stand_y, wait_y)

    dx, dy = _walk(mx, my, tx, ty, bx, by)
    at_stand = attacker & (mx == stand_x) & (my == stand_y)
    dx = np.where(at_stand, push_x, dx)
    dy = np.where(at_stand, push_y, dy)
    return _action(dx, dy)[:, None]


def goalie_heuristic(obs: np.ndarray) -> np.ndarray:
    """The goalie follows the ball's column within the mouth: (n, 7) Goalie observations
    to (n, 1) discrete actions."""
    obs = np.asarray(obs, dtype=np.float64)
    gx = GOAL_X - np.rint(obs[:, 2] * _SCALE_X)
    bx = gx + np.rint(obs[:, 0] * _SCALE_X)
    step = np.sign(np.clip(bx, GOAL_LEFT, GOAL_RIGHT) - gx)
    return np.select([step < 0, step > 0], [1, 2], default=0).astype(np.int32)[:, None]


class StrikersVsGoalie(Simulation):
    """StrikersVsGoalie: two strikers try to push a ball past a goalie into the goal.

    Each area is a field of 7 columns (x = 0..6) by 9 rows (y = 0..8). The goal lies
    behind the goal line (row 8), across its middle 3 columns (x = 2..4, the mouth). The
    ball only rolls on the inner cells (x = 1..5, y = 1..7) and on the mouth's cells of
    the goal line: the field's rim is the players' room to get around the ball.

    Behaviors, in this order (under the team ids of upstream's scene, so that they are sent
    as "Striker?team=0" and "Goalie?team=1"):

    - "Striker": team 0, 2 agents per area, a decision every tick, max_step 300. The two
      strikers of area a form group a + 1.
    - "Goalie": team 1, 1 agent per area, a decision every 2 ticks at odd ticks
      (decision_period=2, decision_offset=1: it first asks on tick 1, so it is missing from
      the first output), max_step 300. No group.

    Observations (one vector "VectorSensor" each; x offsets divided by 6, y offsets by 8):

    - Striker (8): the offsets from the striker to the ball, to the goal center (the goal
      cell behind x = 3), to its teammate and to the goalie.
    - Goalie (7): the offset to the ball, the x offset to the goal center, and the offsets
      to the first and second striker of its area.

    Actions (discrete, out-of-range values stay put):

    - Striker: one branch of 5: stay, up (towards the goal), down, left, right. A striker
      moving into the ball kicks it `kick_distance` cells that way, and takes the ball's
      cell if the ball moved. The ball stops before a cell it may not enter or one taken
      by a player; moving into the goal scores. Strikers cannot enter a taken cell.
    - Goalie: one branch of 3: stay, left, right, along the goal line within the mouth.

    Each tick the first strikers of all areas move, then the second strikers, then the
    goalies, each seeing the moves made before it.

    Rewards: per tick -0.001 for each striker and +0.001 for the goalie. A goal gives each
    striker +1 and its group a group reward of +1, gives the goalie -1, and ends the
    episode of all three agents of the area (the area restarts). A save, a kicked ball
    stopped by the goalie, gives the goalie +0.1. Episodes that last 300 ticks are
    interrupted for all three agents at once.

    Environment parameters, read per area when it restarts: `kick_distance` (2), how many
    cells a kick moves the ball (1..4); `ball_row` (4), the row the ball starts on (2..7,
    closer to the goal is easier). The ball starts in a random inner column, the strikers
    on random cells of rows 0..1, the goalie in the middle of the mouth.

    Statistics: "StrikersVsGoalie/Goals" (SUM), the goals of a tick, sent on ticks with
    goals.

    Benchmark: a striker pair that plays well scores in about 11 ticks, a mean striker
    reward of about +0.98 per episode (group reward not counted). The scripted strikers
    (`striker_heuristic`) score in every episode against the scripted goalie
    (`goalie_heuristic`, striker +0.99, goalie -0.91 per episode) and against a goalie
    acting at random (+0.99, -0.96). Strikers acting at random score in about 7% of
    episodes against a random goalie (-0.22 per episode) and never against the scripted
    one (-0.30; the goalie +0.32).
    """

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = num_areas
        self.behaviors = [
            BehaviorDef(
                name=STRIKER,
                spec=BehaviorSpec(
                    [vector_observation(8, "VectorSensor")], ActionSpec.create_discrete((5,))
                ),
                n_agents=STRIKERS * n,
                team_id=STRIKER_TEAM,
                decision_period=1,
                max_step=MAX_STEP,
                compressed=(False,),
            ),
            BehaviorDef(
                name=GOALIE,
                spec=BehaviorSpec(
                    [vector_observation(7, "VectorSensor")], ActionSpec.create_discrete((3,))
                ),
                n_agents=n,
                team_id=GOALIE_TEAM,
                decision_period=2,
                decision_offset=1,
                max_step=MAX_STEP,
                compressed=(False,),
            ),
        ]
        # The state, one row per area (strikers: one column per striker). Until the first
        # restart every area holds the kick-off of ball column 3.
        self.striker_x = np.tile(np.array([2, 4], dtype=np.int64), (n, 1))
        self.striker_y = np.zeros((n, STRIKERS), dtype=np.int64)
        self.goalie_x = np.full(n, GOAL_X, dtype=np.int64)
        self.ball_x = np.full(n, GOAL_X, dtype=np.int64)
        self.ball_y = np.full(n, 4, dtype=np.int64)
        self.kick_distance = np.full(n, 2, dtype=np.int64)
        # Areas to restart, and agents whose episode began but whose area has not yet
        # restarted. The restart waits until it is needed (the next tick, or observing such
        # an agent): strikers and goalie of an area end together and the Academy restarts
        # each behavior with its own call, but the area must kick off once, with one draw.
        self._restart = np.zeros(n, dtype=bool)
        self._waiting = {
            STRIKER_ID: np.zeros(STRIKERS * n, dtype=bool),
            GOALIE_ID: np.zeros(n, bool),
        }

    def group_ids(self, behavior: str) -> np.ndarray | None:
        check_behavior(self, behavior)
        if behavior == GOALIE_ID:
            return None
        return np.repeat(np.arange(1, self.num_areas + 1, dtype=np.int32), STRIKERS)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        self._waiting[behavior][rows] = True
        self._restart[rows // STRIKERS if behavior == STRIKER_ID else rows] = True

    def _restart_areas(self) -> None:
        """Kick-off in every area waiting for it."""
        areas = np.flatnonzero(self._restart)
        k = len(areas)
        # One read per area, so that a sampler gives every episode its own value.
        for area in areas.tolist():
            self.kick_distance[area] = self._read_cells("kick_distance", 2, 1, 4)
            self.ball_y[area] = self._read_cells("ball_row", 4, STRIKER_START_ROWS, GOAL_LINE - 1)
        self.ball_x[areas] = self.rng.integers(1, WIDTH - 1, k)
        # Two distinct cells of the start rows, at random.
        cells = np.argsort(self.rng.random((k, STRIKER_START_ROWS * WIDTH)), axis=1)[:, :STRIKERS]
        self.striker_x[areas] = cells % WIDTH
        self.striker_y[areas] = cells // WIDTH
        self.goalie_x[areas] = GOAL_X
        self._restart[:] = False
        for waiting in self._waiting.values():
            waiting[:] = False

    def _read_cells(self, key: str, default: int, low: int, high: int) -> int:
        """An environment parameter counting cells: rounded and clipped to [low, high]; a
        value that is not finite reads as the default."""
        value = self.parameters.get(key, float(default))
        return int(np.clip(round(value), low, high)) if np.isfinite(value) else default

    def _discrete(self, actions: Mapping[str, ActionTuple], behavior: str, size: int) -> np.ndarray:
        n = self.num_areas * (STRIKERS if behavior == STRIKER_ID else 1)
        a = discrete_actions(actions, behavior, n).astype(np.int64)
        return np.where((a >= 0) & (a < size), a, 0)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        striker_actions = self._discrete(actions, STRIKER_ID, 5).reshape(-1, STRIKERS)
        goalie_actions = self._discrete(actions, GOALIE_ID, 3)
        if self._restart.any():
            self._restart_areas()
        n = self.num_areas
        goal = np.zeros(n, dtype=bool)
        saves = np.zeros(n, dtype=np.int64)
        for j in range(STRIKERS):
            goal, saves = self._move_striker(j, striker_actions[:, j], goal, saves)
        self._move_goalie(goalie_actions, goal)

        striker_reward = np.repeat(np.where(goal, GOAL_REWARD, 0.0) - TIME_PENALTY, STRIKERS)
        goalie_reward = TIME_PENALTY + SAVE_REWARD * saves - np.where(goal, GOAL_REWARD, 0.0)
        goals = int(goal.sum())
        if goals:
            self.stats.add(GOALS_STAT, goals, StatsAggregationMethod.SUM)
        return {
            STRIKER_ID: Transition(
                reward=striker_reward.astype(np.float32),
                done=np.repeat(goal, STRIKERS),
                group_reward=np.repeat(np.where(goal, GOAL_REWARD, 0.0), STRIKERS).astype(
                    np.float32
                ),
            ),
            GOALIE_ID: Transition(reward=goalie_reward.astype(np.float32), done=goal.copy()),
        }

    def _move_striker(
        self, j: int, action: np.ndarray, goal: np.ndarray, saves: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Move striker j of every area (kicking the ball if it walks into it)."""
        dx, dy = _STRIKER_DX[action], _STRIKER_DY[action]
        x, y = self.striker_x[:, j], self.striker_y[:, j]
        mate_x, mate_y = self.striker_x[:, 1 - j], self.striker_y[:, 1 - j]
        tx, ty = x + dx, y + dy
        # Areas that scored already are over for this tick. Staying "moves" to the same cell.
        free = (
            _FIELD[tx + 1, ty + 1]
            & ~goal
            & ~((tx == mate_x) & (ty == mate_y))
            & ~((ty == GOAL_LINE) & (tx == self.goalie_x))
        )
        kick = free & (tx == self.ball_x) & (ty == self.ball_y)
        if kick.any():
            rolled, goal, saves = self._roll(kick, dx, dy, mate_x, mate_y, goal, saves)
            free &= ~kick | rolled
        self.striker_x[:, j] = np.where(free, tx, x)
        self.striker_y[:, j] = np.where(free, ty, y)
        return goal, saves

    def _roll(
        self,
        kick: np.ndarray,
        dx: np.ndarray,
        dy: np.ndarray,
        mate_x: np.ndarray,
        mate_y: np.ndarray,
        goal: np.ndarray,
        saves: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Roll the kicked balls by (dx, dy) cell by cell, so that each stops at the first
        obstacle on its way. Returns which balls moved, goals and saves."""
        rolling = kick.copy()
        rolled = np.zeros_like(kick)
        bx, by = self.ball_x.copy(), self.ball_y.copy()
        for cell in range(int(self.kick_distance.max())):
            rolling &= cell < self.kick_distance
            nx, ny = bx + dx, by + dy
            kind = _CELLS[nx + 1, ny + 1]
            by_goalie = (ny == GOAL_LINE) & (nx == self.goalie_x)
            stopped = rolling & ((kind == BLOCKED) | by_goalie | ((nx == mate_x) & (ny == mate_y)))
            saves = saves + (stopped & by_goalie)
            advance = rolling & ~stopped
            bx = np.where(advance, nx, bx)
            by = np.where(advance, ny, by)
            rolled |= advance
            scored = advance & (kind == GOAL)
            goal = goal | scored
            rolling = advance & ~scored
        self.ball_x, self.ball_y = bx, by
        return rolled, goal, saves

    def _move_goalie(self, action: np.ndarray, goal: np.ndarray) -> None:
        tx = self.goalie_x + _GOALIE_DX[action]
        on_line = self.striker_y == GOAL_LINE
        taken = ((self.ball_y == GOAL_LINE) & (self.ball_x == tx)) | (
            on_line & (self.striker_x == tx[:, None])
        ).any(axis=1)
        step = (tx >= GOAL_LEFT) & (tx <= GOAL_RIGHT) & ~taken & ~goal
        self.goalie_x = np.where(step, tx, self.goalie_x)

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        if self._waiting[behavior][rows].any():
            self._restart_areas()
        if behavior == STRIKER_ID:
            area, j = rows // STRIKERS, rows % STRIKERS
            x, y = self.striker_x[area, j], self.striker_y[area, j]
            columns = [
                self.ball_x[area] - x,
                self.ball_y[area] - y,
                GOAL_X - x,
                GOAL_Y - y,
                self.striker_x[area, 1 - j] - x,
                self.striker_y[area, 1 - j] - y,
                self.goalie_x[area] - x,
                GOAL_LINE - y,
            ]
            scale = _STRIKER_SCALE
        else:
            x = self.goalie_x[rows]
            sx, sy = self.striker_x[rows], self.striker_y[rows]
            columns = [
                self.ball_x[rows] - x,
                self.ball_y[rows] - GOAL_LINE,
                GOAL_X - x,
                sx[:, 0] - x,
                sy[:, 0] - GOAL_LINE,
                sx[:, 1] - x,
                sy[:, 1] - GOAL_LINE,
            ]
            scale = _GOALIE_SCALE
        return [(np.stack(columns, axis=1) / scale).astype(np.float32)]
