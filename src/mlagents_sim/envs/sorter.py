"""Sorter: agents touch numbered tiles in increasing order (ML-Agents' Sorter, on a grid)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import (
    agent_count,
    check_behavior,
    discrete_actions,
    entity_buffer,
    vector_observation,
)

BEHAVIOR_NAME = "Sorter"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)

#: Cells per side of the board, walls included. The agent walks the inner 5 x 5 cells.
BOARD_SIZE = 7
#: The center cell, and half the span of the cells the agent walks on.
CENTER = (BOARD_SIZE - 1) // 2
HALF_SPAN = CENTER - 1
#: Highest tile number, the most tiles in an episode and the rows of the entity buffer.
MAX_TILES = 20
#: Floats per entity: the one-hot of the tile's number, then its position relative to
#: the agent (x, y), divided by the board's span so that it lies in [-1, 1].
ENTITY_SIZE = MAX_TILES + 2
MAX_STEP = 500

#: The tile slots: every wall cell but the corners, each touching exactly one inner cell,
#: so every tile can be reached whatever the others are (as Sorter's tiles ring its area).
_INNER = np.arange(1, BOARD_SIZE - 1)
_WALL = np.full(BOARD_SIZE - 2, 0)
_SLOT_X = np.concatenate([_INNER, _INNER, _WALL, _WALL + BOARD_SIZE - 1])
_SLOT_Y = np.concatenate([_WALL, _WALL + BOARD_SIZE - 1, _INNER, _INNER])
assert len(_SLOT_X) == MAX_TILES

#: Moves of the discrete actions: stay, up (+y), down (-y), left (-x), right (+x).
_MOVE_X = np.array([0, 0, 0, -1, 1])
_MOVE_Y = np.array([0, 1, -1, 0, 0])
STAY, UP, DOWN, LEFT, RIGHT = range(5)

#: Stands for "no tile" where the lowest number is looked for.
_NO_TILE = MAX_TILES + 1


def sort_heuristic(vector: np.ndarray, entities: np.ndarray) -> np.ndarray:
    """Walk to the lowest-numbered remaining tile and touch it: Sorter observations, (n, 3)
    vectors and (n, 20, 22) entity buffers, to (n, 1) discrete actions.

    A tile sits in a wall slot next to exactly one inner cell. The agent first walks inside
    to that cell (never touching a wall, so never a wrong tile), then pushes into the wall.
    An agent with no tile left stays.
    """
    vector = np.asarray(vector, dtype=np.float64)
    entities = np.asarray(entities, dtype=np.float64)
    n = len(vector)
    agent_x = np.rint(vector[:, 0] * HALF_SPAN) + CENTER
    agent_y = np.rint(vector[:, 1] * HALF_SPAN) + CENTER
    present = np.abs(entities).sum(axis=2) > 0
    numbers = np.where(present, entities[:, :, :MAX_TILES].argmax(axis=2), _NO_TILE)
    target = numbers.argmin(axis=1)
    chosen = entities[np.arange(n), target]
    tile_x = agent_x + np.rint(chosen[:, MAX_TILES] * (BOARD_SIZE - 1))
    tile_y = agent_y + np.rint(chosen[:, MAX_TILES + 1] * (BOARD_SIZE - 1))
    # The inner cell touching the tile, and the push from it into the tile's slot.
    cell_x = np.clip(tile_x, 1, BOARD_SIZE - 2)
    cell_y = np.clip(tile_y, 1, BOARD_SIZE - 2)
    push = np.select([tile_x > cell_x, tile_x < cell_x, tile_y > cell_y], [RIGHT, LEFT, UP], DOWN)
    walk = np.select(
        [cell_x > agent_x, cell_x < agent_x, cell_y > agent_y, cell_y < agent_y],
        [RIGHT, LEFT, UP, DOWN],
        push,
    )
    actions = np.where(present.any(axis=1), walk, STAY)
    return actions.astype(np.int32)[:, None]


class Sorter(Simulation):
    """Sorter: each agent must touch the tiles of its board in increasing order of number.

    Behaviors: one, "Sorter", with `agents_per_area` (8) agents per area, times num_areas;
    each agent has its own board. Agents decide every tick; episodes last at most 500 ticks;
    rewards are added (Unity's AddReward).

    The board: 7 x 7 cells. The agent walks the inner 5 x 5 cells and starts on a random
    one. The tiles stand in the 20 wall cells that are not corners, each next to one inner
    cell. An episode has N tiles in random slots, numbered with N distinct numbers drawn
    from 1..20; N is drawn per episode (see `num_tiles`).

    Observations:
      - "VectorSensor", shape (3,): the agent's x and y, scaled to [-1, 1] over the inner
        cells, and the fraction of this episode's tiles it has touched.
      - "BufferSensor", shape (20, 22), dimension properties (VARIABLE_SIZE, NONE): one row
        per remaining tile: the one-hot of its number (index number - 1), then its position
        relative to the agent (dx, dy) / 6. Touched tiles leave the buffer; the rows keep
        the order the tiles were placed in and the rest of the buffer is zeros, as Unity's
        BufferSensor pads (a tile's row is never all zeros, thanks to its one-hot).

    Actions: one discrete branch of 5: stay, up (+y), down (-y), left (-x), right (+x).
    Moving into a wall cell touches the tile there, if any, and the agent stays in place.
    Actions outside the branch stay.

    Rewards: -1/500 every tick; +1 for touching the lowest-numbered remaining tile (the tile
    goes); -1 for touching any other, which ends the episode. The episode also ends when
    every tile has been touched.

    Environment parameters, read per agent when its episode begins: `num_tiles`, the number
    of tiles, rounded and clipped to [1, 20]; by default a uniform draw from 1..20.

    Statistics: "Sorter/Tiles" (AVERAGE), tiles touched in the right order per episode, sent
    when an episode ends (done or interrupted at max_step).

    Benchmark: a perfect policy touches every tile; with num_tiles uniform in 1..20 (mean
    10.5) and about 5 ticks per tile (walking, then the touch) that is a mean reward of
    about 10.4 per episode. `sort_heuristic` is such a policy (10.4 measured); random
    actions get about -0.8 (they mostly touch a wrong tile early).
    """

    def __init__(self, seed: int = 0, num_areas: int = 1, agents_per_area: int = 8) -> None:
        super().__init__(seed, num_areas)
        n = agent_count(agents_per_area, num_areas)
        spec = BehaviorSpec(
            [
                vector_observation(3, "VectorSensor"),
                entity_buffer(MAX_TILES, ENTITY_SIZE, "BufferSensor"),
            ],
            ActionSpec.create_discrete((5,)),
        )
        self.behaviors = [
            BehaviorDef(BEHAVIOR_NAME, spec, n, max_step=MAX_STEP, compressed=(False, False))
        ]
        self.n_agents = n
        # The state, one row per agent. Tiles are kept in the order they were placed, one
        # column each; number 0 marks a column with no tile (never placed, or touched).
        self.agent_x = np.full(n, CENTER, dtype=np.int64)
        self.agent_y = np.full(n, CENTER, dtype=np.int64)
        self.number = np.zeros((n, MAX_TILES), dtype=np.int64)
        self.tile_x = np.zeros((n, MAX_TILES), dtype=np.int64)
        self.tile_y = np.zeros((n, MAX_TILES), dtype=np.int64)
        self.num_tiles = np.zeros(n, dtype=np.int64)
        self.touched = np.zeros(n, dtype=np.int64)
        # Ticks of the current episode, to know which episodes max_step interrupts.
        self.episode_steps = np.zeros(n, dtype=np.int64)

    def _read_num_tiles(self, default: int) -> int:
        value = self.parameters.get("num_tiles", float(default))
        if not math.isfinite(value):
            return default
        return int(np.clip(np.rint(value), 1, MAX_TILES))

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        # Defaults are drawn whether or not the parameter is set, so that setting it does
        # not shift the rest of the random stream.
        defaults = self.rng.integers(1, MAX_TILES + 1, k)
        counts = np.array([self._read_num_tiles(int(d)) for d in defaults], dtype=np.int64)
        # Row-wise random permutations: of the slots, and of the numbers 1..20.
        slots = self.rng.random((k, MAX_TILES)).argsort(axis=1)
        numbers = self.rng.random((k, MAX_TILES)).argsort(axis=1) + 1
        placed = np.arange(MAX_TILES) < counts[:, None]
        self.number[rows] = np.where(placed, numbers, 0)
        self.tile_x[rows] = _SLOT_X[slots]
        self.tile_y[rows] = _SLOT_Y[slots]
        self.agent_x[rows] = self.rng.integers(1, BOARD_SIZE - 1, k)
        self.agent_y[rows] = self.rng.integers(1, BOARD_SIZE - 1, k)
        self.num_tiles[rows] = counts
        self.touched[rows] = 0
        self.episode_steps[rows] = 0

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n = self.n_agents
        action = discrete_actions(actions, BEHAVIOR_ID, n)
        action = np.where((action >= 0) & (action < len(_MOVE_X)), action, STAY)
        to_x = self.agent_x + _MOVE_X[action]
        to_y = self.agent_y + _MOVE_Y[action]
        inside = (to_x >= 1) & (to_x <= BOARD_SIZE - 2) & (to_y >= 1) & (to_y <= BOARD_SIZE - 2)
        self.agent_x = np.where(inside, to_x, self.agent_x)
        self.agent_y = np.where(inside, to_y, self.agent_y)

        # Tiles only stand in walls, so a move that stays inside touches none.
        hit = (self.tile_x == to_x[:, None]) & (self.tile_y == to_y[:, None]) & (self.number > 0)
        touched = hit.any(axis=1)
        hit_number = (self.number * hit).sum(axis=1)
        lowest = np.where(self.number > 0, self.number, _NO_TILE).min(axis=1)
        right = touched & (hit_number == lowest)
        wrong = touched & ~right
        self.number = np.where(hit & right[:, None], 0, self.number)
        self.touched += right
        finished = right & (self.touched == self.num_tiles)
        done = wrong | finished

        reward = right.astype(np.float64) - wrong - 1.0 / MAX_STEP
        self.episode_steps += 1
        self._record_tiles(np.flatnonzero(done | (self.episode_steps == MAX_STEP)))
        return {BEHAVIOR_ID: Transition(reward=reward.astype(np.float32), done=done)}

    def _record_tiles(self, ended: np.ndarray) -> None:
        for count in self.touched[ended].tolist():
            self.stats.add("Sorter/Tiles", count, StatsAggregationMethod.AVERAGE)

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        agent_x = self.agent_x[rows]
        agent_y = self.agent_y[rows]
        total = np.maximum(self.num_tiles[rows], 1)
        vector = np.stack(
            [
                (agent_x - CENTER) / HALF_SPAN,
                (agent_y - CENTER) / HALF_SPAN,
                self.touched[rows] / total,
            ],
            axis=1,
        ).astype(np.float32)

        # Remaining tiles first, in the order they were placed: a stable sort on "gone".
        number = self.number[rows]
        order = np.argsort(number == 0, axis=1, kind="stable")
        number = np.take_along_axis(number, order, axis=1)
        present = number > 0
        dx = np.take_along_axis(self.tile_x[rows], order, axis=1) - agent_x[:, None]
        dy = np.take_along_axis(self.tile_y[rows], order, axis=1) - agent_y[:, None]
        entities = np.zeros((k, MAX_TILES, ENTITY_SIZE), dtype=np.float32)
        agent_index, entity_index = np.nonzero(present)
        entities[agent_index, entity_index, number[present] - 1] = 1.0
        entities[:, :, MAX_TILES] = np.where(present, dx / (BOARD_SIZE - 1), 0.0)
        entities[:, :, MAX_TILES + 1] = np.where(present, dy / (BOARD_SIZE - 1), 0.0)
        return [vector, entities]
