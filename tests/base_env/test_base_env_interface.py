"""BaseEnv: abstract interface, and context-manager lifecycle of a minimal implementation."""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np
import pytest

from mlagents_envs.base_env import (
    ActionSpec,
    ActionTuple,
    AgentId,
    BaseEnv,
    BehaviorName,
    BehaviorSpec,
    DecisionSteps,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
    TerminalSteps,
)
from mlagents_envs.exception import UnityActionException

ABSTRACT_METHODS = {
    "step",
    "reset",
    "close",
    "behavior_specs",
    "set_actions",
    "set_action_for_agent",
    "get_steps",
}

SPEC = BehaviorSpec(
    observation_specs=[
        ObservationSpec((2,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "position")
    ],
    action_spec=ActionSpec.create_discrete((3,)),
)


class CountingEnv(BaseEnv):
    """Two agents on a line; the discrete action moves each by -1, 0 or +1."""

    def __init__(self) -> None:
        self.close_calls = 0
        self.positions = np.zeros(2, dtype=np.float32)
        self.pending = SPEC.action_spec.empty_action(2)

    def step(self) -> None:
        self.positions += self.pending.discrete[:, 0] - 1

    def reset(self) -> None:
        self.positions[:] = 0.0

    def close(self) -> None:
        self.close_calls += 1

    @property
    def behavior_specs(self) -> Mapping[BehaviorName, BehaviorSpec]:
        return {"Mover": SPEC}

    def set_actions(self, behavior_name: BehaviorName, action: ActionTuple) -> None:
        self.pending = self.behavior_specs[behavior_name].action_spec.validate_action(
            action, 2, behavior_name
        )

    def set_action_for_agent(
        self, behavior_name: BehaviorName, agent_id: AgentId, action: ActionTuple
    ) -> None:
        SPEC.action_spec.validate_action(action, 1, behavior_name)
        self.pending.discrete[agent_id] = action.discrete[0]

    def get_steps(self, behavior_name: BehaviorName) -> tuple[DecisionSteps, TerminalSteps]:
        decision = DecisionSteps(
            obs=[np.stack([self.positions, -self.positions], axis=1)],
            reward=self.positions.copy(),
            agent_id=np.arange(2, dtype=np.int32),
            action_mask=[np.zeros((2, 3), dtype=bool)],
            group_id=np.zeros(2, dtype=np.int32),
            group_reward=np.zeros(2, dtype=np.float32),
        )
        return decision, TerminalSteps.empty(self.behavior_specs[behavior_name])


def test_base_env_cannot_be_instantiated():
    with pytest.raises(TypeError, match="abstract"):
        BaseEnv()


def test_base_env_abstract_methods():
    assert BaseEnv.__abstractmethods__ == ABSTRACT_METHODS
    assert isinstance(inspect.getattr_static(BaseEnv, "behavior_specs"), property)


@pytest.mark.parametrize("missing", sorted(ABSTRACT_METHODS))
def test_subclass_missing_any_abstract_method_cannot_be_instantiated(missing):
    namespace = {
        name: value for name, value in vars(CountingEnv).items() if name in ABSTRACT_METHODS
    }
    del namespace[missing]
    partial = type("PartialEnv", (BaseEnv,), namespace)
    with pytest.raises(TypeError, match=missing):
        partial()


def test_minimal_subclass_works():
    env = CountingEnv()
    assert list(env.behavior_specs) == ["Mover"]
    env.set_actions("Mover", ActionTuple(discrete=np.array([[2], [0]])))
    env.step()
    decision, terminal = env.get_steps("Mover")
    assert list(decision) == [0, 1]
    assert decision[0].reward == 1.0
    assert decision[1].reward == -1.0
    np.testing.assert_array_equal(decision[1].obs[0], [-1.0, 1.0])
    assert len(terminal) == 0
    env.set_action_for_agent("Mover", 1, ActionTuple(discrete=np.array([[2]])))
    env.step()
    assert env.get_steps("Mover")[0][1].reward == 0.0
    env.reset()
    assert env.get_steps("Mover")[0][0].reward == 0.0


def test_minimal_subclass_rejects_bad_actions_through_the_spec():
    env = CountingEnv()
    with pytest.raises(UnityActionException, match="branch 0"):
        env.set_actions("Mover", ActionTuple(discrete=np.array([[3], [0]])))


def test_context_manager_returns_the_env_and_closes_once():
    env = CountingEnv()
    with env as entered:
        assert entered is env
        assert env.close_calls == 0
    assert env.close_calls == 1


def test_context_manager_closes_once_when_the_block_raises():
    env = CountingEnv()
    with pytest.raises(RuntimeError, match="boom"), env:
        raise RuntimeError("boom")
    assert env.close_calls == 1


def test_context_manager_does_not_swallow_exceptions():
    env = CountingEnv()
    assert env.__exit__(ValueError, ValueError("x"), None) is None
    assert env.close_calls == 1
