"""A conformance suite that any BaseEnv can be run through.

    from mlagents_envs.conformance import check_env
    check_env(env, steps=300)

It drives the environment with seeded random actions and checks what every consumer of a
BaseEnv relies on: specs agree with the arrays, agent ids are unique within decision and
within terminal steps, agents that only ended are not asked for actions, actions of the
right shape are accepted and wrong ones refused with a UnityException, reset restarts
episodes, and close is clean. The first broken rule raises ConformanceError
saying what was expected and what came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    BaseEnv,
    BehaviorSpec,
    DecisionSteps,
    TerminalSteps,
)
from mlagents_envs.exception import UnityException


class ConformanceError(AssertionError):
    """The environment broke a rule of the BaseEnv contract."""


@dataclass
class ConformanceReport:
    """What the run saw, per behavior: decisions asked, episodes ended, interruptions."""

    steps: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    terminals: dict[str, int] = field(default_factory=dict)
    interrupted: dict[str, int] = field(default_factory=dict)
    both_in_one_step: dict[str, int] = field(default_factory=dict)


def check_env(
    env: BaseEnv, steps: int = 200, seed: int = 0, close: bool = True
) -> ConformanceReport:
    """Run env through the suite for `steps` steps and return what it saw.

    The environment is closed at the end (and close checked) unless close=False.
    """
    try:
        report = _run(env, steps, seed)
    except BaseException:
        # A failed check must not leave a process and a port behind.
        env.close()
        raise
    if close:
        _check_close(env)
    return report


def _run(env: BaseEnv, steps: int, seed: int) -> ConformanceReport:
    rng = np.random.default_rng(seed)
    report = ConformanceReport()
    env.reset()
    _check_first_output(env)
    for step in range(steps):
        for name in list(env.behavior_specs):
            decision, terminal = env.get_steps(name)
            spec = env.behavior_specs[name]
            _check_steps(name, spec, decision, terminal, step)
            _count(report, name, decision, terminal)
            if step == 0 and len(decision):
                _check_refusals(env, name, spec.action_spec, decision, rng)
            _check_terminal_only_agents_take_no_action(env, name, spec, decision, terminal)
            env.set_actions(name, spec.action_spec.random_action(len(decision), rng))
        env.step()
        report.steps += 1
    if not env.behavior_specs:
        raise ConformanceError(f"No behavior appeared in {steps} steps.")
    env.reset()
    _check_first_output(env)
    return report


def _fail(message: str) -> None:
    raise ConformanceError(message)


def _check_first_output(env: BaseEnv) -> None:
    """Right after reset, every agent begins an episode: nobody ends one, nobody has reward."""
    for name in env.behavior_specs:
        decision, terminal = env.get_steps(name)
        if len(terminal):
            _fail(
                f"Behavior {name!r}: right after reset, agents {terminal.agent_id.tolist()} "
                "are in TerminalSteps; reset must start every episode anew."
            )
        if len(decision) and np.any(decision.reward != 0):
            _fail(
                f"Behavior {name!r}: right after reset, decision rewards are "
                f"{decision.reward.tolist()}; a new episode has earned nothing yet."
            )


def _check_steps(
    name: str, spec: BehaviorSpec, decision: DecisionSteps, terminal: TerminalSteps, step: int
) -> None:
    where = f"Behavior {name!r}, step {step}"
    for kind, steps in (("DecisionSteps", decision), ("TerminalSteps", terminal)):
        n = len(steps.agent_id)
        ids = steps.agent_id
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            _fail(f"{where}: {kind}.agent_id must be a 1-D int array, got {ids.dtype} {ids.shape}.")
        if len(np.unique(ids)) != n:
            _fail(f"{where}: {kind} holds agent ids twice: {ids.tolist()}.")
        if len(steps.obs) != len(spec.observation_specs):
            _fail(
                f"{where}: {kind} has {len(steps.obs)} observations, the spec "
                f"{len(spec.observation_specs)}."
            )
        for k, (obs, obs_spec) in enumerate(zip(steps.obs, spec.observation_specs)):
            if obs.shape != (n, *obs_spec.shape) or obs.dtype != np.float32:
                _fail(
                    f"{where}: {kind}.obs[{k}] is {obs.dtype} {obs.shape}; the spec "
                    f"{obs_spec.name!r} needs float32 {(n, *obs_spec.shape)}."
                )
            if not np.isfinite(obs).all():
                _fail(f"{where}: {kind}.obs[{k}] holds NaN or infinite values.")
        arrays: list[tuple[str, np.ndarray, type | None]] = [
            ("reward", steps.reward, np.float32),
            ("group_reward", steps.group_reward, None),
        ]
        arrays.append(("group_id", steps.group_id, None))
        if isinstance(steps, TerminalSteps):
            arrays.append(("interrupted", steps.interrupted, np.bool_))
        for field_name, values, dtype in arrays:
            if values.shape != (n,) or (dtype is not None and values.dtype != dtype):
                _fail(
                    f"{where}: {kind}.{field_name} is {values.dtype} {values.shape}, needs "
                    f"{np.dtype(dtype) if dtype else 'an array of'} shape ({n},)."
                )
        if not np.isfinite(steps.reward).all():
            _fail(f"{where}: {kind}.reward holds NaN or infinite values.")
    branches = spec.action_spec.discrete_branches
    masks = decision.action_mask
    if not branches:
        if masks is not None:
            _fail(f"{where}: action_mask must be None without discrete branches.")
        return
    if masks is None or len(masks) != len(branches):
        _fail(f"{where}: action_mask needs one array per branch of {branches}.")
        return
    for b, (mask, size) in enumerate(zip(masks, branches)):
        if mask.shape != (len(decision), size) or mask.dtype != np.bool_:
            _fail(
                f"{where}: action_mask[{b}] is {mask.dtype} {mask.shape}, needs bool "
                f"{(len(decision), size)}."
            )
        if len(decision) and mask.all(axis=1).any():
            _fail(f"{where}: action_mask[{b}] masks every action of some agent.")


def _count(
    report: ConformanceReport, name: str, decision: DecisionSteps, terminal: TerminalSteps
) -> None:
    report.decisions[name] = report.decisions.get(name, 0) + len(decision)
    report.terminals[name] = report.terminals.get(name, 0) + len(terminal)
    report.interrupted[name] = report.interrupted.get(name, 0) + int(terminal.interrupted.sum())
    both = len(np.intersect1d(decision.agent_id, terminal.agent_id))
    report.both_in_one_step[name] = report.both_in_one_step.get(name, 0) + both


def _expect_refusal(description: str, call: object) -> None:
    try:
        call()  # type: ignore[operator]
    except UnityException:
        return
    except Exception as error:
        _fail(f"{description} raised {type(error).__name__}, not a UnityException: {error}")
    _fail(f"{description} was accepted; it must raise a UnityException.")


def _check_refusals(
    env: BaseEnv,
    name: str,
    spec: ActionSpec,
    decision: DecisionSteps,
    rng: np.random.Generator,
) -> None:
    n = len(decision)
    good = spec.random_action(n, rng)
    env.set_actions(name, good)
    wrong_rows = spec.random_action(n + 1, rng)
    _expect_refusal(
        f"{name!r}: actions for {n + 1} agents when {n} asked",
        lambda: env.set_actions(name, wrong_rows),
    )
    if spec.continuous_size:
        wide = ActionTuple(np.zeros((n, spec.continuous_size + 1), np.float32), good.discrete)
        _expect_refusal(
            f"{name!r}: continuous actions one too wide", lambda: env.set_actions(name, wide)
        )
    if spec.discrete_size:
        too_big = good.discrete.copy()
        too_big[:, 0] = spec.discrete_branches[0]
        bad = ActionTuple(good.continuous, too_big)
        _expect_refusal(
            f"{name!r}: discrete action {spec.discrete_branches[0]} on branch 0",
            lambda: env.set_actions(name, bad),
        )
    plain: Any = np.zeros((n, 1))
    _expect_refusal(
        f"{name!r}: a plain array instead of an ActionTuple",
        lambda: env.set_actions(name, plain),
    )
    _expect_refusal(
        "actions for a behavior that does not exist",
        lambda: env.set_actions(name + "?no-such-behavior", good),
    )
    _expect_refusal(
        "get_steps of a behavior that does not exist",
        lambda: env.get_steps(name + "?no-such-behavior"),
    )


def _check_terminal_only_agents_take_no_action(
    env: BaseEnv,
    name: str,
    spec: BehaviorSpec,
    decision: DecisionSteps,
    terminal: TerminalSteps,
) -> None:
    ended_only = np.setdiff1d(terminal.agent_id, decision.agent_id)
    if not len(ended_only):
        return
    agent = int(ended_only[0])
    _expect_refusal(
        f"{name!r}: an action for agent {agent}, which ended its episode and did not ask",
        lambda: env.set_action_for_agent(name, agent, spec.action_spec.empty_action(1)),
    )


def _check_close(env: BaseEnv) -> None:
    env.close()
    try:
        env.close()
    except Exception as error:
        _fail(f"A second close() raised {type(error).__name__}: {error}; it must do nothing.")
    _expect_refusal("step() after close()", env.step)


__all__ = ["ConformanceError", "ConformanceReport", "check_env"]
