"""Cooperative Push Block: a group of agents pushes blocks into a goal zone together
(ML-Agents' Cooperative Push Block, on a grid, in numpy)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from functools import lru_cache
from itertools import permutations

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import check_behavior, discrete_actions, vector_observation

BEHAVIOR_NAME = "PushBlock"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)
STAT_DELIVERED = "PushBlock/Blocks delivered"

#: Side of the square grid of an area, in cells.
GRID = 8
#: The goal zone: the top row. A block whose top edge reaches it is delivered.
GOAL_ROW = GRID - 1
AGENTS_PER_AREA = 3
#: Block k of an area is a square of side BLOCK_SIZES[k]; moving it takes that many agents.
BLOCK_SIZES = (1, 2, 3)
BLOCKS_PER_AREA = len(BLOCK_SIZES)
MAX_STEP = 500
#: Own position (2), the other two agents' relative positions (4), per block its relative
#: center and whether it was delivered (3 x 3).
OBS_SIZE = 2 + 2 * (AGENTS_PER_AREA - 1) + 3 * BLOCKS_PER_AREA
#: The grid sensor sees the cells at most this far from the agent along each axis.
VIEW = 3
VIEW_SIDE = 2 * VIEW + 1
#: Channels of a grid-sensor cell: off the grid (wall), goal row, block of side 1, 2, 3,
#: another agent.
GRID_CHANNELS = 6
GRID_OBS_SIZE = VIEW_SIDE * VIEW_SIDE * GRID_CHANNELS

#: Actions of the one branch: stay, up (towards the goal), down, left, right.
STAY, UP, DOWN, LEFT, RIGHT = range(5)
_DX = np.array([0, 0, 0, -1, 1], dtype=np.int64)
_DY = np.array([0, 1, -1, 0, 0], dtype=np.int64)
_MOVES = np.arange(1, 5)
_VIEW_OFFSETS = np.arange(-VIEW, VIEW + 1, dtype=np.int64)

_SIZES = np.array(BLOCK_SIZES, dtype=np.int64)
_HALF = (_SIZES - 1) / 2.0
#: Per agent of an area (its index in the area), the indices of the other two.
_OTHERS = np.array([[1, 2], [0, 2], [0, 1]], dtype=np.int64)
_NOT_SELF = ~np.eye(3, dtype=bool)
# Cell offsets of the largest block, and which of them each block size covers.
_OFF_X = np.tile(np.arange(3), 3)
_OFF_Y = np.repeat(np.arange(3), 3)
_COVERS = (_OFF_X[None, :] < _SIZES[:, None]) & (_OFF_Y[None, :] < _SIZES[:, None])


def _overlap(
    ax: np.ndarray,
    ay: np.ndarray,
    asize: np.ndarray | int,
    bx: np.ndarray,
    by: np.ndarray,
    bsize: np.ndarray,
) -> np.ndarray:
    """Whether squares (corner x, corner y, side) a and b share a cell; broadcasts."""
    return (ax < bx + bsize) & (bx < ax + asize) & (ay < by + bsize) & (by < ay + asize)


# --------------------------------------------------------------------------------------
# The scripted policy.


def _bfs(start: tuple[int, int], walls: frozenset[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Steps from start to every cell reachable without entering walls (start may be one)."""
    dist = {start: 0}
    queue = deque([start])
    while queue:
        x, y = queue.popleft()
        d = dist[(x, y)] + 1
        for nx, ny in ((x, y + 1), (x, y - 1), (x - 1, y), (x + 1, y)):
            cell = (nx, ny)
            if 0 <= nx < GRID and 0 <= ny < GRID and cell not in walls and cell not in dist:
                dist[cell] = d
                queue.append(cell)
    return dist


def _step_towards(
    agent: tuple[int, int],
    target: tuple[int, int],
    blocks: frozenset[tuple[int, int]],
    others: frozenset[tuple[int, int]],
    claimed: frozenset[tuple[int, int]],
) -> int:
    """The first move of a shortest path from agent to target around the blocks and the
    cells other agents move into this tick; around the other agents too when such a path
    exists (otherwise the agent walks up to them and waits for them to leave)."""
    if agent == target:
        return STAY
    for walls in (blocks | others, blocks):
        # An agent on the target is waited for; a cell claimed this tick is not entered.
        dist = _bfs(target, ((walls - {target}) | claimed) - {agent})
        here = dist.get(agent)
        if here is None:
            continue
        for action in (UP, DOWN, LEFT, RIGHT):
            cell = (agent[0] + int(_DX[action]), agent[1] + int(_DY[action]))
            if dist.get(cell) == here - 1 and cell not in claimed:
                return action
    return STAY


