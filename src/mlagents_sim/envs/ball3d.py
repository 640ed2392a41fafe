"""3DBall: agents tilt a platform to keep a ball on it (ML-Agents' Ball3DAgent, in numpy)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlagents_envs.base_env import ActionSpec, ActionTuple, BehaviorSpec
from mlagents_sim.simulation import BehaviorDef, Simulation, Transition, behavior_id
from mlagents_sim.specs import agent_count, check_behavior, vector_observation

BEHAVIOR_NAME = "3DBall"
BEHAVIOR_ID = behavior_id(BEHAVIOR_NAME)

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

_COMPONENTS = "xyzw"  # quaternion components, in the order Unity stores them
_X, _Z = 0, 2
#: The rotation components an agent observes: z, then x.
_OBSERVED_ROTATION = [_Z, _X]

# How a tick is computed: one column per agent, every component a contiguous row, and the
# constants it combines with the state expanded to the same shapes or, for scalars, as 0-d
# arrays. A numpy call on a few dozen numbers costs little more than its setup, and that
# setup is cheapest for operands of one shape (or 0-d arrays rather than Python floats).
# A tick is about 85 such calls on whole rows, whatever the number of agents.
_ZERO, _ONE, _MINUS_ONE = np.array(0.0), np.array(1.0), np.array(-1.0)
_DT = np.array(DT)
#: Radians of half the turn of an action of 1 (Quaternion.AngleAxis takes half the angle).
_HALF_RADIANS_PER_ACTION = np.array(np.radians(DEGREES_PER_ACTION) / 2.0)
_ROTATION_LIMIT = np.array(ROTATION_LIMIT)
_ROLLING_FACTOR = np.array(ROLLING_FACTOR)
_MINUS_ROLLING_RESISTANCE = np.array(-ROLLING_RESISTANCE)
_MIN_SPEED = np.array(1e-12)


def _turn_table(*formulas: tuple[str, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """Per turn, the partner of every component of the turned quaternion, and the factors
    of sin and cos for every component: [turn, sin/cos, component]."""
    partners = [np.array([_COMPONENTS.index(term[1]) for term in f]) for f in formulas]
    signs = np.array([[1.0 if term[0] == "+" else -1.0 for term in f] for f in formulas])
    return partners, np.stack([signs, np.ones_like(signs)], axis=1)


# Right-multiplying q by a turn about a unit axis (Quaternion.AngleAxis: sin s and cos c of
# half the angle) mixes every component of q with one partner: q' = c q + s (+-partner).
# About z, the Hamilton product q * (0, 0, s, c) is x' = c x + s y, y' = c y - s x,
# z' = c z + s w, w' = c w - s z; about x, q * (s, 0, 0, c) is x' = c x + s w,
# y' = c y + s z, z' = c z - s y, w' = c w - s x. A tick turns about z, then about x.
_TURN_AXES = (_Z, _X)
_TURN_PARTNERS, _TURN_FACTORS = _turn_table(("+y", "-x", "+w", "-z"), ("+w", "+z", "-y", "-x"))

# The platform's axes in world coordinates are the columns of its rotation matrix. Each of
# their nine entries is a constant plus two weighted products of quaternion components:
# (constant, weight, product, weight, product).
_AXES_FORMULAS = (
    # x axis: (1 - 2(yy + zz), 2(xy + wz), 2(xz - wy))
    (1.0, -2.0, "yy", -2.0, "zz"),
    (0.0, 2.0, "xy", 2.0, "wz"),
    (0.0, 2.0, "xz", -2.0, "wy"),
    # y axis, the platform's normal: (2(xy - wz), 1 - 2(xx + zz), 2(yz + wx))
    (0.0, 2.0, "xy", -2.0, "wz"),
    (1.0, -2.0, "xx", -2.0, "zz"),
    (0.0, 2.0, "yz", 2.0, "wx"),
    # z axis: (2(xz + wy), 2(yz - wx), 1 - 2(xx + yy))
    (0.0, 2.0, "xz", 2.0, "wy"),
    (0.0, 2.0, "yz", -2.0, "wx"),
    (1.0, -2.0, "xx", -2.0, "yy"),
)
#: The entries a tick computes: the normal before the turn, then the three axes after it,
#: as (index into _AXES_FORMULAS, 0 for the rotation before the turn or 1 after it).
_AXES_ENTRIES = [(k, 0) for k in (3, 4, 5)] + [(k, 1) for k in range(9)]


def _axes_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the entries of _AXES_ENTRIES: where every factor of their products is in the
    rotations before and after the turn seen as 8 rows (x, y, z, w before, then after),
    [factor, term, entry]; the weights of the products, [term, entry]; their constants."""
    factors = np.empty((2, 2, len(_AXES_ENTRIES)), dtype=np.intp)
    weights = np.empty((2, len(_AXES_ENTRIES)))
    constants = np.empty(len(_AXES_ENTRIES))
    for entry, (k, after) in enumerate(_AXES_ENTRIES):
        constant, weight_1, product_1, weight_2, product_2 = _AXES_FORMULAS[k]
        constants[entry] = constant
        for term, (weight, product) in enumerate(((weight_1, product_1), (weight_2, product_2))):
            weights[term, entry] = weight
            for factor, component in enumerate(product):
                factors[factor, term, entry] = 4 * after + _COMPONENTS.index(component)
    return factors, weights, constants


