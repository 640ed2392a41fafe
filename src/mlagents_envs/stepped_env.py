"""What every BaseEnv of ours does the same way: keep the last steps of each behavior, collect
the actions set for the next step, and refuse what does not fit.

`UnityEnvironment` (over the wire) and the in-process environments of `mlagents_sim` both
build on `SteppedEnv`, so that a script behaves the same against either.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping

from mlagents_envs.base_env import (
    ActionTuple,
    AgentId,
    BaseEnv,
    BehaviorMapping,
    BehaviorName,
    BehaviorSpec,
    DecisionSteps,
    TerminalSteps,
)
from mlagents_envs.exception import UnityActionException, UnityEnvironmentException


class AgentNotAskingError(UnityActionException, IndexError):
    """An action was set for an agent that did not ask for a decision at the last step.

    Also an IndexError, which is what ML-Agents raised here, so existing handlers still work.
    """


class SteppedEnv(BaseEnv):
    """State and action bookkeeping shared by our environments.

    Subclasses call `_update_state` with each new output, and read `_pending_actions()` to
    send the actions of the next step.
    """

    def __init__(self) -> None:
        self._env_specs: dict[BehaviorName, BehaviorSpec] = {}
        self._env_state: dict[BehaviorName, tuple[DecisionSteps, TerminalSteps]] = {}
        self._env_actions: dict[BehaviorName, ActionTuple] = {}
        self._is_first_message = True
        self._closed = False
        self._specs_view = BehaviorMapping(self._env_specs)

    @property
    def behavior_specs(self) -> BehaviorMapping:
        return self._specs_view

    @property
    def _loaded(self) -> bool:
        """Whether the environment is open: ML-Agents' name, which its users' tests read."""
        return not self._closed

    def set_actions(self, behavior_name: BehaviorName, action: ActionTuple) -> None:
        self._check_open("set_actions")
        self._assert_behavior_exists(behavior_name)
        n_agents = len(self._env_state[behavior_name][0])
        spec = self._env_specs[behavior_name].action_spec
        spec.validate_action(action, n_agents, f"behavior {behavior_name!r}")
        if n_agents == 0:
            return
        # Copied, so that the caller may reuse its arrays before the step is sent.
        self._env_actions[behavior_name] = ActionTuple(
            action.continuous.copy() if spec.continuous_size else None,
            action.discrete.copy() if spec.discrete_size else None,
        )

    def set_action_for_agent(
        self, behavior_name: BehaviorName, agent_id: AgentId, action: ActionTuple
    ) -> None:
        self._check_open("set_action_for_agent")
        self._assert_behavior_exists(behavior_name)
        decision_steps = self._env_state[behavior_name][0]
        spec = self._env_specs[behavior_name].action_spec
        spec.validate_action(action, 1, f"behavior {behavior_name!r} (agent {agent_id})")
        index = decision_steps.agent_id_to_index.get(int(agent_id))
        if index is None:
            raise AgentNotAskingError(
                f"Agent {agent_id} of behavior {behavior_name!r} did not ask for a decision "
                f"at the last step, so it takes no action now; the agents that did are "
                f"{decision_steps.agent_id.tolist()[:20]}. Read them from get_steps()."
            )
        actions = self._env_actions.get(behavior_name)
        if actions is None:
            actions = spec.empty_action(len(decision_steps))
            self._env_actions[behavior_name] = actions
        if spec.continuous_size:
            actions.continuous[index] = action.continuous[0]
        if spec.discrete_size:
            actions.discrete[index] = action.discrete[0]

    def get_steps(self, behavior_name: BehaviorName) -> tuple[DecisionSteps, TerminalSteps]:
        self._check_open("get_steps")
        self._assert_behavior_exists(behavior_name)
        return self._env_state[behavior_name]

    def _pending_actions(self) -> dict[BehaviorName, ActionTuple]:
        """The actions of every behavior with agents that asked: set ones, else zeros."""
        actions: dict[BehaviorName, ActionTuple] = {}
        for name, (decision_steps, _) in self._env_state.items():
            n_agents = len(decision_steps)
            if n_agents == 0:
                continue
            action = self._env_actions.get(name)
            if action is None:
                action = self._env_specs[name].action_spec.empty_action(n_agents)
            actions[name] = action
        return actions

    def _update_state(
        self, new_steps: Mapping[BehaviorName, tuple[DecisionSteps, TerminalSteps]]
    ) -> None:
        """Record the steps of an output; known behaviors absent from it get empty steps."""
        for name, spec in self._env_specs.items():
            steps = new_steps.get(name)
            if steps is None:
                steps = (DecisionSteps.empty(spec), TerminalSteps.empty(spec))
            self._env_state[name] = steps
        self._env_actions.clear()
        self._is_first_message = False

    def _assert_behavior_exists(self, behavior_name: BehaviorName) -> None:
        if behavior_name not in self._env_specs:
            known = sorted(self._env_specs)
            teams = [n for n in known if n.partition("?")[0] == behavior_name]
            if self._is_first_message:
                hint = "Call reset() first: behaviors are known once the environment sent them."
            elif teams:
                hint = (
                    f"Unity names a behavior with its team id: use {teams[0]!r} "
                    "(behavior name?team=team id)."
                )
            else:
                hint = "Behavior names are case sensitive."
            raise UnityActionException(
                f"The behavior {behavior_name!r} is not in the environment; the known "
                f"behaviors are {known}. {hint}"
            )

    def _check_open(self, call: str) -> None:
        if self._closed:
            raise UnityEnvironmentException(
                f"{call}() was called on an environment that is closed. Create a new "
                "environment to go on."
            )

    @abstractmethod
    def close(self) -> None: ...