@lru_cache(maxsize=4096)
def _plan(
    agents: tuple[tuple[int, int], ...], blocks: tuple[tuple[int, int, int], ...]
) -> dict[tuple[int, int], int]:
    """The move of every agent of a group, from the group's state alone: agents sorted
    (x, y) cells, blocks (corner x, corner y, size) of those not yet delivered.

    Every agent of a group computes the same plan from its own observation, so they agree
    without talking. Agents stand in the cells right below a block (its "slots") and push
    it up; the blocks worked on first, and who takes which slot, are those that make the
    walking shortest. Agents left without a slot wait in the bottom row, out of the way.
    """
    block_cells = frozenset(
        (x + i, y + j) for x, y, s in blocks for i in range(s) for j in range(s)
    )
    # A block in the bottom row cannot be pushed up: nobody fits below it.
    pushable = [b for b in blocks if b[1] >= 1]
    if not pushable:
        return dict.fromkeys(agents, STAY)
    dist = [_bfs(a, block_cells) for a in agents]
    far = 10 * GRID * GRID
    best: tuple[int, list[tuple[int, int] | None]] | None = None
    for order in permutations(pushable):
        slots = [(x + i, y - 1) for x, y, s in order for i in range(s)][: len(agents)]
        for perm in permutations(range(len(agents)), len(slots)):
            cost = sum(dist[a].get(slot, far) for a, slot in zip(perm, slots))
            if best is None or cost < best[0]:
                best = (cost, [slots[perm.index(a)] if a in perm else None for a in range(3)])
    assert best is not None
    targets = best[1]
    # Idle agents park in the bottom row, away from every block's columns.
    columns = {x + i for x, _, s in blocks for i in range(s)}
    parking = [(x, 0) for x in range(GRID) if x not in columns and (x, 0) not in targets]
    for a, target in enumerate(targets):
        if target is None and parking:
            spot = min(parking, key=lambda cell, a=a: dist[a].get(cell, far))
            parking.remove(spot)
            targets[a] = spot
    plan = {}
    # Cells agents move into, so that two agents never head for the same cell (both would
    # stay, and meet again next tick).
    claimed: set[tuple[int, int]] = set()
    for a, (agent, target) in enumerate(zip(agents, targets)):
        move = STAY
        if target is not None:
            if agent == target and (target[0], target[1] + 1) in block_cells:
                move = UP  # in its slot: push
            else:
                others = frozenset(agents[:a] + agents[a + 1 :])
                move = _step_towards(agent, target, block_cells, others, frozenset(claimed))
        plan[agent] = move
        claimed.add((agent[0] + int(_DX[move]), agent[1] + int(_DY[move])))
    return plan


def push_planner(obs: np.ndarray, *_: np.ndarray) -> np.ndarray:
    """Scripted moves for Cooperative Push Block: (n, 15) observations to (n, 1) actions
    (the grid sensor's observation, if given, is not needed).

    Each row is decided from that agent's vector observation alone (which holds its whole
    group's state): agents gather in the cells right below a block and push it up into the goal,
    choosing blocks and cells that keep the walking short.
    """
    obs = np.asarray(obs, dtype=np.float64)
    cells = obs * GRID
    actions = np.zeros((len(obs), 1), dtype=np.int32)
    for i, row in enumerate(cells):
        own = (round(row[0]), round(row[1]))
        agents = [own] + [(own[0] + round(row[k]), own[1] + round(row[k + 1])) for k in (2, 4)]
        blocks = tuple(
            (
                own[0] + round(row[6 + 3 * b] - _HALF[b]),
                own[1] + round(row[7 + 3 * b] - _HALF[b]),
                size,
            )
            for b, size in enumerate(BLOCK_SIZES)
            if obs[i, 8 + 3 * b] < 0.5
        )
        actions[i, 0] = _plan(tuple(sorted(agents)), blocks)[own]
    return actions


# --------------------------------------------------------------------------------------
# The environment.


