"""3DBall: agents tilt a platform to keep a ball on it (ML-Agents' Ball3DAgent, in numpy)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    BehaviorSpec,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
)
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition

BEHAVIOR_NAME = "3DBall"

#: Unity's fixed timestep: one tick of the simulation.
DT = 0.02
#: Half the side of the square platform (5 x 5).
PLATFORM_HALF_SIZE = 2.5
#: How deep under the platform's top a ball still counts as resting on it. The platform is a
#: slab, so a fast or small ball that sinks into it within one tick is put back on top
#: instead of passing through the plane.
PLATFORM_THICKNESS = 0.5
#: Gap between ball and plane within which the ball still rolls (absorbs rounding and the
#: small separations a tilting platform makes).
CONTACT_TOLERANCE = 1e-3
#: A solid sphere rolling without slipping accelerates at 5/7 of the slope's pull: the
#: rest of the pull spins it up.
ROLLING_FACTOR = 5.0 / 7.0
#: Rolling resistance: a deceleration of this times the normal force per unit mass.
ROLLING_RESISTANCE = 0.02
#: Air drag rate (1/s) of a ball of scale 1 and mass 1. The drag force grows with the ball's
#: cross-section (scale**2) and the deceleration it causes shrinks with mass: this is where
#: the ball's mass matters, as gravity alone accelerates every mass alike.
AIR_DRAG = 0.2
#: Smallest mass used, so that a zero or negative mass parameter cannot flip the drag.
MIN_MASS = 1e-6
#: Largest |rotation.z| (and |rotation.x|) up to which an action may tilt further, as in Unity.
ROTATION_LIMIT = 0.25
#: Degrees of rotation per tick for an action of 1.
DEGREES_PER_ACTION = 2.0

_UP = np.array([0.0, 1.0, 0.0])
_X, _Z = 0, 2


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton products a * b of (n, 4) quaternions stored as Unity stores them (x, y, z, w)."""
    ax, ay, az, aw = a.T
    bx, by, bz, bw = b.T
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=1,
    )


