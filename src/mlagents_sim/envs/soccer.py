"""SoccerTwos: two teams of two play soccer on a grid (ML-Agents' Soccer Twos, in numpy).

One behavior name under two team ids, as a self-play scene has it: "SoccerTwos?team=0" and
"SoccerTwos?team=1". Both teams see the field from their own side, so one policy plays
either. A scripted policy of graded strength (`scripted_policy`) can also play team 1
inside the scene, as Unity plays agents whose Behavior Type is "Heuristic Only".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_sim.in_process import InProcessEnv
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import check_behavior, vector_observation

BEHAVIOR_NAME = "SoccerTwos"
TEAM0_ID = behavior_id(BEHAVIOR_NAME, 0)
TEAM1_ID = behavior_id(BEHAVIOR_NAME, 1)

#: The field: columns x = 0..8 from team 0's goal to team 1's, rows y = 0..6.
LENGTH = 9
WIDTH = 7
#: The goal mouths: rows 2..4 of the end columns (team 0 defends x = 0, team 1 x = 8).
MOUTH_LOW, MOUTH_HIGH = 2, 4
MID_ROW = (MOUTH_LOW + MOUTH_HIGH) // 2
PLAYERS = 2
#: Cells a kick moves the ball.
KICK = 2
MAX_STEP = 300
#: What a kick pays per unit of the `ball_touch` parameter (upstream's 0.2).
TOUCH_REWARD = 0.2
#: Columns each team's players kick off from, counted from its own goal line.
START_COLUMNS = 3
OBS_SIZE = 14

#: Branch 0: stay, forward (towards the opponents' goal), backward. Branch 1: stay, right,
#: left (as seen facing forward). In team 0's frame forward is +x and right is -y.
_FORWARD = np.array([0, 1, -1], dtype=np.int64)
_RIGHT_Y = np.array([0, -1, 1], dtype=np.int64)

#: What a cell is to the ball, indexed [x + 1, y + 1] so that one cell past the field still
#: has an entry.
BLOCKED, OPEN, GOAL = 0, 1, 2

_SCALE = np.array([LENGTH - 1, WIDTH - 1] * (OBS_SIZE // 2), dtype=np.float64)


def _cell_table() -> np.ndarray:
    """The ball rolls on the inner cells only: every cell it can be on has all eight
    neighbours on the field, so that a player can always get behind it (a ball in a corner
    could never be kicked out). It enters an end column only in the mouth: a goal."""
    table = np.full((LENGTH + 2, WIDTH + 2), BLOCKED, dtype=np.int8)
    table[2:LENGTH, 2:WIDTH] = OPEN
    table[1, MOUTH_LOW + 1 : MOUTH_HIGH + 2] = GOAL
    table[LENGTH, MOUTH_LOW + 1 : MOUTH_HIGH + 2] = GOAL
    return table


_CELLS = _cell_table()


# --------------------------------------------------------------------------------------
# The scripted policy.

#: The nine moves of a player, (forward, right) branch pairs, and their (dx, dy) in the
#: team's own frame.
_MOVES = np.array([(f, r) for f in range(3) for r in range(3)], dtype=np.int64)
_MOVE_DX = _FORWARD[_MOVES[:, 0]]
_MOVE_DY = _RIGHT_Y[_MOVES[:, 1]]
#: Kicks the scripted attacker considers, (dx, dy) in its own frame, in order of preference
#: on ties: straight, the two forward diagonals, sideways.
_KICKS = np.array([(1, 0), (1, 1), (1, -1), (0, 1), (0, -1)], dtype=np.int64)


def _decode(obs: np.ndarray) -> np.ndarray:
    """Cells in the team's own frame from (n, 14) observations: (n, 7, 2) holding the
    player, the ball, its teammate, the two opponents, the two goal centers."""
    cells = np.rint(np.asarray(obs, dtype=np.float64) * _SCALE).astype(np.int64)
    cells = cells.reshape(len(cells), OBS_SIZE // 2, 2)
    cells[:, 1:] += cells[:, :1]
    return cells


def _walk(me: np.ndarray, target: np.ndarray, ball: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The move (index into _MOVES) of each player from me towards target: (n, 2) cells,
    others (n, 3, 2). It never walks into the ball (that would kick it), nor off the field,
    and goes round other players when that costs no step."""
    nx = me[:, 0, None] + _MOVE_DX
    ny = me[:, 1, None] + _MOVE_DY
    chebyshev = np.maximum(np.abs(target[:, 0, None] - nx), np.abs(target[:, 1, None] - ny))
    manhattan = np.abs(target[:, 0, None] - nx) + np.abs(target[:, 1, None] - ny)
    into_ball = (nx == ball[:, 0, None]) & (ny == ball[:, 1, None])
    off = (nx < 0) | (nx >= LENGTH) | (ny < 0) | (ny >= WIDTH)
    taken = (
        (nx[:, :, None] == others[:, None, :, 0]) & (ny[:, :, None] == others[:, None, :, 1])
    ).any(axis=2)
    cost = chebyshev * 100 + manhattan + 10_000 * (into_ball | off) + 50 * taken
    return np.argmin(cost, axis=1)