class CooperativePushBlock(Simulation):
    """Cooperative Push Block: groups of 3 agents push blocks into a goal zone, together.

    Behaviors: one, "PushBlock", with 3 agents per area, times num_areas. The agents of an
    area form one group (group id = area index + 1, so areas never share an id). Agents
    decide every tick; episodes last at most 500 ticks and end for the whole group at
    once: all three agents are done on the same tick, or interrupted on the same tick.

    The scene of an area: an 8 x 8 grid whose top row (y = 7) is the goal zone; 3 agents,
    one per cell; 3 square blocks of side 1, 2 and 3. Moving a block of side s takes s
    agents pushing together: standing next to it on the same side and moving towards it
    on the same tick. A push moves the block one cell unless the block would leave the
    grid, cover another block or an agent, or meet another block moving on that tick. The
    pushers then step into the cells it left. An agent's move fails (it stays) when the
    cell is off the grid, in a block (after the blocks moved), held by another agent, or
    chosen by another agent too. A block whose top edge reaches the goal row is delivered
    and disappears. Episodes begin with the blocks in separate columns, their top edges at
    least two rows below the goal row and their bottom edges above the bottom row, and the
    agents in random free cells below the goal row.

    Observations: two vectors. "VectorSensor", 15 floats in cells / 8: the agent's position
    (x, y); the other two agents' positions relative to it (dx, dy each, in a fixed order:
    the area's other agents by index); per block (side 1, 2, 3) its center relative to the
    agent (dx, dy) and 1 if it was delivered (then dx = dy = 0), else 0. "GridSensor", 294
    floats of 0 or 1 (as upstream's agents see their area through a grid sensor): the 7 x 7
    cells centered on the agent (dy, then dx, from -3 to 3), 6 channels each: off the grid,
    in the goal row, covered by the block of side 1, 2 or 3, held by another agent.

    Actions: 1 discrete branch of 5: stay, up (+y, towards the goal), down, left, right.

    Rewards: individual rewards are always 0; the group reward (the same for the three
    agents) is -1/500 per tick (a time penalty) plus s when a block of side s is
    delivered. The episode ends (done) when all three blocks are delivered.

    Environment parameters: none.

    Statistics: "PushBlock/Blocks delivered" (AVERAGE): blocks delivered in an episode,
    sent when the episode ends (done or interrupted), once per group.

    Benchmark: a group that delivers all blocks gets 6 minus its time penalty: 5.9 or more
    per episode. The scripted `push_planner` reaches 5.94 (every episode solved, in about 28
    ticks); random moves average about -0.7 (the block of side 1 delivered in about 3
    episodes of 10, the others hardly ever).
    """

    def __init__(self, seed: int = 0, num_areas: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = AGENTS_PER_AREA * num_areas
        spec = BehaviorSpec(
            [
                vector_observation(OBS_SIZE, "VectorSensor"),
                vector_observation(GRID_OBS_SIZE, "GridSensor"),
            ],
            ActionSpec.create_discrete((5,)),
        )
        self.behaviors = [
            BehaviorDef(BEHAVIOR_NAME, spec, n, max_step=MAX_STEP, compressed=(False, False))
        ]
        self.n_agents = n
        m = BLOCKS_PER_AREA * num_areas
        # The state. Agents stay in these placeholder cells until reset_agents begins their
        # first episode. Blocks are addressed by their lower-left cell.
        self.agent_x = np.tile(np.arange(AGENTS_PER_AREA, dtype=np.int64), num_areas)
        self.agent_y = np.zeros(n, dtype=np.int64)
        self.block_x = np.tile(np.array([0, 2, 5], dtype=np.int64), num_areas)
        self.block_y = np.ones(m, dtype=np.int64)
        self.block_size = np.tile(_SIZES, num_areas)
        self.block_alive = np.ones(m, dtype=bool)
        #: Ticks of each area's current episode.
        self.episode_steps = np.zeros(num_areas, dtype=np.int64)
        self._groups = np.repeat(np.arange(1, num_areas + 1, dtype=np.int32), AGENTS_PER_AREA)

    def group_ids(self, behavior: str) -> np.ndarray:
        check_behavior(self, behavior)
        return self._groups.copy()

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        """Begin a new episode for the areas of rows. A group's episode always ends for all
        its agents at once, so rows holds whole groups; the whole area restarts."""
        check_behavior(self, behavior)
        areas = np.unique(np.asarray(rows, dtype=np.int64) // AGENTS_PER_AREA)
        k = len(areas)
        if not k:
            return
        # Blocks side by side in a random order with the spare columns as random gaps, so
        # that pushing every block straight up delivers all of them.
        order = np.argsort(self.rng.random((k, BLOCKS_PER_AREA)), axis=1)
        spare = GRID - int(_SIZES.sum())
        gaps = self.rng.multinomial(spare, np.full(BLOCKS_PER_AREA + 1, 0.25), size=k)
        widths = _SIZES[order]
        left = np.cumsum(gaps[:, :BLOCKS_PER_AREA], axis=1) + np.cumsum(widths, axis=1) - widths
        x = np.empty((k, BLOCKS_PER_AREA), dtype=np.int64)
        np.put_along_axis(x, order, left, axis=1)
        # Bottom edge at y >= 1 (room to push from below), top edge at y <= GOAL_ROW - 2.
        y = self.rng.integers(1, GOAL_ROW - _SIZES, size=(k, BLOCKS_PER_AREA))
        blocks = (areas[:, None] * BLOCKS_PER_AREA + np.arange(BLOCKS_PER_AREA)).ravel()
        self.block_x[blocks] = x.ravel()
        self.block_y[blocks] = y.ravel()
        self.block_alive[blocks] = True

        # Agents: three distinct random cells free of blocks, below the goal row.
        taken = np.zeros((k, GRID * GRID), dtype=bool)
        taken[:, GOAL_ROW * GRID :] = True
        cells = (y[:, :, None] + _OFF_Y) * GRID + x[:, :, None] + _OFF_X  # (k, blocks, 9)
        area_index = np.broadcast_to(np.arange(k)[:, None, None], cells.shape)
        covered = np.broadcast_to(_COVERS, cells.shape)
        taken[area_index[covered], cells[covered]] = True
        keys = self.rng.random((k, GRID * GRID))
        keys[taken] = 2.0
        chosen = np.argsort(keys, axis=1)[:, :AGENTS_PER_AREA]
        agents = (areas[:, None] * AGENTS_PER_AREA + np.arange(AGENTS_PER_AREA)).ravel()
        self.agent_x[agents] = (chosen % GRID).ravel()
        self.agent_y[agents] = (chosen // GRID).ravel()
        self.episode_steps[areas] = 0

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n, areas = self.n_agents, self.num_areas
        action = discrete_actions(actions, BEHAVIOR_ID, n).astype(np.int64)
        if not ((action >= 0) & (action < 5)).all():
            raise ValueError(f"{BEHAVIOR_ID} actions must be in [0, 5), got {action}.")
        ax, ay = self.agent_x, self.agent_y
        tx, ty = ax + _DX[action], ay + _DY[action]

        # Shapes below: (area, agent, 1) against (area, 1, block), or block against block.
        shape_a, shape_b = (areas, AGENTS_PER_AREA, 1), (areas, 1, BLOCKS_PER_AREA)
        bx, by, size = self.block_x, self.block_y, self.block_size
        alive = self.block_alive
        bx_b, by_b, size_b = bx.reshape(shape_b), by.reshape(shape_b), size.reshape(shape_b)
        alive_b = alive.reshape(shape_b)
        tx_a, ty_a = tx.reshape(shape_a), ty.reshape(shape_a)
        # An agent that steps into a block's cell pushes it (agents are never inside one).
        pushes = alive_b & _overlap(tx_a, ty_a, 1, bx_b, by_b, size_b)
        heading = action.reshape(shape_a) == _MOVES  # (area, agent, direction)
        count = (pushes[:, :, :, None] & heading[:, :, None, :]).sum(axis=1)
        enough = count >= size.reshape(areas, BLOCKS_PER_AREA, 1)
        # A small block pushed enough from two sides stays put.
        moved = enough.sum(axis=2).ravel() == 1
        direction = enough.argmax(axis=2).ravel() + 1
        nbx = bx + np.where(moved, _DX[direction], 0)
        nby = by + np.where(moved, _DY[direction], 0)
        ok = moved & (nbx >= 0) & (nbx + size <= GRID) & (nby >= 0) & (nby + size <= GRID)
        nbx_a = nbx.reshape(areas, BLOCKS_PER_AREA, 1)
        nby_a = nby.reshape(areas, BLOCKS_PER_AREA, 1)
        size_a = size.reshape(areas, BLOCKS_PER_AREA, 1)
        others = _NOT_SELF & alive_b
        into_block = others & _overlap(nbx_a, nby_a, size_a, bx_b, by_b, size_b)
        meeting = (
            others
            & moved.reshape(shape_b)
            & _overlap(nbx_a, nby_a, size_a, nbx.reshape(shape_b), nby.reshape(shape_b), size_b)
        )
        onto_agent = _overlap(
            ax.reshape(shape_a),
            ay.reshape(shape_a),
            1,
            nbx.reshape(shape_b),
            nby.reshape(shape_b),
            size_b,
        )
        ok &= ~(into_block | meeting).any(axis=2).ravel() & ~onto_agent.any(axis=1).ravel()
        bx = self.block_x = np.where(ok, nbx, bx)
        by = self.block_y = np.where(ok, nby, by)
        delivered = alive & (by + size > GOAL_ROW)
        alive = self.block_alive = alive & ~delivered

        # Agents move into cells the blocks do not hold now, and no other agent holds or
        # wants. Cells are compared by code; tx, ty lie in [-1, GRID], hence GRID + 2.
        inside = (tx >= 0) & (tx < GRID) & (ty >= 0) & (ty < GRID)
        blocked = (
            alive.reshape(shape_b)
            & _overlap(tx_a, ty_a, 1, bx.reshape(shape_b), by.reshape(shape_b), size_b)
        ).any(axis=2)
        target = ((ty + 1) * (GRID + 2) + tx + 1).reshape(areas, AGENTS_PER_AREA)
        current = ((ay + 1) * (GRID + 2) + ax + 1).reshape(areas, AGENTS_PER_AREA)
        clash = _NOT_SELF & (
            (target[:, :, None] == current[:, None, :]) | (target[:, :, None] == target[:, None, :])
        )
        go = inside & ~blocked.ravel() & ~clash.any(axis=2).ravel()
        self.agent_x = np.where(go, tx, ax)
        self.agent_y = np.where(go, ty, ay)

        self.episode_steps += 1
        gained = (size * delivered).reshape(areas, BLOCKS_PER_AREA).sum(axis=1)
        remaining = alive.reshape(areas, BLOCKS_PER_AREA).sum(axis=1)
        finished = remaining == 0
        ended = finished | (self.episode_steps >= MAX_STEP)
        if ended.any():
            for left in remaining[ended].tolist():
                self.stats.add(
                    STAT_DELIVERED, BLOCKS_PER_AREA - left, StatsAggregationMethod.AVERAGE
                )
        group_reward = np.repeat(gained - 1.0 / MAX_STEP, AGENTS_PER_AREA).astype(np.float32)
        return {
            BEHAVIOR_ID: Transition(
                reward=np.zeros(n, dtype=np.float32),
                done=np.repeat(finished, AGENTS_PER_AREA),
                group_reward=group_reward,
            )
        }

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        area = rows // AGENTS_PER_AREA
        own_x, own_y = self.agent_x[rows], self.agent_y[rows]
        others = area[:, None] * AGENTS_PER_AREA + _OTHERS[rows % AGENTS_PER_AREA]
        blocks = area[:, None] * BLOCKS_PER_AREA + np.arange(BLOCKS_PER_AREA)
        alive = self.block_alive[blocks]
        obs = np.empty((len(rows), OBS_SIZE), dtype=np.float64)
        obs[:, 0] = own_x
        obs[:, 1] = own_y
        obs[:, 2:6:2] = self.agent_x[others] - own_x[:, None]
        obs[:, 3:6:2] = self.agent_y[others] - own_y[:, None]
        obs[:, 6::3] = np.where(alive, self.block_x[blocks] + _HALF - own_x[:, None], 0.0)
        obs[:, 7::3] = np.where(alive, self.block_y[blocks] + _HALF - own_y[:, None], 0.0)
        # Multiples of 1/16 (half cells over 8): exact in float32.
        obs /= GRID
        obs[:, 8::3] = ~alive
        return [obs.astype(np.float32), self._grid_sensor(rows, others, blocks)]

    def _grid_sensor(self, rows: np.ndarray, others: np.ndarray, blocks: np.ndarray) -> np.ndarray:
        """One-hot channels of the cells around each agent of rows, (row, dy, dx, channel)
        flattened, dy and dx from -VIEW to VIEW."""
        # (row, dy, dx) cell coordinates, then (row, dy, dx, block or agent) comparisons.
        x = self.agent_x[rows][:, None, None] + _VIEW_OFFSETS[None, None, :]
        y = self.agent_y[rows][:, None, None] + _VIEW_OFFSETS[None, :, None]
        cells = np.zeros((len(rows), VIEW_SIDE, VIEW_SIDE, GRID_CHANNELS), dtype=np.float32)
        cells[..., 0] = (x < 0) | (x >= GRID) | (y < 0) | (y >= GRID)
        cells[..., 1] = (y == GOAL_ROW) & (x >= 0) & (x < GRID)
        bx, by = self.block_x[blocks][:, None, None, :], self.block_y[blocks][:, None, None, :]
        size = self.block_size[blocks][:, None, None, :]
        covered = _overlap(x[..., None], y[..., None], 1, bx, by, size)
        cells[..., 2:5] = covered & self.block_alive[blocks][:, None, None, :]
        ox, oy = self.agent_x[others][:, None, None, :], self.agent_y[others][:, None, None, :]
        cells[..., 5] = ((x[..., None] == ox) & (y[..., None] == oy)).any(axis=3)
        return cells.reshape(len(rows), GRID_OBS_SIZE)
