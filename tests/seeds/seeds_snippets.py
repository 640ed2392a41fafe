# ruff: noqa: E501 - the snippets are copies, long lines included
"""Every code block of the seeds 000-003, and what the tests do with it.

`SNIPPETS` holds the Python blocks the tests run, copied from the seeds. Seed 002 reached us
with its line breaks lost (each block on one line); its blocks are re-lined and re-indented
here, and nothing else changed: `digest` of a block is the same before and after.
`OUTCOMES` accounts for every block of those seeds (seed 004's blocks are in
seeds_reference_004 and test_seeds_004_reference): the test that runs it, or why none does.
Tests change a snippet only through `adapt`, with the replacements in plain sight.
"""

from __future__ import annotations

import hashlib
import textwrap
from typing import NamedTuple


def digest(text: str) -> str:
    """A fingerprint of a block that ignores whitespace (line breaks, indentation)."""
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:12]


def adapt(text: str, replacements: list[tuple[str, str]]) -> str:
    """text with each (old, new) replaced; every old must occur in it."""
    for old, new in replacements:
        assert old in text, f"{old!r} is not in the snippet"
        text = text.replace(old, new)
    return text


SNIPPETS: dict[str, str] = {
    # 000: Basic Environment Setup
    "000-gym": textwrap.dedent(
        """\
        from mlagents_envs.environment import UnityEnvironment
        from mlagents_envs.envs.unity_gym_env import UnityToGymWrapper

        # Create Unity environment
        unity_env = UnityEnvironment(file_name="path/to/environment")

        # Wrap for Gym compatibility
        gym_env = UnityToGymWrapper(unity_env)

        # Standard Gym usage
        obs = gym_env.reset()
        action = gym_env.action_space.sample()
        obs, reward, done, info = gym_env.step(action)
        """
    ),
    # 000: Advanced Configuration Options
    "000-gym-options": textwrap.dedent(
        """\
        # Configure Gym wrapper with advanced options
        gym_env = UnityToGymWrapper(
            unity_env,
            uint8_visual=True,           # Visual obs as uint8 (0-255)
            flatten_branched=True,       # Flatten multi-discrete actions
            allow_multiple_obs=True,     # Return list of observations
            action_space_seed=42         # Seed for action space sampling
        )

        # Multi-environment setup for parallel training
        environments = []
        for worker_id in range(4):
            env = UnityEnvironment(
                file_name="environment",
                worker_id=worker_id,
                base_port=5005
            )
            environments.append(UnityToGymWrapper(env))
        """
    ),
    # 000: Direct BaseEnv Usage
    "000-base-env": textwrap.dedent(
        """\
        from mlagents_envs.environment import UnityEnvironment

        # Direct environment interaction
        env = UnityEnvironment("environment")
        env.reset()

        # Get behavior names and specs
        behavior_names = list(env.behavior_specs.keys())
        behavior_name = behavior_names[0]
        spec = env.behavior_specs[behavior_name]

        # Environment step loop
        while True:
            decision_steps, terminal_steps = env.get_steps(behavior_name)

            if len(decision_steps) > 0:
                # Generate actions for decision-requesting agents
                actions = spec.action_spec.random_action(len(decision_steps))
                env.set_actions(behavior_name, actions)

            env.step()

            if len(terminal_steps) > 0:
                # Handle terminated agents
                break

        env.close()
        """
    ),
    # 001: Basic Environment Management
    "001-manager": textwrap.dedent(
        """\
        # Create environment manager
        env_manager = SimpleEnvManager(env, env_params_channel)

        # Set up policies and agent managers
        env_manager.set_policy(behavior_name, policy)
        env_manager.set_agent_manager(behavior_name, agent_manager)

        # Training loop
        while training:
            # Get environment steps
            step_infos = env_manager.get_steps()

            # Process steps
            num_steps = env_manager.process_steps(step_infos)

            # Training logic here...
        """
    ),
    # 001: Environment Reset and Configuration
    "001-reset": textwrap.dedent(
        """\
        # Reset with configuration
        config = {"parameter_name": 1.0}
        num_envs = env_manager.reset(config)

        # Update parameters during training
        env_manager.set_env_parameters(new_config)
        """
    ),
    # 002: Loading a Unity Environment
    "002-load": textwrap.dedent(
        """\
        from mlagents_envs.environment import UnityEnvironment
        env = UnityEnvironment(file_name="3DBall", base_port=5005, seed=1, side_channels=[])
        """
    ),
    # 002: EngineConfigurationChannel
    "002-engine": textwrap.dedent(
        """\
        from mlagents_envs.environment import UnityEnvironment
        from mlagents_envs.side_channel.engine_configuration_channel import EngineConfigurationChannel
        channel = EngineConfigurationChannel()
        env = UnityEnvironment(base_port = UnityEnvironment.DEFAULT_EDITOR_PORT, side_channels = [channel])
        channel.set_configuration_parameters(time_scale = 2.0)
        i = env.reset()
        ...
        """
    ),
    # 002: FloatPropertiesChannel
    "002-float-properties": textwrap.dedent(
        """\
        from mlagents_envs.environment import UnityEnvironment
        from mlagents_envs.side_channel.float_properties_channel import FloatPropertiesChannel
        channel = FloatPropertiesChannel()
        env = UnityEnvironment(base_port = UnityEnvironment.DEFAULT_EDITOR_PORT, side_channels = [channel])
        channel.set_property("parameter_1", 2.0)
        i = env.reset()
        ...
        """
    ),
    # 002: the Python side of the StringLogChannel example
    "002-string-log": textwrap.dedent(
        '''\
        from mlagents_envs.environment import UnityEnvironment
        from mlagents_envs.side_channel.side_channel import SideChannel, SideChannelType
        import numpy as np
        # Create the StringLogChannel class
        class StringLogChannel(SideChannel):
            @property
            def channel_type(self) -> int:
                return SideChannelType.UserSideChannelStart + 1
            def on_message_received(self, data: bytes) -> None:
                """
                Note :We must implement this method of the SideChannel interface to
                receive messages from Unity
                """
                # We simply print the data received interpreted as ascii
                print(data.decode("ascii"))
            def send_string(self, data: str) -> None:
                # Convert the string to ascii
                bytes_data = data.encode("ascii")
                # We call this method to queue the data we want to send
                super().queue_message_to_send(bytes_data)
        # Create the channel
        string_log = StringLogChannel()
        # We start the communication with the Unity Editor and pass the string_log side channel as input
        env = UnityEnvironment(base_port=UnityEnvironment.DEFAULT_EDITOR_PORT, side_channels=[string_log])
        env.reset()
        string_log.send_string("The environment was reset")
        group_name = env.get_agent_groups()[0] # Get the first group_name
        for i in range(1000):
            step_data = env.get_step_result(group_name)
            n_agents = step_data.n_agents() # Get the number of agents
            # We send data to Unity : A string with the number of Agent at each
            string_log.send_string(
                "Step " + str(i) + " occurred with " + str(n_agents) + " agents."
            )
            env.step() # Move the simulation forward
        env.close()
        '''
    ),
    # 003: Loading a Unity Environment
    "003-load": textwrap.dedent(
        """\
        from mlagents.envs.environment import UnityEnvironment
        env = UnityEnvironment(file_name="3DBall", worker_id=0, seed=1)
        """
    ),
    # 003: Step
    "003-step": textwrap.dedent(
        """\
        info = env.step()
        brainInfo = info['brain_name']
        observations = brainInfo.vector_observations
        """
    ),
    # 003: actions of two brains
    "003-two-brains": textwrap.dedent(
        """\
        action = {'brain1':[1.0, 2.0], 'brain2':[3.0,4.0]}
        """
    ),
}