def soccer_heuristic(obs: np.ndarray) -> np.ndarray:
    """The best scripted play: (n, 14) SoccerTwos observations to (n, 2) discrete actions.

    Each player decides from its own observation; teammates agree on roles without
    talking. The one nearer the spot behind the ball attacks: it walks round the ball to
    that spot and kicks it forward, towards the middle of the goal while far from it and
    into a mouth cell no opponent stands in once close. The other keeps goal: it stands in
    its own mouth in the ball's row, and clears the ball forward when it comes next to it.
    """
    cells = _decode(obs)
    me, ball, mate = cells[:, 0], cells[:, 1], cells[:, 2]
    opponents = cells[:, 3:5]
    bx, by = ball[:, 0], ball[:, 1]

    # The mouth row to shoot at: free of opponents, nearest the ball, the middle on ties.
    rows = np.arange(MOUTH_LOW, MOUTH_HIGH + 1)
    guarded = (
        (opponents[:, None, :, 0] == LENGTH - 1) & (opponents[:, None, :, 1] == rows[:, None])
    ).any(axis=2)
    cost = np.abs(rows - by[:, None]) * 10 + guarded * 1000 + (rows != MID_ROW)
    aim = rows[np.argmin(cost, axis=1)]
    near = bx >= LENGTH - 1 - KICK
    target_row = np.where(near, aim, np.clip(by, MOUTH_LOW, MOUTH_HIGH))
    # The kick: towards that row, from a spot on the field the team is near, into a cell
    # the ball may enter; better not straight into a player (it would glance off it).
    wanted = np.sign(target_row - by)
    kx, ky = _KICKS[:, 0], _KICKS[:, 1]
    first_x, first_y = bx[:, None] + kx, by[:, None] + ky
    players = np.concatenate([me[:, None], mate[:, None], opponents], axis=1)
    held = (
        (first_x[:, :, None] == players[:, None, :, 0])
        & (first_y[:, :, None] == players[:, None, :, 1])
    ).any(axis=2)
    wall = _CELLS[first_x + 1, first_y + 1] == BLOCKED
    spot_x, spot_y = bx[:, None] - kx, by[:, None] - ky
    off = (spot_x < 0) | (spot_x >= LENGTH) | (spot_y < 0) | (spot_y >= WIDTH)
    # How far the nearer teammate is from each spot (both teammates compute the same).
    walk = np.minimum(
        np.maximum(np.abs(spot_x - me[:, :1]), np.abs(spot_y - me[:, 1:])),
        np.maximum(np.abs(spot_x - mate[:, :1]), np.abs(spot_y - mate[:, 1:])),
    )
    preference = np.where(kx == 0, 3, np.where(ky == wanted[:, None], 0, 1))
    cost = preference + 2 * held + walk + 1000 * (wall | off)
    kick = _KICKS[np.argmin(cost, axis=1)]
    spot = ball - kick

    # Roles: the nearer to the spot attacks; positions break ties (both agree on it).
    def distance(cell: np.ndarray) -> np.ndarray:
        return np.abs(spot - cell).max(axis=1)

    mine, theirs = distance(me), distance(mate)
    first = (me[:, 0] < mate[:, 0]) | ((me[:, 0] == mate[:, 0]) & (me[:, 1] < mate[:, 1]))
    attacker = (mine < theirs) | ((mine == theirs) & first)

    keeper_spot = np.stack([np.zeros_like(by), np.clip(by, MOUTH_LOW, MOUTH_HIGH)], axis=1)
    target = np.where(attacker[:, None], spot, keeper_spot)
    others = np.concatenate([mate[:, None], opponents], axis=1)
    move = _walk(me, target, ball, others)

    # Kicks: the attacker from its spot; the keeper when the ball is just ahead of it.
    offset = ball - me
    beside = (np.abs(offset).max(axis=1) == 1) & (offset[:, 0] == 1)
    at_spot = attacker & (me == spot).all(axis=1)
    clear = ~attacker & beside
    kick_dir = np.where(at_spot[:, None], kick, offset)
    kicking = at_spot | clear
    kick_move = _move_index(kick_dir[:, 0], kick_dir[:, 1])
    move = np.where(kicking, kick_move, move)
    return _MOVES[move].astype(np.int32)