_AXES_FACTORS, _AXES_WEIGHTS, _AXES_CONSTANTS = _axes_table()

#: The platform holds the ball while the ball's center, in platform coordinates (x, height,
#: z), is in a box: above the platform's square, less than its thickness deep, and below a
#: top that depends on the ball and on what is tested (NaN here: set per ball). As upper
#: bounds of (x, height, z) and of (-x, -height, -z), the box is one comparison;
#: "height > -thickness" is "-height <= the float just below thickness".
_BOX = np.array(
    [
        [PLATFORM_HALF_SIZE, np.nan, PLATFORM_HALF_SIZE],
        [PLATFORM_HALF_SIZE, np.nextafter(PLATFORM_THICKNESS, -np.inf), PLATFORM_HALF_SIZE],
    ]
)
#: Lower and upper bounds of (x, y, z) outside which the ball has dropped.
_DROP_LOW = np.array([-3.0, -2.0, -3.0])
_DROP_HIGH = np.array([3.0, np.inf, 3.0])
_DROP_REWARD, _ALIVE_REWARD = np.array(-1.0, np.float32), np.array(0.1, np.float32)


def _expand(constants: np.ndarray, n: int) -> np.ndarray:
    """Constants per row, repeated for n agents: a writable array of shape (..., n)."""
    expanded: np.ndarray = np.repeat(constants[..., None], n, axis=-1)
    return expanded