_RUN_000 = "test_seeds_000_001_snippets.py::"
_RUN_002 = "test_seeds_002_snippets.py::"
_RUN_003 = "test_seeds_003_snippets.py::"
_DIAGRAM = "not run: a Mermaid diagram, not code"


class Outcome(NamedTuple):
    seed: str
    language: str
    block: str  # a key of SNIPPETS, or the digest of a block the tests do not hold
    outcome: str  # "runs: <test>" or "not run: <why>"


OUTCOMES: list[Outcome] = [
    Outcome("000", "mermaid", "ab28ac094047", _DIAGRAM),
    Outcome("000", "mermaid", "1cf5c3888a36", _DIAGRAM),
    Outcome("000", "mermaid", "3e7ef56b7d4d", _DIAGRAM),
    Outcome("000", "mermaid", "675aba998064", _DIAGRAM),
    Outcome("000", "python", "000-gym", f"runs: {_RUN_000}test_000_gym_wrapper_setup"),
    Outcome("000", "python", "000-gym-options", f"runs: {_RUN_000}test_000_gym_wrapper_options"),
    Outcome("000", "python", "000-base-env", f"runs: {_RUN_000}test_000_direct_base_env_loop"),
    Outcome("001", "mermaid", "eb1e8295868f", _DIAGRAM),
    Outcome("001", "mermaid", "83fa7959daee", _DIAGRAM),
    Outcome("001", "mermaid", "152b41b7a916", _DIAGRAM),
    Outcome("001", "mermaid", "eda2f083766a", _DIAGRAM),
    Outcome("001", "mermaid", "9d8180055939", _DIAGRAM),
    Outcome("001", "mermaid", "15d19e32f275", _DIAGRAM),
    Outcome("001", "mermaid", "218b5e34bb9e", _DIAGRAM),
    Outcome("001", "mermaid", "118a52cbe11d", _DIAGRAM),
    Outcome("001", "mermaid", "243e973054b7", _DIAGRAM),
    Outcome("001", "python", "001-manager", f"runs: {_RUN_000}test_001_env_manager_loop"),
    Outcome("001", "python", "001-reset", f"runs: {_RUN_000}test_001_reset_with_configuration"),
    Outcome("002", "python", "002-load", f"runs: {_RUN_002}test_002_load_environment"),
    Outcome("002", "python", "002-engine", f"runs: {_RUN_002}test_002_engine_configuration"),
    Outcome("002", "python", "002-float-properties", f"runs: {_RUN_002}test_002_float_properties"),
    Outcome(
        "002",
        "csharp",
        "35ea40371c33",
        "not run: C# of the Unity side (reading a float property); the Python environment "
        "end's FloatPropertiesChannel plays it in test_002_float_properties",
    ),
    Outcome(
        "002",
        "csharp",
        "ddaa727302fa",
        "not run: C# of the Unity side (StringLogSideChannel); seeds_sims.EnvStringLogChannel "
        "is its Python counterpart",
    ),
    Outcome(
        "002",
        "csharp",
        "e721dc75c2dc",
        "not run: C# of the Unity side (registering the channel); seeds_sims.with_string_log "
        "registers its Python counterpart",
    ),
    Outcome(
        "002",
        "python",
        "002-string-log",
        f"runs: {_RUN_002}test_002_string_log_in_process and "
        f"{_RUN_002}test_002_string_log_over_the_wire",
    ),
    Outcome("003", "python", "003-load", f"runs: {_RUN_003}test_003_load_and_step"),
    Outcome("003", "python", "003-step", f"runs: {_RUN_003}test_003_load_and_step"),
    Outcome("003", "python", "003-two-brains", f"runs: {_RUN_003}test_003_two_brains"),
]
