"""The older generations of the low-level API, as thin adapters over any BaseEnv.

- `batched_step_result`: the 0.14 API (AgentGroupSpec, BatchedStepResult,
  `get_agent_groups`, `get_step_result`, `set_actions` with a plain array).
- `brain_info`: the BrainInfo API (`reset(train_mode, config)` and `step(action, ...)`
  returning a dict of BrainInfo by brain name).
- `side_channel`: 0.14 side channels (an int `channel_type`, payloads as bytes).

A script of those generations changes its imports to these modules, and runs:

    from mlagents_envs.legacy.batched_step_result import UnityEnvironment  # 0.14 scripts
    from mlagents_envs.legacy.brain_info import UnityEnvironment  # mlagents.envs scripts
    from mlagents_envs.legacy.side_channel import SideChannel, SideChannelType

or wraps an environment it already has: `AgentGroupEnv(env)`, `BrainInfoEnv(env, ...)`.
"""
