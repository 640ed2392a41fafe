"""Pyramids: press a switch to make a gold brick appear, then reach it (ML-Agents' Pyramids,
a sparse-reward game, on a grid in numpy)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import check_behavior, discrete_actions, vector_observation

BEHAVIOR_NAME = "Pyramids"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)

#: The room is a square of room_size x room_size cells (the `room_size` parameter).
DEFAULT_ROOM_SIZE = 16
#: At least 2 x 2 cells per zone (see Pyramids), at most what a float32 offset keeps exact.
MIN_ROOM_SIZE = 6
MAX_ROOM_SIZE = 64
#: Ticks (= decisions: the period is 1) after which an episode is interrupted.
MAX_STEP = 500
#: Every tick costs 1 / MAX_STEP, so an episode that times out totals -1, as upstream.
STEP_REWARD = -1.0 / MAX_STEP
BRICK_REWARD = 2.0
OBS_SIZE = 9

#: Actions of the one branch, in ML-Agents' order: nothing, forward, back, then turns.
#: Upstream's action 3 rotates by +90 degrees about Unity's up axis: a right turn.
NOTHING, FORWARD, BACK, TURN_RIGHT, TURN_LEFT = range(5)

#: Headings 0..3: north (+y), east (+x), south (-y), west (-x); a right turn adds 1.
_FORWARD_X = np.array([0, 1, 0, -1], dtype=np.int64)
_FORWARD_Y = np.array([1, 0, -1, 0], dtype=np.int64)
#: Per action (index 5 catches out-of-range values): its step along the heading and turn.
_STEP = np.array([0, 1, -1, 0, 0, 0], dtype=np.int64)
_TURN = np.array([0, 0, 0, 1, -1, 0], dtype=np.int64)
#: The 3 x 3 zones (upstream's spawn areas): agent, switch and brick take different ones.
ZONES = 3


def pyramids_heuristic(obs: np.ndarray) -> np.ndarray:
    """A scripted policy: (n, 9) Pyramids observations to (n, 1) discrete actions.

    Its target is the switch until the switch is on, then the brick. While the target is
    ahead or behind, it moves forward or back towards it; once level with it, it turns
    towards it. That is a shortest path: the distance along each axis plus one turn when
    the target is off the agent's line.
    """
    obs = np.asarray(obs, dtype=np.float64)
    on = obs[:, 0] > 0.5
    ahead = np.where(on, obs[:, 3], obs[:, 1])
    right = np.where(on, obs[:, 4], obs[:, 2])
    # Offsets are whole cells over room_size <= MAX_ROOM_SIZE: far above this tolerance.
    level = np.abs(ahead) < 0.25 / MAX_ROOM_SIZE
    beside = np.abs(right) >= 0.25 / MAX_ROOM_SIZE
    action = np.where(ahead > 0, FORWARD, BACK)
    action = np.where(level, np.where(right > 0, TURN_RIGHT, TURN_LEFT), action)
    action = np.where(level & ~beside, NOTHING, action)
    return action.astype(np.int32)[:, None]


class Pyramids(Simulation):
    """Pyramids: each agent must find and press a switch, which makes a gold brick appear
    elsewhere in its room; reaching the brick is the only reward.

    Behaviors: one, "Pyramids", with one agent per area, times num_areas (each agent has its
    own room). Agents decide every tick (upstream decides every 5 physics ticks and repeats
    the action between; a grid move is already one decision's worth of motion); episodes
    are interrupted after 500 ticks (upstream: 5000 physics ticks, 1000 decisions).

    Scene: a room of room_size x room_size cells (16 by default) split into 3 x 3 zones, as
    upstream's room is into 9 spawn areas. At every episode begin the agent, the switch and
    the brick take random cells in three different random zones, and the agent a random
    heading (north, east, south or west). The switch starts off; the brick is hidden until
    the switch is on. Upstream's stone pyramids (obstacles) are left out.

    Observation: one vector of 9 floats, "VectorSensor":
    - 0: 1 if the switch is on, else 0 (upstream's first observation);
    - 1, 2: the switch relative to the agent, in cells / room_size, along its heading
      (ahead > 0) and to its right (right > 0), what upstream's rays tell;
    - 3, 4: the brick, likewise, once the switch is on (0, 0 before);
    - 5, 6: the agent's x, y in the room, from -1 (west / south wall) to 1 (east / north);
    - 7, 8: its heading as a unit vector (x, y).

    Actions: one discrete branch of 5, in ML-Agents' order: 0 nothing, 1 one cell forward,
    2 one cell back, 3 turn right, 4 turn left (90 degrees); any other value does nothing.
    A move into the wall leaves the agent where it is.

    Rewards: -1/500 every tick (upstream's -1/MaxStep), so that a timed-out episode totals
    -1. Stepping onto the switch turns it on (once per episode). Stepping onto the brick
    once it is shown sets the tick's reward to +2 (Unity's SetReward, replacing that tick's
    penalty) and ends the episode: a success totals 2 minus the earlier ticks' penalties.

    Environment parameters, read per agent when its episode begins: `room_size` (16),
    rounded and clipped to [6, 64]. It sets the difficulty: random actions find the switch
    and then the brick within 500 ticks less often the larger the room (episodes that
    reach the brick: 32 % at 8, 17 % at 10, 7 % at 12, 2.4 % at 16, 0.5 % at 20).

    Statistics: none (upstream's agent sends none); an episode's reward tells a success
    (above 1) from a time-out (-1).

    Benchmark: `pyramids_heuristic` scores 1.95 an episode (every episode a success, in
    about 24 ticks); upstream's solved level is 1.75. Random actions score -0.95: 2.4 % of
    episodes reach the brick (4 seeds x 64 areas x 10,000 ticks), one in about 20,000 agent
    steps. PPO with the extrinsic reward alone (config/ppo/Pyramids.yaml, 16 areas, seeds
    1-6, benchmarks/pyramids_exploration.py) stays at that level for 100,000 steps: 2.1 %
    of the last fifth of its episodes reach the brick (five seeds none, one 13 %); it starts
    to learn later (14 % to 63 % by 300,000 steps, seeds 1-3). That gap is for curiosity
    or RND to close.
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
        self.switch_y = np.full(n, DEFAULT_ROOM_SIZE // 2, dtype=np.int64)
        self.brick_x = np.full(n, DEFAULT_ROOM_SIZE - 1, dtype=np.int64)
        self.brick_y = np.full(n, DEFAULT_ROOM_SIZE - 1, dtype=np.int64)
        self.switch_on = np.zeros(n, dtype=bool)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        # One read per agent, so that a sampler gives every episode its own value.
        sizes = np.array([self.parameters.get("room_size", DEFAULT_ROOM_SIZE) for _ in rows])
        sizes = np.rint(np.nan_to_num(sizes, nan=DEFAULT_ROOM_SIZE))
        sizes = np.clip(sizes, MIN_ROOM_SIZE, MAX_ROOM_SIZE).astype(np.int64).reshape(k)
        # Three different zones per agent (agent, switch, brick), then a cell in each.
        zones = np.argsort(self.rng.random((k, ZONES * ZONES)), axis=1)[:, :3]
        zone_x, zone_y = zones % ZONES, zones // ZONES
        x = _cell_in_zone(zone_x, sizes[:, None], self.rng.random((k, 3)))
        y = _cell_in_zone(zone_y, sizes[:, None], self.rng.random((k, 3)))
        self.room_size[rows] = sizes
        self.x[rows], self.switch_x[rows], self.brick_x[rows] = x.T
        self.y[rows], self.switch_y[rows], self.brick_y[rows] = y.T
        self.heading[rows] = self.rng.integers(0, 4, k)
        self.switch_on[rows] = False

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        action = discrete_actions(actions, BEHAVIOR_ID, self.n_agents).astype(np.int64)
        action = np.where((action >= 0) & (action < 5), action, 5)
        self.heading = (self.heading + _TURN[action]) % 4
        step = _STEP[action]
        last = self.room_size - 1
        self.x = np.clip(self.x + step * _FORWARD_X[self.heading], 0, last)
        self.y = np.clip(self.y + step * _FORWARD_Y[self.heading], 0, last)
        # The brick shows once the switch is on; the switch cell is never the brick's.
        on_brick = self.switch_on & (self.x == self.brick_x) & (self.y == self.brick_y)
        self.switch_on |= (self.x == self.switch_x) & (self.y == self.switch_y)
        reward = np.where(on_brick, BRICK_REWARD, STEP_REWARD).astype(np.float32)
        return {BEHAVIOR_ID: Transition(reward=reward, done=on_brick, set_reward=on_brick)}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        size = self.room_size[rows].astype(np.float64)
        x, y, heading = self.x[rows], self.y[rows], self.heading[rows]
        forward_x, forward_y = _FORWARD_X[heading], _FORWARD_Y[heading]
        on = self.switch_on[rows]

        def relative(target_x: np.ndarray, target_y: np.ndarray) -> tuple[np.ndarray, ...]:
            dx, dy = target_x - x, target_y - y
            # The right of heading h is the forward of h + 1: (forward_y, -forward_x).
            return (dx * forward_x + dy * forward_y) / size, (
                dx * forward_y - dy * forward_x
            ) / size

        switch_ahead, switch_right = relative(self.switch_x[rows], self.switch_y[rows])
        brick_ahead, brick_right = relative(self.brick_x[rows], self.brick_y[rows])
        obs = np.stack(
            [
                on,
                switch_ahead,
                switch_right,
                np.where(on, brick_ahead, 0.0),
                np.where(on, brick_right, 0.0),
                2.0 * x / (size - 1) - 1.0,
                2.0 * y / (size - 1) - 1.0,
                forward_x,
                forward_y,
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
