"""GridWorld: agents walk a small grid to the goal they are told (ML-Agents' GridAgent)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec, ObservationType
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import (
    channels_last,
    check_behavior,
    discrete_actions,
    image_observation,
    vector_observation,
)

BEHAVIOR_NAME = "GridWorld"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)
AGENTS_PER_AREA = 9
MAX_STEP = 100

#: The largest playable area is MAX_GRID x MAX_GRID cells; a wall border makes the frame.
MAX_GRID = 5
MIN_GRID = 2  # the agent and both goals need three distinct cells
FRAME = MAX_GRID + 2
#: Pixels per cell side: 6 makes a 42 x 42 image, big enough for ML-Agents' nature_cnn
#: encoder (which needs 36 x 36) and for the goals to keep their plus and ex shapes.
CELL_PIXELS = 6
IMAGE_SIZE = FRAME * CELL_PIXELS

STEP_REWARD = -0.01
GOAL_STAT = "GridWorld/Goal reached"

#: Discrete actions, as in ML-Agents' GridAgent. "Up" is towards the top row of the image.
NOOP, UP, DOWN, LEFT, RIGHT = range(5)
#: How each action moves the agent, as an offset of its cell index in the FRAME x FRAME
#: frame (index = row * FRAME + column): walls are cells of the frame too, so a move is
#: blocked exactly when its destination is a wall, and never leaves the frame.
_MOVES = np.array([0, -FRAME, FRAME, -1, 1], dtype=np.int64)

#: Goal-signal one-hot positions: which goal is the target of the episode.
PLUS, EX = 0, 1

# What a cell shows; rendering draws each cell with the tile of its kind.
_EMPTY, _WALL, _PLUS, _EX, _AGENT = range(5)


def _tiles() -> np.ndarray:
    """The (kinds, CELL_PIXELS, CELL_PIXELS, 3) uint8 picture of each kind of cell: black
    floor, gray wall, a green plus, a red ex (both on floor) and a blue agent. Every tile's
    pixel (2, 2) has the kind's color, which is how walk_to_goal reads an image."""
    size = CELL_PIXELS
    tiles = np.zeros((5, size, size, 3), dtype=np.uint8)
    tiles[_WALL] = 128
    middle = slice(size // 2 - 1, size // 2 + 1)
    tiles[_PLUS, middle, :, 1] = 255
    tiles[_PLUS, :, middle, 1] = 255
    i, j = np.indices((size, size))
    tiles[_EX, :, :, 0] = np.where((i == j) | (i + j == size - 1), 255, 0)
    tiles[_AGENT, :, :, 2] = 255
    return tiles


def _frames() -> np.ndarray:
    """(MAX_GRID + 1, FRAME * FRAME) bool: for a grid size s, which frame cells are walls.
    The playable s x s cells sit in the top-left corner inside the border; the rest of the
    frame is wall, so the image keeps its size whatever the grid size."""
    rows, cols = np.divmod(np.arange(FRAME * FRAME), FRAME)
    sizes = np.arange(MAX_GRID + 1)[:, None]
    inside = (rows >= 1) & (rows <= sizes) & (cols >= 1) & (cols <= sizes)
    return ~inside


_TILES = _tiles()
#: The tiles as observed: multiples of 1/255 computed as the PNG decoder computes them, so
#: that images are bit for bit the same in-process and over the wire.
_TILES_FLOAT = _TILES.astype(np.float32) / np.float32(255)
_WALLS = _frames()
#: Frame cell of each playable cell k = row * MAX_GRID + column of the largest grid.
_PLAYABLE = (np.arange(MAX_GRID**2) // MAX_GRID + 1) * FRAME + np.arange(MAX_GRID**2) % MAX_GRID + 1
#: Whether playable cell k is inside a grid of size s: (MAX_GRID + 1, MAX_GRID**2).
_INSIDE = ~_WALLS[:, _PLAYABLE]
_GOAL_SIGNALS = np.eye(2, dtype=np.float32)


def walk_to_goal(image: np.ndarray, goal_signal: np.ndarray) -> np.ndarray:
    """A scripted policy: (n, 42, 42, 3) images (or (n, 3, 42, 42), as the 3.x generation
    sends them) and (n, 2) goal signals to (n, 1) actions.

    It reads the cells from the images (the center color of each tile), then takes a step
    that brings the agent closer to its target goal without stepping onto the other goal,
    preferring the axis along which the target is farther. When the other goal stands
    right between the agent and the target, it steps aside (no closer step exists), and the
    preference for the farther axis then walks it around. It never asks for a masked move.
    """
    image = channels_last(image, (IMAGE_SIZE, IMAGE_SIZE, 3))
    n = len(image)
    offset = CELL_PIXELS // 2 - 1
    centers = image[:, offset::CELL_PIXELS, offset::CELL_PIXELS, :].reshape(n, FRAME * FRAME, 3)
    high = centers > 0.75
    red, green, blue = high[..., 0], high[..., 1], high[..., 2]
    wall = (np.abs(centers - 128 / 255) < 0.01).all(axis=2)
    agent = np.argmax(blue & ~red & ~green, axis=1)
    plus = np.argmax(green & ~red & ~blue, axis=1)
    ex = np.argmax(red & ~green & ~blue, axis=1)
    wants_plus = np.asarray(goal_signal)[:, PLUS] > 0.5
    target = np.where(wants_plus, plus, ex)
    other = np.where(wants_plus, ex, plus)

    dest = agent[:, None] + _MOVES[None, 1:]
    blocked = wall[np.arange(n)[:, None], dest] | (dest == other[:, None])
    target_row, target_col = np.divmod(target, FRAME)
    agent_row, agent_col = np.divmod(agent, FRAME)
    dest_row, dest_col = np.divmod(dest, FRAME)
    before = np.abs(target_row - agent_row) + np.abs(target_col - agent_col)
    after = np.abs(target_row[:, None] - dest_row) + np.abs(target_col[:, None] - dest_col)
    # How far the target is along each move's axis: up, down (rows), left, right (columns).
    row_gap, col_gap = np.abs(target_row - agent_row), np.abs(target_col - agent_col)
    along = np.stack([row_gap, row_gap, col_gap, col_gap], axis=1)
    # Closer steps first, the farther axis before the nearer; then a step aside (along an
    # axis the target is already level on); a step back last, so that a detour never
    # undoes itself.
    score = np.where(after < before[:, None], 10 + along, np.where(along == 0, 1, 0))
    score = np.where(blocked, -1, score)
    return (np.argmax(score, axis=1) + 1).astype(np.int32)[:, None]


class GridWorld(Simulation):
    """GridWorld: each agent walks its own grid to the goal (plus or ex) it is told to reach.

    Behaviors: one, "GridWorld", with 9 agents per area (each on its own grid), times
    num_areas. Agents decide every tick (ML-Agents decides every 5 ticks without repeating
    actions in between, which is one move per decision as here); episodes last at most
    100 ticks (100 moves).

    Scene: a 5 x 5 playable area inside a border of walls (7 x 7 cells). At every episode
    begin the agent, a green "plus" goal and a red "ex" goal take three distinct random
    cells, and the target goal (plus or ex) is drawn at random.

    Observations:
    - "GridCamera": a top-down image of the 7 x 7 cells, (42, 42, 3) float32, 6 x 6 pixels
      per cell, row 0 at the top, sent as PNG: floor black, walls gray (128), the plus goal
      a green plus, the ex goal a red ex (its diagonals), the agent a blue square (drawn
      over a goal it stands on, which only a terminal observation shows). Dimension
      properties (TRANSLATIONAL_EQUIVARIANCE, TRANSLATIONAL_EQUIVARIANCE, NONE).
    - "GoalSignal": (2,) one-hot of the target, [1, 0] = plus, [0, 1] = ex;
      ObservationType.GOAL_SIGNAL, dimension property NONE.

    Actions: one discrete branch of 5: 0 no-op, 1 up (towards the image's top), 2 down,
    3 left, 4 right. Moves into a wall are masked (the no-op never is); a masked or
    out-of-range action taken anyway does nothing.

    Rewards: -0.01 per tick. Stepping onto the target goal sets the tick's reward to +1
    (Unity's SetReward: it replaces the -0.01) and ends the episode; stepping onto the
    other goal sets it to -1 and ends the episode.

    Environment parameters, read per agent when its episode begins: `gridSize` (5), the
    side of the playable area, rounded and clipped to [2, 5]. A smaller grid keeps the
    image size: its playable cells sit in the top-left corner and the rest of the 5 x 5
    area becomes wall (so moves into it are masked too).

    Statistics: "GridWorld/Goal reached" (AVERAGE), once per episode that ends on a goal:
    1 for the target, 0 for the other goal (episodes interrupted at max_step send none).

    Benchmark: walking straight to the target takes about 3.3 moves on average, a mean
    reward of about 0.97 per episode; `walk_to_goal` reaches that (0.977 measured).
    ML-Agents' threshold for GridWorld is 0.8. Random actions average about -0.35 (about
    half the episodes that end on a goal end on the wrong one, and time-outs lose 1).
    """

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = AGENTS_PER_AREA * num_areas
        spec = BehaviorSpec(
            [
                image_observation(IMAGE_SIZE, IMAGE_SIZE, 3, "GridCamera"),
                vector_observation(2, "GoalSignal", ObservationType.GOAL_SIGNAL),
            ],
            ActionSpec.create_discrete((5,)),
        )
        self.behaviors = [
            BehaviorDef(BEHAVIOR_NAME, spec, n, max_step=MAX_STEP, compressed=(True, False))
        ]
        self.n_agents = n
        # The state, one row per agent: cells are indices into the agent's FRAME x FRAME
        # frame (row * FRAME + column, the border included). Until reset_agents begins the
        # first episodes, everything sits in a legal, distinct-cell placement.
        self.grid_size = np.full(n, MAX_GRID, dtype=np.int64)
        self.agent = np.full(n, _PLAYABLE[0], dtype=np.int64)
        self.plus = np.full(n, _PLAYABLE[1], dtype=np.int64)
        self.ex = np.full(n, _PLAYABLE[2], dtype=np.int64)
        #: PLUS or EX: the goal each agent must reach this episode.
        self.target = np.zeros(n, dtype=np.int64)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        # One read per agent, so that a sampler gives every episode its own value.
        sizes = np.array([self.parameters.get("gridSize", MAX_GRID) for _ in range(k)])
        sizes = np.clip(np.rint(np.nan_to_num(sizes, nan=MAX_GRID)), MIN_GRID, MAX_GRID)
        sizes = sizes.astype(np.int64)
        # Three distinct cells of each grid: the first three of a random order of its cells
        # (cells outside a smaller grid sort last). The draws do not depend on the sizes.
        keys = np.where(_INSIDE[sizes], self.rng.random((k, MAX_GRID**2)), 2.0)
        cells = _PLAYABLE[np.argsort(keys, axis=1)[:, :3]]
        self.grid_size[rows] = sizes
        self.agent[rows] = cells[:, 0]
        self.plus[rows] = cells[:, 1]
        self.ex[rows] = cells[:, 2]
        self.target[rows] = self.rng.integers(0, 2, k)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n = self.n_agents
        action = discrete_actions(actions, BEHAVIOR_ID, n)
        action = np.where((action >= 0) & (action < len(_MOVES)), action, NOOP)
        dest = self.agent + _MOVES[action]
        # A move into a wall (what the mask forbids) leaves the agent where it was.
        self.agent = np.where(_WALLS[self.grid_size, dest], self.agent, dest)

        on_plus = self.agent == self.plus
        done = on_plus | (self.agent == self.ex)
        reward = np.full(n, STEP_REWARD, dtype=np.float32)
        if done.any():
            right = on_plus == (self.target == PLUS)
            reward[done] = np.where(right[done], 1.0, -1.0)
            for value in right[done].tolist():
                self.stats.add(GOAL_STAT, float(value), StatsAggregationMethod.AVERAGE)
        return {BEHAVIOR_ID: Transition(reward=reward, done=done, set_reward=done)}

    def _draw(self, rows: np.ndarray, tiles: np.ndarray) -> np.ndarray:
        """The images of the agents at rows, drawn with tiles (one per kind of cell)."""
        k = len(rows)
        kinds = np.where(_WALLS[self.grid_size[rows]], _WALL, _EMPTY).astype(np.intp)
        index = np.arange(k)
        kinds[index, self.plus[rows]] = _PLUS
        kinds[index, self.ex[rows]] = _EX
        kinds[index, self.agent[rows]] = _AGENT
        # One gather of (k, 7, 7, 6, 6, 3) pixels, then cell rows and pixel rows interleaved.
        pixels = tiles[kinds.reshape(k, FRAME, FRAME)]
        return pixels.transpose(0, 1, 3, 2, 4, 5).reshape(k, IMAGE_SIZE, IMAGE_SIZE, 3)

    def render(self, rows: np.ndarray) -> np.ndarray:
        """The camera images of the agents at rows, (len(rows), 42, 42, 3) uint8."""
        return self._draw(np.asarray(rows, dtype=np.int64), _TILES)

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        return [self._draw(rows, _TILES_FLOAT), _GOAL_SIGNALS[self.target[rows]]]

    def action_masks(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        dest = self.agent[rows, None] + _MOVES[None, :]
        return [_WALLS[self.grid_size[rows, None], dest]]