def _axis_quat(degrees: np.ndarray, axis: int) -> np.ndarray:
    """Unity's Quaternion.AngleAxis(degrees, unit axis) for every row."""
    half = np.radians(degrees) / 2.0
    q = np.zeros((len(degrees), 4))
    q[:, axis] = np.sin(half)
    q[:, 3] = np.cos(half)
    return q


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate the (n, 3) vectors v by the unit quaternions q (Unity's q * v)."""
    u, w = q[:, :3], q[:, 3:4]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def _rotate_inverse(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate v by the inverse of the unit quaternions q: world to platform coordinates."""
    return _rotate(q * np.array([-1.0, -1.0, -1.0, 1.0]), v)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def balance_heuristic(obs: np.ndarray) -> np.ndarray:
    """A PD controller that balances the ball: (n, 8) 3DBall observations to (n, 2) actions.

    It aims the platform's tilt at the one whose slope pulls the ball back to the center
    (proportional to the ball's offset) and against its velocity (damping), and turns the
    platform towards that tilt. Tilting about z by a positive angle raises the +x edge, and
    about x by a positive angle lowers the +z edge, hence the opposite signs. While the
    ball is still high above the platform it keeps the platform level, so the ball lands
    without sideways speed.
    """
    obs = np.asarray(obs, dtype=np.float64)
    rot_z, rot_x = obs[:, 0], obs[:, 1]
    x, y, z = obs[:, 2], obs[:, 3], obs[:, 4]
    vx, vz = obs[:, 5], obs[:, 7]
    kp, kd, max_tilt, gain = 0.1, 0.12, 0.12, 10.0
    airborne = y > 1.6
    target_z = np.where(airborne, 0.0, np.clip(kp * x + kd * vx, -max_tilt, max_tilt))
    target_x = np.where(airborne, 0.0, np.clip(-(kp * z + kd * vz), -max_tilt, max_tilt))
    actions = np.stack([gain * (target_z - rot_z), gain * (target_x - rot_x)], axis=1)
    return np.clip(actions, -1.0, 1.0).astype(np.float32)


class Ball3D(Simulation):
    """3DBall: each agent tilts a square platform to keep a ball on it.

    Behaviors: one, "3DBall", with `agents_per_area` (12) agents per area, times num_areas.
    Agents decide every 5 ticks (actions are held between), episodes last at most 5000
    ticks, and rewards are set, not added (Unity's SetReward): a decision's reward is the
    reward of the last tick before it.

    Observation: one vector of 8 floats, "VectorSensor": the platform's rotation z and x
    (quaternion components, as Unity's `transform.rotation.z` and `.x`), the ball's position
    relative to the platform center (x, y, z) and the ball's velocity (x, y, z).

    Actions: 2 continuous, each clipped to [-1, 1]: a[0] * 2 degrees about the platform's z
    axis and a[1] * 2 degrees about its x axis, every tick. A rotation is only applied
    while it does not push rotation.z (or .x) past +-0.25 (about 29 degrees), as in Unity.

    Rewards: +0.1 each tick the ball stays up; -1 and the episode ends when the ball is 2
    below the platform center or more than 3 away from it along x or z.

    Environment parameters, read per agent when its episode begins: `mass` (1.0), the
    ball's mass, which only changes how much air drag slows it; `gravity` (9.81); `scale`
    (1.0), the ball's scale (its radius is 0.5 * scale, and its drag grows with scale**2).

    Physics (dt = 0.02): a ball falls under gravity and air drag until it touches the
    platform plane; on the platform it rolls like a solid sphere (5/7 of gravity's pull
    along the plane) with rolling resistance, and the platform's tilting motion pushes it
    along the plane's normal. Once its center passes the platform's edge it falls off.

    Benchmark: a perfect policy keeps the ball up for all 5000 ticks of an episode, a mean
    reward of 100 per episode (0.1 per decision); ML-Agents' threshold for 3DBall is 100.
    """

    def __init__(self, seed: int = 0, num_areas: int = 1, agents_per_area: int = 12) -> None:
        super().__init__(seed, num_areas)
        if agents_per_area < 1:
            raise ValueError(f"agents_per_area={agents_per_area} must be at least 1.")
        n = agents_per_area * num_areas
        spec = BehaviorSpec(
            observation_specs=[
                ObservationSpec(
                    shape=(8,),
                    dimension_property=(DimensionProperty.NONE,),
                    observation_type=ObservationType.DEFAULT,
                    name="VectorSensor",
                )
            ],
            action_spec=ActionSpec.create_continuous(2),
        )
        self.behaviors = [
            BehaviorDef(
                name=BEHAVIOR_NAME,
                spec=spec,
                n_agents=n,
                decision_period=5,
                max_step=5000,
                reward_accumulates=False,
                compressed=(False,),
            )
        ]
        self.n_agents = n
        # The state, one row per agent. Positions are relative to the platform center, in
        # world axes; each platform only rotates, so its center never moves. Agents stay in
        # this neutral pose until reset_agents begins their first episode.
        #: Platform rotations, quaternions (x, y, z, w).
        self.rotation = np.tile([0.0, 0.0, 0.0, 1.0], (n, 1))
        self.ball_position = np.tile([0.0, 4.0, 0.0], (n, 1))
        self.ball_velocity = np.zeros((n, 3))
        self.mass = np.ones(n)
        self.gravity = np.full(n, 9.81)
        self.scale = np.ones(n)

    @property
    def ball_radius(self) -> np.ndarray:
        return 0.5 * np.abs(self.scale)

    def _check_behavior(self, behavior: str) -> None:
        if behavior != BEHAVIOR_NAME:
            raise KeyError(f"Ball3D has only the behavior {BEHAVIOR_NAME!r}, not {behavior!r}.")

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        self._check_behavior(behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        # Unity rotates the level platform about x, then about its own z.
        tilt_x = _axis_quat(self.rng.uniform(-10.0, 10.0, k), _X)
        tilt_z = _axis_quat(self.rng.uniform(-10.0, 10.0, k), _Z)
        self.rotation[rows] = _quat_mul(tilt_x, tilt_z)
        self.ball_velocity[rows] = 0.0
        ball_x = self.rng.uniform(-1.5, 1.5, k)
        ball_z = self.rng.uniform(-1.5, 1.5, k)
        self.ball_position[rows] = np.stack([ball_x, np.full(k, 4.0), ball_z], axis=1)
        # One read per agent, so that a sampler gives every episode its own value.
        for row in rows:
            self.mass[row] = self.parameters.get("mass", 1.0)
            self.gravity[row] = self.parameters.get("gravity", 9.81)
            self.scale[row] = self.parameters.get("scale", 1.0)

    def _turn_platforms(self, actions: np.ndarray) -> None:
        """Apply this tick's rotations, each only if it keeps within Unity's limit."""
        for column, axis in ((0, _Z), (1, _X)):
            degrees = DEGREES_PER_ACTION * np.clip(actions[:, column], -1.0, 1.0)
            current = self.rotation[:, axis]
            # Comparisons are False for NaN, so a NaN action turns nothing, as in Unity.
            allowed = ((current < ROTATION_LIMIT) & (degrees > 0)) | (
                (current > -ROTATION_LIMIT) & (degrees < 0)
            )
            turn = _axis_quat(np.where(allowed, degrees, 0.0), axis)
            self.rotation = _quat_mul(self.rotation, turn)
        # Keeps rounding from drifting the quaternions off unit length over long episodes.
        self.rotation /= np.linalg.norm(self.rotation, axis=1, keepdims=True)

    def _on_platform(self, normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ball's height above the plane, and whether it is above the platform's
        square and no deeper than its slab."""
        p = self.ball_position
        height = _dot(p, normal)
        local = _rotate_inverse(self.rotation, p)
        inside = (np.abs(local[:, 0]) <= PLATFORM_HALF_SIZE) & (
            np.abs(local[:, 2]) <= PLATFORM_HALF_SIZE
        )
        return height, inside & (height > -PLATFORM_THICKNESS)

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n = self.n_agents
        continuous = np.asarray(actions[BEHAVIOR_NAME].continuous, dtype=np.float64)
        if continuous.shape != (n, 2):
            raise ValueError(
                f"{BEHAVIOR_NAME} expects continuous actions of shape ({n}, 2), "
                f"got {continuous.shape}."
            )
        radius = self.ball_radius
        old_rotation = self.rotation.copy()
        old_normal = _rotate(old_rotation, np.tile(_UP, (n, 1)))
        self._turn_platforms(continuous)
        normal = _rotate(self.rotation, np.tile(_UP, (n, 1)))

        # How fast the platform point under the ball moved: a tilting platform pushes the
        # ball with it rather than letting it sink in.
        foot = self.ball_position - radius[:, None] * old_normal
        moved = _rotate(self.rotation, _rotate_inverse(old_rotation, foot))
        surface_velocity = (moved - foot) / DT

        v = self.ball_velocity
        height, supported = self._on_platform(normal)
        rolling = supported & (height <= radius + CONTACT_TOLERANCE)
        g = np.zeros((n, 3))
        g[:, 1] = -self.gravity
        g_normal = _dot(g, normal)[:, None] * normal
        acceleration = np.where(rolling[:, None], g_normal + ROLLING_FACTOR * (g - g_normal), g)
        v = v + acceleration * DT

        # Rolling resistance slows the ball along the plane but never reverses it.
        tangential = v - _dot(v, normal)[:, None] * normal
        speed = np.linalg.norm(tangential, axis=1)
        pressing = np.maximum(-_dot(g, normal), 0.0)
        slowdown = ROLLING_RESISTANCE * pressing * DT
        keep = np.where(speed > slowdown, 1.0 - slowdown / np.maximum(speed, 1e-12), 0.0)
        v = np.where(rolling[:, None], v - tangential * (1.0 - keep)[:, None], v)

        # Implicit drag: stable however light the ball.
        drag = AIR_DRAG * self.scale**2 / np.maximum(self.mass, MIN_MASS)
        v = v / (1.0 + drag * DT)[:, None]
        self.ball_position = self.ball_position + v * DT

        # A ball that sank into the platform goes back on top, and keeps no speed into it
        # beyond the surface's own (no bounce: Unity's default material has none).
        height, supported = self._on_platform(normal)
        contact = supported & (height < radius)
        self.ball_position = self.ball_position + np.where(
            contact[:, None], (radius - height)[:, None] * normal, 0.0
        )
        into = _dot(v - surface_velocity, normal)
        v = v - np.where((contact & (into < 0))[:, None], into[:, None] * normal, 0.0)
        self.ball_velocity = v

        p = self.ball_position
        done = (p[:, 1] < -2.0) | (np.abs(p[:, 0]) > 3.0) | (np.abs(p[:, 2]) > 3.0)
        reward = np.where(done, -1.0, 0.1).astype(np.float32)
        return {BEHAVIOR_NAME: Transition(reward=reward, done=done)}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        self._check_behavior(behavior)
        rows = np.asarray(rows, dtype=np.int64)
        obs = np.concatenate(
            [
                self.rotation[rows][:, [_Z, _X]],
                self.ball_position[rows],
                self.ball_velocity[rows],
            ],
            axis=1,
        )
        return [obs.astype(np.float32)]
