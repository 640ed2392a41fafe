"""Pyramids: press a switch to make a stone pyramid with a gold brick appear, then reach the
brick (ML-Agents' Pyramids, a sparse-reward game, on a grid in numpy)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import check_behavior, discrete_actions, vector_observation

BEHAVIOR_NAME = "Pyramids"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)

#: The room is a square of room_size x room_size cells (the `room_size` parameter).
DEFAULT_ROOM_SIZE = 20
#: At least 2 x 2 cells per zone (see Pyramids), at most what a float32 offset keeps exact.
MIN_ROOM_SIZE = 6
MAX_ROOM_SIZE = 64
#: Ticks (= decisions: the period is 1) after which an episode is interrupted.
MAX_STEP = 200
#: Every tick costs 1 / MAX_STEP, so an episode that times out totals -1, as upstream.
STEP_REWARD = -1.0 / MAX_STEP
BRICK_REWARD = 2.0

#: Actions of the one branch, in ML-Agents' order: nothing, forward, back, then turns.
#: Upstream's action 3 rotates by +90 degrees about Unity's up axis: a right turn.
NOTHING, FORWARD, BACK, TURN_RIGHT, TURN_LEFT = range(5)

#: Headings 0..3: north (+y), east (+x), south (-y), west (-x); a right turn adds 1.
_FORWARD_X = np.array([0, 1, 0, -1], dtype=np.int64)
_FORWARD_Y = np.array([1, 0, -1, 0], dtype=np.int64)
#: Per action (index 5 catches out-of-range values): its step along the heading and turn.
_STEP = np.array([0, 1, -1, 0, 0, 0], dtype=np.int64)
_TURN = np.array([0, 0, 0, 1, -1, 0], dtype=np.int64)

#: The 3 x 3 zones (upstream's spawn areas), numbered x + 3 y.
ZONES = 3
#: The stones of a pyramid: on the four cells next to its brick (north, east, south, west).
_STONE_DX = np.array([0, 1, 0, -1], dtype=np.int64)
_STONE_DY = np.array([1, 0, -1, 0], dtype=np.int64)
STONES = len(_STONE_DX)
#: Where a knocked stone may land: the eight cells around it.
_AROUND_X = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
_AROUND_Y = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)

#: The agent perceives the room in SECTORS sectors of 45 degrees; sector k is centred 45 k
#: degrees to the right of its heading (0 ahead, 2 right, 4 behind, 6 left).
SECTORS = 8
#: Each sector's centre as a step (ahead, right) in cells.
_SECTOR_AHEAD = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
_SECTOR_RIGHT = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
#: The observation's channels after the switch flag, SECTORS floats each.
WALL, SWITCH_OFF, SWITCH_ON, BRICK, STONE = range(5)
CHANNELS = 5
OBS_SIZE = 1 + CHANNELS * SECTORS


def _layouts() -> np.ndarray:
    """Every allowed (agent, switch, brick) zone triple: the switch's zone shares a side with
    the agent's, and the brick's zone neither is nor touches the switch's (so the switch is
    never in the centre zone, which touches all the others)."""
    triples = []
    for switch in range(ZONES * ZONES):
        sx, sy = divmod(switch, ZONES)[::-1]
        for agent in range(ZONES * ZONES):
            ax, ay = divmod(agent, ZONES)[::-1]
            if abs(ax - sx) + abs(ay - sy) != 1:
                continue
            for brick in range(ZONES * ZONES):
                bx, by = divmod(brick, ZONES)[::-1]
                if max(abs(bx - sx), abs(by - sy)) >= 2:
                    triples.append((agent, switch, brick))
    return np.array(triples, dtype=np.int64)


#: (76, 3): the zone triples an episode draws from, uniformly.
LAYOUTS = _layouts()


def pyramids_heuristic(obs: np.ndarray) -> np.ndarray:
    """A scripted policy: (n, OBS_SIZE) Pyramids observations to (n, 1) discrete actions.

    Its target is the switch until the switch is on, then the brick. It walks forward while
    the target is ahead or diagonally ahead (knocking away any stone in its way), and turns
    towards it otherwise: right when it is to the right or straight behind, else left.
    """
    obs = np.asarray(obs, dtype=np.float64)
    on = obs[:, 0] > 0.5
    channel = np.where(on, BRICK, SWITCH_OFF)
    columns = 1 + channel[:, None] * SECTORS + np.arange(SECTORS)
    sector = np.take_along_axis(obs, columns, axis=1).argmax(axis=1)
    action = np.where(sector <= SECTORS // 2, TURN_RIGHT, TURN_LEFT)
    action = np.where((sector <= 1) | (sector == SECTORS - 1), FORWARD, action)
    return action.astype(np.int32)[:, None]


class Pyramids(Simulation):
    """Pyramids: each agent must find and press a switch, which makes a pyramid of stones
    with a gold brick at its heart appear elsewhere in its room; reaching the brick is the
    only reward.

    Behaviors: one, "Pyramids", with one agent per area, times num_areas (each agent has its
    own room). Agents decide every tick (upstream decides every 5 physics ticks and repeats
    the action between; a grid move is already one decision's worth of motion); episodes
    are interrupted after 200 ticks.

    Scene: a room of room_size x room_size cells (20 by default) split into 3 x 3 zones, as
    upstream's room is into 9 spawn areas. At every episode begin the agent, the switch and
    the brick take random cells in three random zones: the switch's zone shares a side with
    the agent's, and the brick's is on the far side of the room from the switch's (neither
    the same nor touching it). The agent takes a random heading (north, east, south or
    west). The switch starts off; the pyramid is hidden until the switch is on: the brick
    and four stones on the cells next to it (those inside the room), as upstream's brick sits
    on a pyramid of stones that the agent knocks over. Stones are solid: a move into a stone
    leaves the agent where it is and knocks the stone onto a random free cell among the
    eight around it (not the agent's, the brick's, the switch's nor another stone's; with
    none free, the stone breaks and is gone).

    Observation: one vector of 41 floats, "VectorSensor", what upstream's ray sensors and
    switch state tell. The agent perceives its surroundings in 8 sectors of 45 degrees,
    sector k centred 45 k degrees to the right of its heading (0 ahead, 2 right, 4 behind,
    6 left); an object lies in the sector of its direction from the agent.
    - 0: 1 if the switch is on, else 0 (upstream's first observation);
    - 1-8: per sector, the distance to the wall along its centre;
    - 9-16: the switch while it is off, per sector: its proximity in the sector it lies in,
      0 elsewhere (and under the agent);
    - 17-24: the switch once it is on, likewise;
    - 25-32: the brick once the switch is on, likewise;
    - 33-40: the stones once the switch is on: per sector, the nearest one's proximity.
    Distances are in units of the room's diagonal (room_size * sqrt 2); a proximity is 1
    minus the distance, so a seen object is in (0, 1).

    Actions: one discrete branch of 5, in ML-Agents' order: 0 nothing, 1 one cell forward,
    2 one cell back, 3 turn right, 4 turn left (90 degrees); any other value does nothing.
    A move into the wall leaves the agent where it is.

    Rewards: -1/200 every tick (upstream's -1/MaxStep), so that a timed-out episode totals
    -1. Stepping onto the switch turns it on (once per episode). Stepping onto the brick
    once it is shown sets the tick's reward to +2 (Unity's SetReward, replacing that tick's
    penalty) and ends the episode: a success totals 2 minus the earlier ticks' penalties.

    Environment parameters, read per agent when its episode begins: `room_size` (20),
    rounded and clipped to [6, 64]. It sets the difficulty: within 200 ticks, random
    actions press the switch in 47 % of episodes at 8 and reach the brick in 4.9 %; at 12,
    28 % and 0.6 %; at 20, 12 % and none of 2,000.

    Statistics: none (upstream's agent sends none); an episode's reward tells a success
    (above 1) from a time-out (-1).

    Benchmark: `pyramids_heuristic` scores 1.83 an episode (every episode a success, in
    about 35 ticks); upstream's solved level is 1.75. That is a game for exploration
    bonuses, as upstream's is: PPO with the extrinsic reward alone
    (config/ppo/Pyramids_extrinsic.yaml, 16 areas, 60,000 steps, seeds 1-8,
    benchmarks/pyramids_exploration.py) reaches the brick in no episode at all, while with
    curiosity (Pyramids.yaml) or RND (Pyramids_rnd.yaml) every episode of the last fifth of
    the run reaches it, on every seed. Pressing the switch changes what the agent perceives
    (the switch's channel, the pyramid appearing), which the signals reward; knocked stones
    land at random, which keeps curiosity coming near the pyramid (without stones,
    curiosity led agents to the switch but seldom on to the brick).
    """

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = num_areas
        spec = BehaviorSpec(
            [vector_observation(OBS_SIZE, "VectorSensor")], ActionSpec.create_discrete((5,))
        )
        self.behaviors = [
            BehaviorDef(BEHAVIOR_NAME, spec, n, max_step=MAX_STEP, compressed=(False,))
        ]
        self.n_agents = n
        # The state, one row per agent, in cells. Until reset_agents begins the first
        # episodes, everything sits in a legal placement of a default room.
        self.room_size = np.full(n, DEFAULT_ROOM_SIZE, dtype=np.int64)
        self.x = np.zeros(n, dtype=np.int64)
        self.y = np.zeros(n, dtype=np.int64)
        self.heading = np.zeros(n, dtype=np.int64)
        self.switch_x = np.full(n, DEFAULT_ROOM_SIZE // 2, dtype=np.int64)
        self.switch_y = np.zeros(n, dtype=np.int64)
        self.brick_x = np.full(n, DEFAULT_ROOM_SIZE // 2, dtype=np.int64)
        self.brick_y = np.full(n, DEFAULT_ROOM_SIZE - 2, dtype=np.int64)
        self.switch_on = np.zeros(n, dtype=bool)
        #: (n, STONES): each stone's cell, and whether it is in the room at all.
        self.stone_x = self.brick_x[:, None] + _STONE_DX
        self.stone_y = self.brick_y[:, None] + _STONE_DY
        self.stone_in = np.ones((n, STONES), dtype=bool)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        # One read per agent, so that a sampler gives every episode its own value.
        sizes = np.array([self.parameters.get("room_size", DEFAULT_ROOM_SIZE) for _ in rows])
        sizes = np.rint(np.nan_to_num(sizes, nan=DEFAULT_ROOM_SIZE))
        sizes = np.clip(sizes, MIN_ROOM_SIZE, MAX_ROOM_SIZE).astype(np.int64).reshape(k)
        # A zone triple per agent (agent, switch, brick), then a cell in each zone.
        zones = LAYOUTS[self.rng.integers(0, len(LAYOUTS), k)]
        zone_x, zone_y = zones % ZONES, zones // ZONES
        x = _cell_in_zone(zone_x, sizes[:, None], self.rng.random((k, 3)))
        y = _cell_in_zone(zone_y, sizes[:, None], self.rng.random((k, 3)))
        self.room_size[rows] = sizes
        self.x[rows], self.switch_x[rows], self.brick_x[rows] = x.T
        self.y[rows], self.switch_y[rows], self.brick_y[rows] = y.T
        self.heading[rows] = self.rng.integers(0, 4, k)
        self.switch_on[rows] = False
        stone_x = x[:, 2:3] + _STONE_DX
        stone_y = y[:, 2:3] + _STONE_DY
        self.stone_x[rows], self.stone_y[rows] = stone_x, stone_y
        inside = (stone_x >= 0) & (stone_y >= 0)
        self.stone_in[rows] = inside & (stone_x < sizes[:, None]) & (stone_y < sizes[:, None])

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        action = discrete_actions(actions, BEHAVIOR_ID, self.n_agents).astype(np.int64)
        action = np.where((action >= 0) & (action < 5), action, 5)
        self.heading = (self.heading + _TURN[action]) % 4
        step = _STEP[action]
        last = self.room_size - 1
        to_x = np.clip(self.x + step * _FORWARD_X[self.heading], 0, last)
        to_y = np.clip(self.y + step * _FORWARD_Y[self.heading], 0, last)
        # Stones exist once the switch is on; the one in the way is knocked, not entered.
        hit = self.switch_on[:, None] & self.stone_in
        hit &= (self.stone_x == to_x[:, None]) & (self.stone_y == to_y[:, None])
        blocked = np.flatnonzero(hit.any(axis=1))
        if len(blocked):
            self._knock(blocked, hit[blocked].argmax(axis=1))
            to_x[blocked], to_y[blocked] = self.x[blocked], self.y[blocked]
        self.x, self.y = to_x, to_y
        # The brick shows once the switch is on; the switch cell is never the brick's.
        on_brick = self.switch_on & (self.x == self.brick_x) & (self.y == self.brick_y)
        self.switch_on |= (self.x == self.switch_x) & (self.y == self.switch_y)
        reward = np.where(on_brick, BRICK_REWARD, STEP_REWARD).astype(np.float32)
        return {BEHAVIOR_ID: Transition(reward=reward, done=on_brick, set_reward=on_brick)}

    def _knock(self, rows: np.ndarray, stone: np.ndarray) -> None:
        """Move stone (one index per row) of each of rows onto a random free cell around it."""
        x = self.stone_x[rows, stone][:, None] + _AROUND_X
        y = self.stone_y[rows, stone][:, None] + _AROUND_Y
        size = self.room_size[rows][:, None]
        free = (x >= 0) & (x < size) & (y >= 0) & (y < size)
        for taken_x, taken_y in (
            (self.x[rows], self.y[rows]),
            (self.brick_x[rows], self.brick_y[rows]),
            (self.switch_x[rows], self.switch_y[rows]),
        ):
            free &= (x != taken_x[:, None]) | (y != taken_y[:, None])
        for j in range(STONES):
            stone_x, stone_y = self.stone_x[rows, j][:, None], self.stone_y[rows, j][:, None]
            free &= (x != stone_x) | (y != stone_y) | ~self.stone_in[rows, j][:, None]
        # A uniform choice among the free cells (draws for every row keep the stream simple).
        pick = np.where(free, self.rng.random(free.shape), -1.0).argmax(axis=1)
        moved = free.any(axis=1)
        # A stone with nowhere to go breaks, so that no stone blocks a brick for good.
        self.stone_in[rows[~moved], stone[~moved]] = False
        rows, stone, pick = rows[moved], stone[moved], pick[moved]
        self.stone_x[rows, stone] = x[moved, pick]
        self.stone_y[rows, stone] = y[moved, pick]

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        size = self.room_size[rows]
        x, y, heading, on = self.x[rows], self.y[rows], self.heading[rows], self.switch_on[rows]
        forward_x, forward_y = _FORWARD_X[heading][:, None], _FORWARD_Y[heading][:, None]
        diagonal = size[:, None] * np.sqrt(2.0)

        # Each sector's centre as a step in the room: ahead * forward + right * (fy, -fx).
        step_x = _SECTOR_AHEAD * forward_x + _SECTOR_RIGHT * forward_y
        step_y = _SECTOR_AHEAD * forward_y - _SECTOR_RIGHT * forward_x
        last = (size - 1)[:, None]
        free_x = np.where(step_x > 0, last - x[:, None], np.where(step_x < 0, x[:, None], last))
        free_y = np.where(step_y > 0, last - y[:, None], np.where(step_y < 0, y[:, None], last))
        wall = np.minimum(free_x, free_y) * np.hypot(step_x, step_y) / diagonal

        def seen(target_x: np.ndarray, target_y: np.ndarray, shown: np.ndarray) -> np.ndarray:
            """(n, SECTORS): the target's proximity in its sector, 0 elsewhere."""
            dx, dy = (target_x - x)[:, None], (target_y - y)[:, None]
            ahead = dx * forward_x + dy * forward_y
            right = dx * forward_y - dy * forward_x
            # Integer offsets never fall on a sector boundary (tan 22.5 is irrational).
            sector = np.rint(np.degrees(np.arctan2(right, ahead)) / 45.0).astype(np.int64)
            sector %= SECTORS
            proximity = 1.0 - np.hypot(ahead, right) / diagonal
            visible = shown[:, None] & ((ahead != 0) | (right != 0))
            return np.where(visible & (sector == np.arange(SECTORS)), proximity, 0.0)

        switch = seen(self.switch_x[rows], self.switch_y[rows], np.ones(len(rows), dtype=bool))
        stones = [
            seen(self.stone_x[rows, j], self.stone_y[rows, j], on & self.stone_in[rows, j])
            for j in range(STONES)
        ]
        obs = np.concatenate(
            [
                on[:, None],
                wall,
                np.where(on[:, None], 0.0, switch),
                np.where(on[:, None], switch, 0.0),
                seen(self.brick_x[rows], self.brick_y[rows], on),
                np.max(stones, axis=0),
            ],
            axis=1,
        )
        return [obs.astype(np.float32)]


def _cell_in_zone(zone: np.ndarray, size: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A coordinate in zone (0..ZONES-1) along a side of size cells, from u in [0, 1):
    zone z spans cells ceil(z * size / ZONES) .. ceil((z + 1) * size / ZONES) - 1."""
    low = -(-zone * size // ZONES)
    high = -(-(zone + 1) * size // ZONES)
    return low + (u * (high - low)).astype(np.int64)