def _read_only(array: np.ndarray) -> np.ndarray:
    """A view of array that cannot be written through."""
    view: np.ndarray = array.view()
    view.flags.writeable = False
    return view


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products of the 3-vectors stored as (3, n) rows in a and b."""
    dots: np.ndarray = np.add.reduce(a * b, axis=0)
    return dots


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
    clipped: np.ndarray = np.clip(actions, -1.0, 1.0).astype(np.float32)
    return clipped


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
        n = agent_count(agents_per_area, num_areas)
        spec = BehaviorSpec(
            [vector_observation(8, "VectorSensor")], ActionSpec.create_continuous(2)
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
        # The state, one column per agent (see the properties below for (n, 3) and (n, 4)
        # views). Positions are relative to the platform center, in world axes; each
        # platform only rotates, so its center never moves. Agents stay in this neutral pose
        # until reset_agents begins their first episode.
        #: Platform rotations (x, y, z, w) before the last tick's turn ([0]) and now ([1]).
        self._rotations = np.zeros((2, 4, n))
        self._rotations[:, 3] = 1.0
        self._old_rotation: np.ndarray = self._rotations[0]
        self._rotation: np.ndarray = self._rotations[1]
        #: Ball positions ([0]) and velocities ([1]), (x, y, z) rows.
        self._ball = np.zeros((2, 3, n))
        self._ball[0, 1] = 4.0
        self._position: np.ndarray = self._ball[0]
        self._velocity: np.ndarray = self._ball[1]
        # The episode parameters (see the mass, gravity and scale properties).
        self._mass = np.ones(n)
        self._gravity = np.full(n, 9.81)
        self._scale = np.ones(n)

        # What the physics derives from the parameters, refreshed before a tick when they
        # changed: the radius (also as a (3, n) array), the change of velocity gravity
        # causes in a tick, a (0, -gravity * DT, 0) vector, what a tick of drag divides
        # the velocity by, and the boxes (see _BOX) of the rolling test (top: the radius
        # plus the contact tolerance) and of the contact test (top: just below the radius).
        self._parameters_changed = True
        self._radius = np.empty(n)
        self._radius_vector = np.empty((3, n))
        self._gravity_step = np.zeros((3, n))
        self._drag_divisor = np.empty((3, n))
        self._rolling_box = _expand(_BOX, n)
        self._contact_box = _expand(_BOX, n)

        # Constants and work arrays of a tick (it fills these rather than allocating: large
        # temporaries cost page faults at a thousand agents). The factors of the products
        # the platform axes are made of, their weights and constants; the frames: rows of
        # the normal before the turn, the axes after it, and their negatives; the
        # corrections of the ball's position and speed; the half-angles of the turns and
        # their sin and cos; the bounds of the ball.
        self._axes_factors = np.empty((*_AXES_FACTORS.shape, n))
        self._axes_weights = _expand(_AXES_WEIGHTS, n)
        self._axes_constants = _expand(_AXES_CONSTANTS, n)
        self._frames = np.empty((21, n))
        self._old_normal, self._normal = self._frames[0:3], self._frames[6:9]
        #: The axes after the turn and their negatives: [sign, axis, world component, agent].
        self._signed_axes = self._frames[3:].reshape(2, 3, 3, n)
        self._corrections = np.empty((2, n))
        self._turn_half = np.empty((2, n))
        self._turn_sin_cos = np.empty((2, 2, n))
        self._drop_low, self._drop_high = _expand(_DROP_LOW, n), _expand(_DROP_HIGH, n)

    # The state as (n, 4) and (n, 3) arrays, one row per agent: writable views, so that
    # `sim.ball_position[0] = ...` changes the simulation.
    @property
    def rotation(self) -> np.ndarray:
        """Platform rotations, (n, 4) unit quaternions (x, y, z, w)."""
        return np.transpose(self._rotation)

    @rotation.setter
    def rotation(self, value: np.ndarray) -> None:
        self.rotation[...] = value

    @property
    def ball_position(self) -> np.ndarray:
        """Ball positions relative to the platform centers, (n, 3)."""
        return np.transpose(self._position)

    @ball_position.setter
    def ball_position(self, value: np.ndarray) -> None:
        self.ball_position[...] = value

    @property
    def ball_velocity(self) -> np.ndarray:
        """Ball velocities, (n, 3)."""
        return np.transpose(self._velocity)

    @ball_velocity.setter
    def ball_velocity(self, value: np.ndarray) -> None:
        self.ball_velocity[...] = value

    # The episode parameters of every agent, read from the environment parameters when its
    # episode begins. Read-only views, as a tick uses what it derived from them: assign a
    # whole array (`sim.mass = ...`) to change them.
    @property
    def mass(self) -> np.ndarray:
        """The balls' masses, (n,)."""
        return _read_only(self._mass)

    @mass.setter
    def mass(self, value: np.ndarray) -> None:
        self._mass[...] = value
        self._parameters_changed = True

    @property
    def gravity(self) -> np.ndarray:
        """Gravity's (downward) acceleration at every agent, (n,)."""
        return _read_only(self._gravity)

    @gravity.setter
    def gravity(self, value: np.ndarray) -> None:
        self._gravity[...] = value
        self._parameters_changed = True

    @property
    def scale(self) -> np.ndarray:
        """The balls' scales, (n,)."""
        return _read_only(self._scale)

    @scale.setter
    def scale(self, value: np.ndarray) -> None:
        self._scale[...] = value
        self._parameters_changed = True

    @property
    def ball_radius(self) -> np.ndarray:
        return 0.5 * np.abs(self._scale)

    def reset_agents(self, behavior: str, rows: np.ndarray) -> None:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        k = len(rows)
        # Unity rotates the level platform about x, then about its own z: the Hamilton
        # product (sin_x, 0, 0, cos_x) * (0, 0, sin_z, cos_z) of the two half-angle turns.
        half_x = np.radians(self.rng.uniform(-10.0, 10.0, k)) / 2.0
        half_z = np.radians(self.rng.uniform(-10.0, 10.0, k)) / 2.0
        sin_x, cos_x, sin_z, cos_z = np.sin(half_x), np.cos(half_x), np.sin(half_z), np.cos(half_z)
        rotation = [sin_x * cos_z, -(sin_x * sin_z), cos_x * sin_z, cos_x * cos_z]
        self._rotation[:, rows] = rotation
        self._position[0, rows] = self.rng.uniform(-1.5, 1.5, k)
        self._position[1, rows] = 4.0
        self._position[2, rows] = self.rng.uniform(-1.5, 1.5, k)
        self._velocity[:, rows] = 0.0
        # One read per agent, so that a sampler gives every episode its own value.
        get = self.parameters.get
        drawn = [(get("mass", 1.0), get("gravity", 9.81), get("scale", 1.0)) for _ in rows]
        parameters = np.array(drawn, dtype=np.float64).reshape(k, 3).T
        self._mass[rows], self._gravity[rows], self._scale[rows] = parameters
        self._parameters_changed = True

    def _derive_from_parameters(self) -> None:
        """Refresh what the physics derives from the episode parameters."""
        np.multiply(0.5, np.abs(self._scale), out=self._radius)
        self._radius_vector[...] = self._radius
        np.add(self._radius, CONTACT_TOLERANCE, out=self._rolling_box[0, 1])
        np.nextafter(self._radius, -np.inf, out=self._contact_box[0, 1])
        np.multiply(self._gravity, -DT, out=self._gravity_step[1])
        drag = AIR_DRAG * self._scale**2 / np.maximum(self._mass, MIN_MASS)
        self._drag_divisor[...] = 1.0 + drag * DT
        self._parameters_changed = False

    def _turn_platforms(self, actions: np.ndarray) -> None:
        """Apply this tick's turns, about z then about x, each only if it keeps within
        Unity's rotation limit."""
        # Half-angles in radians, one row per turn: actions clipped to [-1, 1] times 2 degrees.
        half = self._turn_half
        np.maximum(actions.T, _MINUS_ONE, out=half)
        np.minimum(half, _ONE, out=half)
        half *= _HALF_RADIANS_PER_ACTION
        direction = np.sign(half)
        sin_cos = self._turn_sin_cos
        np.sin(half, out=sin_cos[0])
        np.cos(half, out=sin_cos[1])
        # Per turn, the sin with the sign of each component's partner, and the cos, (4, n).
        coefficients = _TURN_FACTORS[..., None] * sin_cos.transpose(1, 0, 2)[:, :, None]
        q = self._rotation
        for i, axis in enumerate(_TURN_AXES):
            # Turning towards +q[axis] needs q[axis] < limit, towards - needs q[axis] > -limit;
            # comparisons are False for NaN, so a NaN action turns nothing, as in Unity.
            allowed = direction[i] * q[axis] < _ROTATION_LIMIT
            turned = q.take(_TURN_PARTNERS[i], axis=0)
            turned *= coefficients[i, 0]
            cos = coefficients[i, 1]
            cos *= q
            turned += cos
            # (A turn of 0 degrees, sin 0 and cos 1, leaves q exactly as it is, too.)
            np.copyto(q, turned, where=allowed)
        # Keeps rounding from drifting the quaternions off unit length over long episodes.
        q /= np.sqrt(_dot(q, q))

    def _compute_axes(self) -> None:
        """Fill _frames: the platforms' normals before the turn, their axes after it and
        these axes' negatives, in closed form (see _AXES_FORMULAS), in seven numpy calls."""
        factors = self._axes_factors
        self._rotations.reshape(8, -1).take(_AXES_FACTORS, axis=0, out=factors, mode="clip")
        products = factors[0]  # [term, entry, agent]
        products *= factors[1]
        products *= self._axes_weights
        entries = self._frames[:12]
        np.add(products[0], products[1], out=entries)
        entries += self._axes_constants
        np.negative(self._frames[3:12], out=self._frames[12:])

    def _held(self, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ball's height above its platform's plane, and whether its center is in `box`
        (see _BOX)."""
        # The ball's position along each of the platform's axes and their negatives.
        local = np.einsum("sacn,cn->san", self._signed_axes, self._position)
        return local[0, 1], np.logical_and.reduce(local <= box, axis=(0, 1))

    def tick(self, actions: Mapping[str, ActionTuple]) -> Mapping[str, Transition]:
        n = self.n_agents
        continuous = np.asarray(actions[BEHAVIOR_ID].continuous)
        if continuous.shape != (n, 2):
            raise ValueError(
                f"{BEHAVIOR_ID} expects continuous actions of shape ({n}, 2), "
                f"got {continuous.shape}."
            )
        if self._parameters_changed:
            self._derive_from_parameters()
        np.copyto(self._old_rotation, self._rotation)
        self._turn_platforms(continuous)
        self._compute_axes()
        old_normal, normal = self._old_normal, self._normal
        position, velocity = self._position, self._velocity

        # How fast the platform point under the ball moved along the normal: a tilting
        # platform pushes the ball with it rather than letting it sink in. The turn D from
        # the old rotation to the new one moves that point, foot, to D foot, whose height
        # above the new plane is foot's height above the old one: the point rose by
        # (D foot - foot) . normal = foot . (old_normal - normal).
        foot = old_normal * self._radius_vector
        np.subtract(position, foot, out=foot)
        surface_speed = _dot(foot, old_normal - normal) / _DT

        # On the platform, within the contact tolerance of its plane, the ball rolls: the
        # normal part of gravity in full, 5/7 of the part along the plane.
        _, rolling = self._held(self._rolling_box)
        g = self._gravity_step
        g_normal = g[1] * normal[1]  # g . normal, as g points along -y
        g_along_normal = g_normal * normal
        step = g - g_along_normal
        step *= _ROLLING_FACTOR
        step += g_along_normal
        velocity += np.where(rolling, step, g)

        # Rolling resistance slows the ball along the plane but never reverses it: it takes
        # slowdown off the speed along the plane, or all of it.
        tangential = velocity - _dot(velocity, normal) * normal
        speed = np.sqrt(_dot(tangential, tangential))
        slowdown = _MINUS_ROLLING_RESISTANCE * np.minimum(g_normal, _ZERO)
        # The fraction of the speed taken: slowdown / speed up to 1 if rolling, else 0.
        taken = np.minimum(slowdown / np.maximum(speed, _MIN_SPEED), rolling)
        tangential *= taken
        velocity -= tangential

        # Implicit drag: stable however light the ball.
        velocity /= self._drag_divisor
        position += velocity * _DT

        # A ball that sank into the platform (is held, and less than a radius above it) goes
        # back on top, and keeps no speed into it beyond the surface's own (no bounce:
        # Unity's default material has none). Corrections: how far to move the ball along
        # the normal, and how much speed to add along it.
        height, contact = self._held(self._contact_box)
        corrections = self._corrections
        np.subtract(self._radius, height, out=corrections[0])
        np.subtract(surface_speed, _dot(velocity, normal), out=corrections[1])
        np.maximum(corrections[1], _ZERO, out=corrections[1])
        np.add(self._ball, corrections[:, None] * normal, out=self._ball, where=contact)

        dropped = (position < self._drop_low) | (position > self._drop_high)
        done = np.logical_or.reduce(dropped, axis=0)
        reward = np.where(done, _DROP_REWARD, _ALIVE_REWARD)
        return {BEHAVIOR_ID: Transition(reward=reward, done=done)}

    def observe(self, behavior: str, rows: np.ndarray) -> list[np.ndarray]:
        check_behavior(self, behavior)
        rows = np.asarray(rows, dtype=np.int64)
        obs = np.empty((len(rows), 8), dtype=np.float32)
        obs[:, :2] = self._rotation[_OBSERVED_ROTATION][:, rows].T
        obs[:, 2:] = self._ball.reshape(6, self.n_agents)[:, rows].T
        return [obs]