def _move_index(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The index into _MOVES of the unit move (dx, dy) in the team's own frame."""
    forward = np.select([dx > 0, dx < 0], [1, 2], default=0)
    right = np.select([dy < 0, dy > 0], [1, 2], default=0)
    return forward * 3 + right


def random_actions(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) uniformly random SoccerTwos actions."""
    return rng.integers(0, 3, size=(n, 2)).astype(np.int32)


def mixed_actions(
    obs: np.ndarray, skill: np.ndarray | float, rng: np.random.Generator
) -> np.ndarray:
    """Each player plays `soccer_heuristic` with probability skill (a float, or one per
    row), else a uniformly random action."""
    obs = np.asarray(obs)
    n = len(obs)
    best = soccer_heuristic(obs)
    noise = random_actions(n, rng)
    scripted = rng.random(n) < np.broadcast_to(np.asarray(skill, dtype=np.float64), (n,))
    return np.where(scripted[:, None], best, noise).astype(np.int32)


def scripted_policy(skill: float, seed: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """A SoccerTwos player of strength skill in [0, 1]: observations (n, 14) to actions
    (n, 2). At each decision a player plays the best scripted move (`soccer_heuristic`)
    with probability skill, else a random one: 0 plays at random, 1 the best it can.

    The stronger side wins clearly at every step of 0.25. Measured with `play_match`
    (3,000 ticks of 4 areas, seed 0; policies seeded 1 and 2), team 0's skill against
    team 1's: wins / draws (interrupted at max_step) / losses, and team 0's score (a win
    1, a draw 0.5):

    - 1.0 against 1.0: 236 / 0 / 224, 0.51 (the same policy on both sides: even)
    - 1.0 against 0.75: 490 / 0 / 58, 0.89
    - 1.0 against 0.5: 858 / 0 / 16, 0.98
    - 0.75 against 0.5: 404 / 0 / 65, 0.86
    - 0.5 against 0.25: 367 / 0 / 33, 0.92
    - 0.25 against 0.0: 227 / 0 / 8, 0.97
    - 0.1 against 0.0: 90 / 2 / 11, 0.88
    - 1.0 against 0.0: 1708 / 0 / 0, 1.0 (a goal every 7 ticks)
    - 0.0 against 0.0: 16 / 24 / 18, 0.48 (random play: about 200 ticks an episode)
    """
    check_skill(skill)
    rng = np.random.default_rng(seed)
    return lambda obs: mixed_actions(obs, skill, rng)


def check_skill(skill: float) -> float:
    """skill, if it is a number in [0, 1]; ValueError otherwise."""
    if not (isinstance(skill, (int, float)) and 0.0 <= float(skill) <= 1.0):
        raise ValueError(f"A scripted SoccerTwos player's skill must be in [0, 1], got {skill!r}.")
    return float(skill)


# --------------------------------------------------------------------------------------
# The environment.


class SoccerTwos(Simulation):
    """SoccerTwos: two teams of two players kick a ball into each other's goal.

    Each area is a field of 9 columns (x = 0..8) by 7 rows (y = 0..6). Team 0 defends the
    goal at x = 0 and attacks the one at x = 8; team 1 the other way round. A goal is the
    mouth of an end column: rows 2..4. The ball rolls only on the inner cells (x = 1..7,
    y = 1..5) and into a mouth (a goal); players stand anywhere on the field, in the
    mouths too (a player in a mouth cell keeps the ball out of it).

    Behaviors, in this order, one name under two team ids as in a self-play scene:

    - "SoccerTwos?team=0": 2 agents per area, a decision every tick, max_step 300.
    - "SoccerTwos?team=1": the same, for the other team; absent when team 1 is scripted
      (see `opponent_skill`).

    The two players of a team in an area form a group: area a's team t is group
    2a + t + 1, so that no two teams anywhere share an id.

    Observation (one vector, "VectorSensor", 14 floats), in the team's own frame: team 1
    sees the field turned half a turn (x -> 8 - x, y -> 6 - y), so that each team attacks
    towards +x and the same policy plays both sides. Positions are in cells, x divided by
    8 and y by 6: the player's own position; the offsets from it to the ball, to its
    teammate, to the two opponents (in their team's agent order), to the middle of the
    goal it attacks and to the middle of the goal it defends.

    Actions: 2 discrete branches of 3, in the team's own frame: forward/backward (stay,
    forward towards the goal it attacks, backward) and sideways (stay, right, left). Both
    at once move diagonally. Upstream's players have a third branch, rotation, and move
    along their heading; a grid player has no heading to turn, so its moves are along the
    team's attacking direction instead, which is what makes team 1's actions the mirror of
    team 0's. A player walking into the ball kicks it 2 cells that way (it stops before a
    player or a cell it may not enter), and takes the ball's cell if the ball moved; a ball
    kicked into a player next to it glances off one cell to a side drawn at random (so two
    players kicking it into each other do not hold it forever). A player cannot walk off
    the field or into another player. Each tick the four players of
    an area move one after the other, in an order drawn anew every tick, each seeing the
    moves made before it.

    Rewards, as upstream's: a goal gives the scoring team the group reward 1 - t / 300
    (t: ticks since kick-off: upstream's documented time penalty; its C# divides two
    integers there, so its scene in fact pays 1) and the other team -1, and ends the
    episode of all four players of the area (the area kicks off again). Episodes that last
    300 ticks are interrupted for all four at once.
    Individual rewards are 0, but for `ball_touch` (below); upstream's SoccerTwos players
    (position "Generic") have no existential penalty.

    Kick-off: the ball on a random cell of columns 3..5 and rows 2..4; each team's players
    on two distinct random cells of the 3 columns in front of its own goal.

    Environment parameters, read per area at kick-off: `ball_touch` (0), upstream's
    curriculum parameter: a player gets 0.2 * ball_touch as its own reward each time it
    kicks the ball (walks into it and the ball moves; a shaping reward to lower to 0 as
    training goes, or players learn to kick the ball about rather than to score);
    `opponent_skill`, the scripted team 1's skill when it is
    scripted (it overrides the constructor's value; clipped to [0, 1]).

    Scripted opponent: `SoccerTwos(opponent_skill=s)` (or the build's command line
    `--opponent-skill s`, e.g. `mlagents-learn ... --env-args --opponent-skill 0.3`) plays
    team 1 inside the scene by `scripted_policy` at skill s, as Unity plays agents whose
    Behavior Type is "Heuristic Only": only team 0 is sent to Python. Without it, both
    teams are sent.

    Statistics: none (upstream's scene sends none; a team's group rewards tell wins,
    losses and draws).

    Benchmark: "solved" is a mean team-0 group reward of 0.5 per episode against the
    scripted opponent at skill 0.5 (`SoccerTwos(opponent_skill=0.5)`). The scripted team
    (`soccer_heuristic`, skill 1) gets +0.93 there, +0.98 against an opponent acting at
    random (skill 0) and 0.0 against itself; a team acting at random gets -1.0 against
    skill 0.5 (it never scores). `scripted_policy` lists the win rates between skills, and
    `play_match` plays any two policies (or a policy and the scripted opponent).

    Training: goals alone are sparse rewards. PPO with config/ppo/SoccerTwos.yaml's
    hyperparameters against the scripted opponent at skill 0 made no progress in 240k
    steps; with ball_touch 1.0 it reached a mean group reward of +0.77 at 240k steps.
    """

    def __init__(
        self, seed: int = 0, num_areas: int = 1, opponent_skill: float | None = None
    ) -> None:
        super().__init__(seed, num_areas)
        n = num_areas
        self.scripted_opponent = opponent_skill is not None
        self.default_opponent_skill = 0.0 if opponent_skill is None else check_skill(opponent_skill)
        spec = BehaviorSpec(
            [vector_observation(OBS_SIZE, "VectorSensor")], ActionSpec.create_discrete((3, 3))
        )
        teams = (0,) if self.scripted_opponent else (0, 1)
        self.behaviors = [
            BehaviorDef(
                BEHAVIOR_NAME,
                spec,
                PLAYERS * n,
                team_id=team,
                max_step=MAX_STEP,
                compressed=(False,),
            )
            for team in teams
        ]
        # The state, per area: players 0, 1 are team 0's agents, 2, 3 team 1's (absolute
        # cells). Until the first kick-off every area holds this placeholder.
        self.player_x = np.tile(np.array([1, 1, LENGTH - 2, LENGTH - 2], np.int64), (n, 1))
        self.player_y = np.tile(np.array([1, WIDTH - 2, 1, WIDTH - 2], np.int64), (n, 1))
        self.ball_x = np.full(n, LENGTH // 2, dtype=np.int64)
        self.ball_y = np.full(n, MID_ROW, dtype=np.int64)
        #: Ticks since each area's kick-off.
        self.episode_ticks = np.zeros(n, dtype=np.int64)
        self.ball_touch = np.zeros(n, dtype=np.float64)
        self.opponent_skill = np.full(n, self.default_opponent_skill)
        # The scripted opponent draws from its own generator: the game's draws stay the
        # same whoever plays team 1.
        self._opponent_rng = np.random.default_rng([seed, 1])
        # Areas to kick off, and agents whose episode began before their area kicked off.
        # The kick-off waits until it is needed (the next tick, or observing such an
        # agent): the Academy restarts each team with its own call, but an area must kick
        # off once, with one draw (as StrikersVsGoalie).
        self._restart = np.zeros(n, dtype=bool)
        self._waiting = {d.behavior_id: np.zeros(PLAYERS * n, dtype=bool) for d in self.behaviors}

    @classmethod
    def command_line_options(cls, args: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
        """`--opponent-skill S` on a build's command line is the opponent_skill argument."""
        options: dict[str, Any] = {}
        rest: list[str] = []
        items = list(args)
        i = 0
        while i < len(items):
            if items[i].lower() in ("--opponent-skill", "-opponent-skill"):
                if i + 1 >= len(items):
                    raise ValueError(f"{items[i]} needs a value in [0, 1].")
                try:
                    skill = float(items[i + 1])
                except ValueError:
                    raise ValueError(
                        f"{items[i]} needs a number in [0, 1], got {items[i + 1]!r}."
                    ) from None
                options["opponent_skill"] = check_skill(skill)
                i += 2
                continue
            rest.append(items[i])
            i += 1
        return options, rest

    def group_ids(self, behavior: str) -> np.ndarray:
        check_behavior(self, behavior)
        team = 0 if behavior == TEAM0_ID else 1
        areas = np.arange(self.num_areas, dtype=np.int32)
        return np.repeat(2 * areas + team + 1, PLAYERS).astype(np.int32)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        self._waiting[behavior][rows] = True
        self._restart[rows // PLAYERS] = True

    def _kick_off(self) -> None:
        """Kick-off in every area waiting for it."""
        areas = np.flatnonzero(self._restart)
        k = len(areas)
        for area in areas.tolist():
            self.ball_touch[area] = self._read("ball_touch", 0.0)
            skill = self._read("opponent_skill", self.default_opponent_skill)
            self.opponent_skill[area] = float(np.clip(skill, 0.0, 1.0))
        self.ball_x[areas] = self.rng.integers(LENGTH // 2 - 1, LENGTH // 2 + 2, k)
        self.ball_y[areas] = self.rng.integers(MOUTH_LOW, MOUTH_HIGH + 1, k)
        for team in (0, 1):
            cells = np.argsort(self.rng.random((k, START_COLUMNS * WIDTH)), axis=1)[:, :PLAYERS]
            x, y = cells // WIDTH, cells % WIDTH
            if team == 1:
                x, y = LENGTH - 1 - x, WIDTH - 1 - y
            self.player_x[areas, PLAYERS * team : PLAYERS * (team + 1)] = x
            self.player_y[areas, PLAYERS * team : PLAYERS * (team + 1)] = y
        self.episode_ticks[areas] = 0
        self._restart[:] = False
        for waiting in self._waiting.values():
            waiting[:] = False

    def _read(self, key: str, default: float) -> float:
        """An environment parameter; one that is not finite reads as the default."""
        value = self.parameters.get(key, default)
        return float(value) if np.isfinite(value) else default

    def _actions(self, actions: Mapping[str, ActionTuple], behavior: str) -> np.ndarray:
        n = PLAYERS * self.num_areas
        discrete = np.asarray(actions[behavior].discrete)
        if discrete.shape != (n, 2):
            raise ValueError(
                f"{behavior} expects discrete actions of shape ({n}, 2), got {discrete.shape}."
            )
        if not ((discrete >= 0) & (discrete < 3)).all():
            raise ValueError(f"{behavior} actions must be in [0, 3), got {discrete}.")
        return discrete.astype(np.int64)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n = self.num_areas
        team0 = self._actions(actions, TEAM0_ID)
        if self._restart.any():
            self._kick_off()
        if self.scripted_opponent:
            # Heuristic players decide on the same state as those Python decides for.
            obs = self._observe_team(1, np.arange(PLAYERS * n))
            skill = np.repeat(self.opponent_skill, PLAYERS)
            team1 = mixed_actions(obs, skill, self._opponent_rng).astype(np.int64)
        else:
            team1 = self._actions(actions, TEAM1_ID)
        # Absolute moves: team 1's frame is team 0's turned half a turn.
        both = np.concatenate([team0.reshape(n, PLAYERS, 2), team1.reshape(n, PLAYERS, 2)], 1)
        sign = np.array([1, 1, -1, -1], dtype=np.int64)
        dx = _FORWARD[both[:, :, 0]] * sign
        dy = _RIGHT_Y[both[:, :, 1]] * sign

        order = np.argsort(self.rng.random((n, 2 * PLAYERS)), axis=1)
        scorer = np.full(n, -1, dtype=np.int64)
        touches = np.zeros((n, 2 * PLAYERS), dtype=np.int64)
        areas = np.arange(n)
        for turn in range(2 * PLAYERS):
            player = order[:, turn]
            self._move(areas, player, dx[areas, player], dy[areas, player], scorer, touches)

        self.episode_ticks += 1
        win = 1.0 - self.episode_ticks / MAX_STEP
        goal = scorer >= 0
        transitions = {}
        for d in self.behaviors:
            team = d.team_id
            group = np.where(scorer == team, win, np.where(goal, -1.0, 0.0))
            own = touches[:, PLAYERS * team : PLAYERS * (team + 1)]
            reward = TOUCH_REWARD * self.ball_touch[:, None] * own
            transitions[d.behavior_id] = Transition(
                reward=reward.ravel().astype(np.float32),
                done=np.repeat(goal, PLAYERS),
                group_reward=np.repeat(group, PLAYERS).astype(np.float32),
            )
        return transitions

    def _move(
        self,
        areas: np.ndarray,
        player: np.ndarray,
        dx: np.ndarray,
        dy: np.ndarray,
        scorer: np.ndarray,
        touches: np.ndarray,
    ) -> None:
        """Move one player of every area (player[a] in area a), kicking the ball if it
        walks into it. An area where a goal was scored this tick is still."""
        x, y = self.player_x[areas, player], self.player_y[areas, player]
        tx, ty = x + dx, y + dy
        others = np.arange(2 * PLAYERS) != player[:, None]
        taken = (others & (self.player_x == tx[:, None]) & (self.player_y == ty[:, None])).any(1)
        inside = (tx >= 0) & (tx < LENGTH) & (ty >= 0) & (ty < WIDTH)
        free = inside & ~taken & (scorer < 0)
        kick = free & (tx == self.ball_x) & (ty == self.ball_y) & ((dx != 0) | (dy != 0))
        if kick.any():
            rolled = self._roll(kick, dx, dy, scorer)
            free &= ~kick | rolled
            # A touch is a kick that moves the ball, as upstream's reward comes with a new
            # collision: leaning on a ball that cannot move pays nothing.
            touches[areas, player] += kick & rolled
        self.player_x[areas, player] = np.where(free, tx, x)
        self.player_y[areas, player] = np.where(free, ty, y)

    def _roll(
        self, kick: np.ndarray, dx: np.ndarray, dy: np.ndarray, scorer: np.ndarray
    ) -> np.ndarray:
        """Roll the kicked balls by (dx, dy) cell by cell, each stopping at the first
        obstacle on its way; a ball entering a mouth scores. A ball kicked straight into a
        player glances off it: one cell to a side, drawn at random (the other side if that
        one is not free). Returns which balls moved."""
        bx, by = self.ball_x.copy(), self.ball_y.copy()
        distance = np.where(kick, KICK, 0)
        glances = kick & self._held(bx + dx, by + dy)
        if glances.any():
            # Sideways: a quarter turn of the kick, one way or the other.
            side = np.where(self.rng.random(len(kick)) < 0.5, 1, -1)
            sx, sy = -dy * side, dx * side
            first = self._rollable(bx + sx, by + sy)
            dx = np.where(glances, np.where(first, sx, -sx), dx)
            dy = np.where(glances, np.where(first, sy, -sy), dy)
            distance = np.where(glances, 1, distance)
        rolled = np.zeros_like(kick)
        for step in range(KICK):
            nx, ny = bx + dx, by + dy
            advance = (step < distance) & self._rollable(nx, ny)
            bx = np.where(advance, nx, bx)
            by = np.where(advance, ny, by)
            rolled |= advance
            scored = advance & (_CELLS[nx + 1, ny + 1] == GOAL)
            # Into the goal at x = LENGTH - 1 scores for team 0, at x = 0 for team 1.
            scorer[scored] = np.where(nx[scored] == LENGTH - 1, 0, 1)
            distance = np.where(scored, 0, distance)
        self.ball_x, self.ball_y = bx, by
        return rolled

    def _held(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether a player of area a stands on (x[a], y[a])."""
        return ((self.player_x == x[:, None]) & (self.player_y == y[:, None])).any(axis=1)

    def _rollable(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether the ball of area a may enter (x[a], y[a]): an inner cell or a mouth, and
        free of players. x, y are at most one cell off the field."""
        return (_CELLS[x + 1, y + 1] != BLOCKED) & ~self._held(x, y)

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        if self._waiting[behavior][rows].any():
            self._kick_off()
        return [self._observe_team(0 if behavior == TEAM0_ID else 1, rows)]

    def _observe_team(self, team: int, rows: np.ndarray) -> np.ndarray:
        """Observations of team's agents at rows, in the team's own frame."""
        area, j = rows // PLAYERS, rows % PLAYERS
        px, py = self.player_x[area], self.player_y[area]
        bx, by = self.ball_x[area], self.ball_y[area]
        if team == 1:
            px, py = LENGTH - 1 - px, WIDTH - 1 - py
            bx, by = LENGTH - 1 - bx, WIDTH - 1 - by
        me = PLAYERS * team + j
        mate = PLAYERS * team + 1 - j
        rival = PLAYERS * (1 - team)
        index = np.arange(len(rows))
        x, y = px[index, me], py[index, me]
        columns = [
            x,
            y,
            bx - x,
            by - y,
            px[index, mate] - x,
            py[index, mate] - y,
            px[:, rival] - x,
            py[:, rival] - y,
            px[:, rival + 1] - x,
            py[:, rival + 1] - y,
            LENGTH - 1 - x,
            MID_ROW - y,
            -x,
            MID_ROW - y,
        ]
        return (np.stack(columns, axis=1) / _SCALE).astype(np.float32)


# --------------------------------------------------------------------------------------
# Matches.

#: A team's policy: the observations of its agents that ask, (n, 14), to their actions (n, 2).
TeamPolicy = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class MatchResult:
    """Episodes won, drawn (interrupted at max_step) and lost, from team 0's side."""

    wins: int
    draws: int
    losses: int

    @property
    def episodes(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Team 0's mean result per episode: 1 a win, 0.5 a draw, 0 a loss (as ELO
        counts them)."""
        return (self.wins + 0.5 * self.draws) / max(self.episodes, 1)


def play_match(
    team0: TeamPolicy,
    team1: TeamPolicy | float,
    steps: int,
    seed: int = 0,
    num_areas: int = 4,
) -> MatchResult:
    """Play `steps` ticks of num_areas SoccerTwos areas in-process, team0 against team1,
    and count the episodes that ended. team1 may be a skill: the scripted opponent played
    inside the scene (only team 0 is then decided here)."""
    policies: dict[str, TeamPolicy] = {TEAM0_ID: team0}
    skill = None
    if callable(team1):
        policies[TEAM1_ID] = team1
    else:
        skill = check_skill(team1)
    wins = draws = losses = 0
    sim = SoccerTwos(seed=seed, num_areas=num_areas, opponent_skill=skill)
    with InProcessEnv(sim) as env:
        env.reset()
        for _ in range(steps):
            for name, policy in policies.items():
                decision, terminal = env.get_steps(name)
                if name == TEAM0_ID and len(terminal):
                    # One entry per team: its first agent.
                    _, first = np.unique(terminal.group_id, return_index=True)
                    for k in first.tolist():
                        if terminal.interrupted[k]:
                            draws += 1
                        elif terminal.group_reward[k] < 0:
                            losses += 1
                        else:
                            wins += 1
                if len(decision):
                    actions = np.asarray(policy(decision.obs[0]), dtype=np.int32)
                    env.set_actions(name, ActionTuple(discrete=actions))
            env.step()
    return MatchResult(wins, draws, losses)
