"""VisualHallway: remember a cue seen in stacked frames and walk to the matching end of a
corridor (ML-Agents' Hallway and VisualHallway, as a 1-D corridor in numpy)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_envs.side_channel.stats_side_channel import StatsAggregationMethod
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import (
    agent_count,
    channels_last,
    check_behavior,
    discrete_actions,
    image_observation,
)

BEHAVIOR_NAME = "VisualHallway"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)
#: The statistic sent each time an agent reaches a goal: 1 if it was the correct one, else 0.
CORRECT_STAT = "VisualHallway/Correct"

#: Cells of the corridor; the two ends are the goals, the agent starts in the middle.
CELLS = 9
LEFT_GOAL, START, RIGHT_GOAL = 0, CELLS // 2, CELLS - 1
#: Frames stacked along the channels of the observation, oldest first.
STACK = 4
#: Pixels per cell along the corridor, and the image size.
CELL_WIDTH = 4
HEIGHT, WIDTH = 12, CELLS * CELL_WIDTH
#: Rows of the strip above the corridor where the cue shows, and of the agent's block.
CUE_ROWS = slice(0, 4)
CORRIDOR_ROWS = slice(4, HEIGHT)
AGENT_ROWS = slice(6, 10)
#: The cue hangs over the three middle cells.
CUE_COLUMNS = slice(3 * CELL_WIDTH, 6 * CELL_WIDTH)

#: Actions of the single branch.
STAY, LEFT, RIGHT = 0, 1, 2
#: Cue colors (0 = no cue drawn): red means the left goal is correct, green the right one.
NO_CUE, RED, GREEN = 0, 1, 2

STEP_REWARD = -0.0025
GOAL_REWARD = 1.0
MAX_STEP = 60
DEFAULT_CUE_TICKS = 2.0

#: Gray levels (0-255) of what a frame shows. All differ, so a pixel says what it is; red and
#: green are their luma. A frame from before the episode began is all BLANK, which no pixel
#: of a real frame is.
BLANK, WALL, FLOOR, CUE_RED, GOAL, CUE_GREEN, AGENT = 0, 32, 64, 76, 128, 150, 255
CUE_LEVELS = (WALL, CUE_RED, CUE_GREEN)

# The name ML-Agents gives a camera sensor wrapped by a stacking sensor of 4.
OBSERVATION_SPEC = image_observation(
    HEIGHT, WIDTH, STACK, f"StackingSensor_size{STACK}_CameraSensor"
)


def frame_id(position: np.ndarray, cue: np.ndarray) -> np.ndarray:
    """The index in FRAMES of the frame with the agent at position and cue (NO_CUE, RED or
    GREEN) shown; index 0 is the blank frame."""
    return 1 + position * 3 + cue


def _render_frames() -> np.ndarray:
    """Every frame there can be, (1 + CELLS * 3, HEIGHT, WIDTH) float32: the blank one, then
    per agent position each cue. Frames are so few that rendering them once makes an
    observation a single lookup."""
    frames = np.full((1 + CELLS * 3, HEIGHT, WIDTH), FLOOR, dtype=np.uint8)
    frames[0] = BLANK
    for position in range(CELLS):
        for cue in (NO_CUE, RED, GREEN):
            frame = frames[frame_id(position, cue)]
            frame[CUE_ROWS] = WALL
            frame[CUE_ROWS, CUE_COLUMNS] = CUE_LEVELS[cue]
            for goal in (LEFT_GOAL, RIGHT_GOAL):
                frame[CORRIDOR_ROWS, goal * CELL_WIDTH : (goal + 1) * CELL_WIDTH] = GOAL
            columns = slice(position * CELL_WIDTH, (position + 1) * CELL_WIDTH)
            frame[AGENT_ROWS, columns] = AGENT
    # Exact multiples of 1/255, computed as the PNG decoder computes them, so that an
    # observation survives the wire bit for bit.
    return frames.astype(np.float32) / np.float32(255)


#: All frames, indexed by frame_id (0 = blank).
FRAMES = _render_frames()


def hallway_heuristic(obs: np.ndarray) -> np.ndarray:
    """A policy from the observation alone: (n, 12, 36, 4) VisualHallway observations (or
    (n, 4, 12, 36), as the 3.x generation sends them) to (n, 1) discrete actions.

    Off the center, the agent's own position remembers which way it set out: keep going. At
    the center, look for the cue in any of the stacked frames and head for the goal it names
    (red: left, green: right); with no cue in sight, guess left rather than stay, since
    staying only ends in an interruption with the step penalties paid.
    """
    obs = channels_last(obs, OBSERVATION_SPEC.shape)
    levels = np.rint(np.asarray(obs, dtype=np.float32) * 255.0).astype(np.int32)
    # The agent's cell in the newest frame: where its block is in the agent rows.
    agent_row = levels[:, AGENT_ROWS.start, :, -1]
    position = np.argmax(agent_row == AGENT, axis=1) // CELL_WIDTH
    cue_pixels = levels[:, CUE_ROWS.start, CUE_COLUMNS.start, :]
    green = (cue_pixels == CUE_GREEN).any(axis=1)
    action = np.where(
        position < START,
        LEFT,
        np.where(position > START, RIGHT, np.where(green, RIGHT, LEFT)),
    )
    return action.astype(np.int32)[:, None]


class VisualHallway(Simulation):
    """VisualHallway: a memory task. Each agent sees a cue at the start of its episode and
    must walk to the end of its corridor that the cue names.

    Behaviors: one, "VisualHallway", with `agents_per_area` (1) agents per area (each agent
    has a corridor of its own), times num_areas. Agents decide every tick; episodes are
    interrupted after 60 ticks (max_step); rewards are added (Unity's AddReward).

    The scene: a corridor of 9 cells; the agent starts in the middle (cell 4); both ends
    (cells 0 and 8) are goals and look alike. A cue over the middle of the corridor is red
    or green (drawn at random per episode) during the first `cue_ticks` ticks of the episode
    (the frames of episode ticks 0 .. cue_ticks - 1, tick 0 being the frame the episode
    begins with), then gone. Red makes the left goal correct, green the right one.

    Observation: one image, "StackingSensor_size4_CameraSensor", of shape (12, 36, 4): the
    last 4 grayscale frames stacked along the channels, oldest first (channel 3 is the
    current frame); frames from before the episode began are blank (all 0). It is PNG
    compressed: with 4 channels it travels as 2 PNGs back to back with the channel mapping
    [0, 1, 2, 3, -1, -1]. Dimension properties: translational equivariance along height and
    width, none along channels. A frame is 12 x 36 pixels, 4 columns per cell, in gray
    levels (of 255): rows 0-3 are a wall (32) with the cue over cells 3-5 (red 76, green
    150) while it shows; rows 4-11 are the floor (64) with the goal cells (128) at both
    ends, and the agent is a white (255) block in rows 6-9 of its cell.

    Actions: 1 discrete branch of 3: 0 stays, 1 moves one cell left, 2 one cell right
    (any other value stays).

    Rewards: -0.0025 every tick; reaching the correct goal adds +1 and ends the episode,
    reaching the wrong one adds -1 and ends it. An agent that never reaches a goal is
    interrupted at 60 ticks with -0.15.

    Environment parameters, read per agent when its episode begins: `cue_ticks` (2.0), how
    many ticks the cue stays visible; 0 hides it, which leaves only guessing.

    Statistics: "VisualHallway/Correct" (AVERAGE), 1 or 0 each time an agent reaches a goal:
    the share of goals reached that were the correct one.

    Benchmark: the best possible is 0.99 per episode (4 ticks to the correct goal); a policy
    that reads the cue from its stacked frames (`hallway_heuristic`) reaches it, one that
    guesses gets about 0 and random actions less than 0.
    """

    def __init__(self, seed: int = 0, num_areas: int = 1, agents_per_area: int = 1) -> None:
        super().__init__(seed, num_areas)
        n = agent_count(agents_per_area, num_areas)
        spec = BehaviorSpec([OBSERVATION_SPEC], ActionSpec.create_discrete((3,)))
        self.behaviors = [
            BehaviorDef(BEHAVIOR_NAME, spec, n, max_step=MAX_STEP, compressed=(True,))
        ]
        self.n_agents = n
        # Agents stay here, unseen (blank frames), until reset_agents begins an episode.
        self.position = np.full(n, START, dtype=np.int64)
        #: The cue of each agent's episode, RED or GREEN.
        self.cue = np.full(n, RED, dtype=np.int64)
        #: Ticks since the episode began.
        self.episode_tick = np.zeros(n, dtype=np.int64)
        self.cue_ticks = np.full(n, DEFAULT_CUE_TICKS)
        #: The frames each agent has seen, as FRAMES indices, oldest first.
        self.history = np.zeros((n, STACK), dtype=np.int64)

    def _current_frames(self, rows: np.ndarray | slice) -> np.ndarray:
        shown = self.episode_tick[rows] < self.cue_ticks[rows]
        return frame_id(self.position[rows], np.where(shown, self.cue[rows], NO_CUE))

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        self.position[rows] = START
        self.episode_tick[rows] = 0
        self.cue[rows] = self.rng.integers(RED, GREEN + 1, len(rows))
        # One read per agent, so that a sampler gives every episode its own value.
        for row in rows.tolist():
            self.cue_ticks[row] = self.parameters.get("cue_ticks", DEFAULT_CUE_TICKS)
        self.history[rows] = 0
        self.history[rows, -1] = self._current_frames(rows)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        action = discrete_actions(actions, BEHAVIOR_ID, self.n_agents)
        move = (action == RIGHT).astype(np.int64) - (action == LEFT)
        self.position = np.clip(self.position + move, LEFT_GOAL, RIGHT_GOAL)
        self.episode_tick += 1
        at_left = self.position == LEFT_GOAL
        at_right = self.position == RIGHT_GOAL
        done = at_left | at_right
        correct = (at_left & (self.cue == RED)) | (at_right & (self.cue == GREEN))
        goal = np.where(correct, GOAL_REWARD, -GOAL_REWARD) * done
        reward = (STEP_REWARD + goal).astype(np.float32)
        # numpy copies overlapping slices before assigning, so this shifts by one frame.
        self.history[:, :-1] = self.history[:, 1:]
        self.history[:, -1] = self._current_frames(slice(None))
        # Few agents reach a goal on any one tick; the recorder takes one value per call.
        for value in correct[done].tolist():
            self.stats.add(CORRECT_STAT, float(value), StatsAggregationMethod.AVERAGE)
        return {BEHAVIOR_ID: Transition(reward=reward, done=done)}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        # (k, STACK, HEIGHT, WIDTH) frames to (k, HEIGHT, WIDTH, STACK) channels.
        stacked = FRAMES[self.history[rows]].transpose(0, 2, 3, 1)
        return [np.ascontiguousarray(stacked)]
