"""Basic and Hybrid: two small environments for smoke-testing trainers.

`Basic` is ML-Agents' Basic example (a walk along a line between a near, small goal and a
far, large one) in numpy. `Hybrid` is a point-reaching task whose agents need continuous
and discrete actions together (a move and a boost), to exercise hybrid action specs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import agent_count, check_behavior, discrete_actions, vector_observation

# --- Basic -------------------------------------------------------------------------------

BASIC_BEHAVIOR = "Basic"
BASIC_ID = behavior_id(BASIC_BEHAVIOR)
#: Positions are 0..BASIC_EXTENT-1; the observation is a one-hot over them.
BASIC_EXTENT = 20
BASIC_START = 10
SMALL_GOAL = 7
LARGE_GOAL = 17
SMALL_GOAL_REWARD = 0.1
LARGE_GOAL_REWARD = 1.0
BASIC_STEP_REWARD = -0.01
BASIC_MAX_STEP = 100
#: Discrete actions of Basic's single branch, in ML-Agents' order.
STAY, LEFT, RIGHT = 0, 1, 2

# --- Hybrid ------------------------------------------------------------------------------

HYBRID_BEHAVIOR = "Hybrid"
HYBRID_ID = behavior_id(HYBRID_BEHAVIOR)
#: Distance moved per tick along each axis by an action of 1 without boost.
HYBRID_SPEED = 0.1
#: How much a boost multiplies the move.
BOOST_FACTOR = 2.0
#: An agent closer than this to its target has reached it.
TARGET_RADIUS = 0.1
#: Agents start at least this far from their target, so every episode is a real trip.
MIN_START_DISTANCE = 0.5
HYBRID_STEP_REWARD = -0.01
BOOST_COST = -0.005
TARGET_REWARD = 1.0
HYBRID_MAX_STEP = 200


def basic_heuristic(obs: np.ndarray) -> np.ndarray:
    """Walk to the large goal: (n, 20) Basic observations to (n, 1) discrete actions.

    It pays more than the small goal wherever an agent starts between the goals; from left
    of the small goal no path avoids the small one, so walking right is best there too.
    Only agents started right of the large goal (by `start_position`) walk left.
    """
    position = np.argmax(obs, axis=1)
    return np.where(position > LARGE_GOAL, LEFT, RIGHT).astype(np.int32)[:, None]


def hybrid_heuristic(obs: np.ndarray) -> ActionTuple:
    """Head straight for the target, boosting while it is far, landing on it unboosted.

    (n, 4) Hybrid observations to actions. While the target is more than two plain moves
    away along an axis, a boost covers the distance more cheaply; closer, plain moves
    cost less and only they can take the target. The continuous move is the offset to the
    target scaled to the move's reach, so the last (plain) move lands on it.
    """
    obs = np.asarray(obs, dtype=np.float64)
    dx = obs[:, 2] - obs[:, 0]
    dy = obs[:, 3] - obs[:, 1]
    boost = np.maximum(np.abs(dx), np.abs(dy)) > BOOST_FACTOR * HYBRID_SPEED
    reach = HYBRID_SPEED * np.where(boost, BOOST_FACTOR, 1.0)
    move = np.clip(np.stack([dx / reach, dy / reach], axis=1), -1.0, 1.0)
    return ActionTuple(continuous=move.astype(np.float32), discrete=boost.astype(np.int32)[:, None])


class Basic(Simulation):
    """Basic: each agent walks along a line of 20 cells to one of two goals.

    Behaviors: one, "Basic", with `agents_per_area` (1) agent per area, times num_areas.
    Agents decide every tick; episodes are interrupted after 100 ticks; rewards add up.

    Observation: one vector of 20 floats, "OneHotPosition": 1 at the agent's position
    (0..19), 0 elsewhere (ML-Agents names this sensor "Basic").

    Actions: 1 discrete branch of 3, in ML-Agents' order: 0 = stay, 1 = step left, 2 = step
    right (any other value stays). Positions are clipped to 0..19.

    Rewards: -0.01 every tick; in addition, ending a tick on position 7 (the small goal)
    gives +0.1 and ending it on position 17 (the large goal) gives +1; either ends the
    episode. Agents start at position 10.

    Environment parameters, read per agent when its episode begins: `start_position` (10),
    rounded and clipped to 0..19 (a start on a goal ends the episode on the first tick).

    Statistics: "Basic/Goal" (AVERAGE) for every goal reached: 1 for the large goal, 0 for
    the small one, so its average is the share of episodes that found the large goal.

    Benchmark: walking right reaches the large goal in 7 ticks, 7 * -0.01 + 1 = 0.93 per
    episode, the most any policy can get from the default start; walking left reaches the
    small goal for 0.07.
    """

    def __init__(self, seed: int = 0, num_areas: int = 1, agents_per_area: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = agent_count(agents_per_area, num_areas)
        spec = BehaviorSpec(
            [vector_observation(BASIC_EXTENT, "OneHotPosition")], ActionSpec.create_discrete((3,))
        )
        self.behaviors = [
            BehaviorDef(BASIC_BEHAVIOR, spec, n, max_step=BASIC_MAX_STEP, compressed=(False,))
        ]
        self.n_agents = n
        self.position = np.full(n, BASIC_START, dtype=np.int64)
        # Maps an action to its move; index 3 catches every out-of-range action (stay).
        self._moves = np.array([0, -1, 1, 0], dtype=np.int64)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        # One read per agent, so that a sampler gives every episode its own value.
        starts = [self.parameters.get("start_position", float(BASIC_START)) for _ in rows]
        start = np.asarray(starts, dtype=np.float64)
        start = np.where(np.isfinite(start), start, BASIC_START)
        self.position[rows] = np.clip(np.rint(start), 0, BASIC_EXTENT - 1).astype(np.int64)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        action = discrete_actions(actions, BASIC_ID, self.n_agents).astype(np.int64)
        action = np.where((action >= 0) & (action <= 2), action, 3)
        self.position = np.clip(self.position + self._moves[action], 0, BASIC_EXTENT - 1)
        small = self.position == SMALL_GOAL
        large = self.position == LARGE_GOAL
        done = small | large
        reward = (BASIC_STEP_REWARD + SMALL_GOAL_REWARD * small + LARGE_GOAL_REWARD * large).astype(
            np.float32
        )
        if done.any():
            for value in large[done].tolist():
                self.stats.add("Basic/Goal", float(value), StatsAggregationMethod.AVERAGE)
        return {BASIC_ID: Transition(reward=reward, done=done)}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        obs = np.zeros((len(rows), BASIC_EXTENT), dtype=np.float32)
        obs[np.arange(len(rows)), self.position[rows]] = 1.0
        return [obs]


class Hybrid(Simulation):
    """Hybrid: each agent moves on a square to a target, with a move and a boost.

    Behaviors: one, "Hybrid", with `agents_per_area` (4) agents per area, times num_areas;
    each agent has its own square and target (agents do not meet). Agents decide every
    tick; episodes are interrupted after 200 ticks; rewards add up.

    Observation: one vector of 4 floats, "PositionAndTarget": the agent's x, y and its
    target's x, y, all in [-1, 1].

    Actions (hybrid): 2 continuous, each clipped to [-1, 1] (NaN counts as 0): the move
    along x and y, 0.1 per tick for an action of 1; and 1 discrete branch of 2, the boost:
    1 doubles this tick's move, 0 (or any other value) does not. Positions are clipped to
    the square [-1, 1]^2.

    Rewards: -0.01 every tick, -0.005 more on every boosted tick, and +1 when the agent ends
    an unboosted tick closer than 0.1 to its target, which ends the episode; a boosting
    agent flies over its target without taking it. A boost covers twice the distance for
    1.5 times the cost, so it pays while the target is far, and must be off for the last
    move. Both action kinds matter: the move finds the target; the boost makes the trip
    cheap, and the policy has to learn when to release it (always boosting never scores).

    Episodes begin with the agent and its target uniform on the square, at least 0.5
    apart.

    Environment parameters: none. Statistics: none.

    Benchmark: about 0.92 per episode, what `hybrid_heuristic` reaches (a few boosted
    ticks, then plain moves onto the target); never boosting gives about 0.90, always
    boosting -3 (every episode interrupted), random actions about -2.
    """

    def __init__(self, seed: int = 0, num_areas: int = 1, agents_per_area: int = 4) -> None:
        super().__init__(seed, num_areas)
        n = agent_count(agents_per_area, num_areas)
        spec = BehaviorSpec(
            [vector_observation(4, "PositionAndTarget")], ActionSpec.create_hybrid(2, (2,))
        )
        self.behaviors = [
            BehaviorDef(HYBRID_BEHAVIOR, spec, n, max_step=HYBRID_MAX_STEP, compressed=(False,))
        ]
        self.n_agents = n
        # Agents wait at the center, on their targets, until reset_agents starts them.
        self.x = np.zeros(n)
        self.y = np.zeros(n)
        self.target_x = np.zeros(n)
        self.target_y = np.zeros(n)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        start = self.rng.uniform(-1.0, 1.0, (4, len(rows)))
        # Redraw the targets that came too close; a handful of rounds at most.
        close = np.hypot(start[2] - start[0], start[3] - start[1]) < MIN_START_DISTANCE
        while close.any():
            start[2:, close] = self.rng.uniform(-1.0, 1.0, (2, int(close.sum())))
            close = np.hypot(start[2] - start[0], start[3] - start[1]) < MIN_START_DISTANCE
        self.x[rows], self.y[rows], self.target_x[rows], self.target_y[rows] = start

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n = self.n_agents
        action = actions[HYBRID_ID]
        continuous = np.asarray(action.continuous, dtype=np.float64)
        discrete = np.asarray(action.discrete)
        if continuous.shape != (n, 2) or discrete.shape != (n, 1):
            raise ValueError(
                f"{HYBRID_ID} expects continuous actions of shape ({n}, 2) and "
                f"discrete of shape ({n}, 1), got {continuous.shape} and {discrete.shape}."
            )
        move = np.clip(continuous, -1.0, 1.0)
        move[np.isnan(move)] = 0.0
        boost = discrete[:, 0] == 1
        reach = HYBRID_SPEED * np.where(boost, BOOST_FACTOR, 1.0)
        self.x = np.clip(self.x + reach * move[:, 0], -1.0, 1.0)
        self.y = np.clip(self.y + reach * move[:, 1], -1.0, 1.0)
        near = np.hypot(self.target_x - self.x, self.target_y - self.y) < TARGET_RADIUS
        reached = near & ~boost
        reward = (HYBRID_STEP_REWARD + BOOST_COST * boost + TARGET_REWARD * reached).astype(
            np.float32
        )
        return {HYBRID_ID: Transition(reward=reward, done=reached)}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        obs = np.stack(
            [self.x[rows], self.y[rows], self.target_x[rows], self.target_y[rows]], axis=1
        )
        return [obs.astype(np.float32)]
