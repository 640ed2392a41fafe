# ruff: noqa: E501 - the blocks are verbatim copies, long lines included
"""Every code block of seed 004 (the API reference of mlagents_envs), copied verbatim, with
the module and class whose section it stands in. The seed is the specification; its blocks
are signatures, two registry examples and a manifest outline."""

from __future__ import annotations

from typing import NamedTuple


class ReferenceBlock(NamedTuple):
    module: str
    cls: str | None
    language: str
    text: str


BLOCKS: list[ReferenceBlock] = [
    ReferenceBlock("mlagents_envs.env_utils", None, "python", "get_platform()"),
    ReferenceBlock(
        "mlagents_envs.env_utils",
        None,
        "python",
        "validate_environment_path(env_path: str) -> Optional[str]",
    ),
    ReferenceBlock(
        "mlagents_envs.env_utils",
        None,
        "python",
        "launch_executable(file_name: str, args: List[str]) -> subprocess.Popen",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "DecisionStep", "python", "class DecisionStep(NamedTuple)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "DecisionSteps", "python", "class DecisionSteps(Mapping)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "DecisionSteps",
        "python",
        "| @property\n| agent_id_to_index() -> Dict[AgentId, int]",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "DecisionSteps",
        "python",
        "| __getitem__(agent_id: AgentId) -> DecisionStep",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "DecisionSteps",
        "python",
        '| @staticmethod\n| empty(spec: "BehaviorSpec") -> "DecisionSteps"',
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "TerminalStep", "python", "class TerminalStep(NamedTuple)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "TerminalSteps", "python", "class TerminalSteps(Mapping)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "TerminalSteps",
        "python",
        "| @property\n| agent_id_to_index() -> Dict[AgentId, int]",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "TerminalSteps",
        "python",
        "| __getitem__(agent_id: AgentId) -> TerminalStep",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "TerminalSteps",
        "python",
        '| @staticmethod\n| empty(spec: "BehaviorSpec") -> "TerminalSteps"',
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "ActionTuple", "python", "class ActionTuple(_ActionTupleBase)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "ActionTuple",
        "python",
        "| @property\n| discrete_dtype() -> np.dtype",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "ActionSpec", "python", "class ActionSpec(NamedTuple)"
    ),
    ReferenceBlock("mlagents_envs.base_env", "ActionSpec", "python", "| is_discrete() -> bool"),
    ReferenceBlock("mlagents_envs.base_env", "ActionSpec", "python", "| is_continuous() -> bool"),
    ReferenceBlock(
        "mlagents_envs.base_env", "ActionSpec", "python", "| @property\n| discrete_size() -> int"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "ActionSpec",
        "python",
        "| empty_action(n_agents: int) -> ActionTuple",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "ActionSpec",
        "python",
        "| random_action(n_agents: int) -> ActionTuple",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "ActionSpec",
        "python",
        '| @staticmethod\n| create_continuous(continuous_size: int) -> "ActionSpec"',
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "ActionSpec",
        "python",
        '| @staticmethod\n| create_discrete(discrete_branches: Tuple[int]) -> "ActionSpec"',
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "DimensionProperty", "python", "class DimensionProperty(IntFlag)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "ObservationType", "python", "class ObservationType(Enum)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "ObservationSpec", "python", "class ObservationSpec(NamedTuple)"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "BehaviorSpec", "python", "class BehaviorSpec(NamedTuple)"
    ),
    ReferenceBlock("mlagents_envs.base_env", "BaseEnv", "python", "class BaseEnv(ABC)"),
    ReferenceBlock(
        "mlagents_envs.base_env", "BaseEnv", "python", "| @abstractmethod\n| step() -> None"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "BaseEnv", "python", "| @abstractmethod\n| reset() -> None"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env", "BaseEnv", "python", "| @abstractmethod\n| close() -> None"
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "BaseEnv",
        "python",
        "| @property\n| @abstractmethod\n| behavior_specs() -> MappingType[str, BehaviorSpec]",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "BaseEnv",
        "python",
        "| @abstractmethod\n| set_actions(behavior_name: BehaviorName, action: ActionTuple) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "BaseEnv",
        "python",
        "| @abstractmethod\n| set_action_for_agent(behavior_name: BehaviorName, agent_id: AgentId, action: ActionTuple) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.base_env",
        "BaseEnv",
        "python",
        "| @abstractmethod\n| get_steps(behavior_name: BehaviorName) -> Tuple[DecisionSteps, TerminalSteps]",
    ),
    ReferenceBlock("mlagents_envs.communicator", "Communicator", "python", "class Communicator()"),
    ReferenceBlock(
        "mlagents_envs.communicator",
        "Communicator",
        "python",
        "| __init__(worker_id=0, base_port=5005)",
    ),
    ReferenceBlock(
        "mlagents_envs.communicator",
        "Communicator",
        "python",
        "| initialize(inputs: UnityInputProto, poll_callback: Optional[PollCallback] = None) -> UnityOutputProto",
    ),
    ReferenceBlock(
        "mlagents_envs.communicator",
        "Communicator",
        "python",
        "| exchange(inputs: UnityInputProto, poll_callback: Optional[PollCallback] = None) -> Optional[UnityOutputProto]",
    ),
    ReferenceBlock("mlagents_envs.communicator", "Communicator", "python", "| close()"),
    ReferenceBlock(
        "mlagents_envs.environment", "UnityEnvironment", "python", "class UnityEnvironment(BaseEnv)"
    ),
    ReferenceBlock(
        "mlagents_envs.environment",
        "UnityEnvironment",
        "python",
        "| __init__(file_name: Optional[str] = None, worker_id: int = 0, base_port: Optional[int] = None, seed: int = 0, no_graphics: bool = False, timeout_wait: int = 60, additional_args: Optional[List[str]] = None, side_channels: Optional[List[SideChannel]] = None, log_folder: Optional[str] = None)",
    ),
    ReferenceBlock("mlagents_envs.environment", "UnityEnvironment", "python", "| close()"),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "class UnityEnvRegistry(Mapping)",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "registry = UnityEnvRegistry()\nentry = registry[]",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "registry = UnityEnvRegistry()\nenv = registry[].make()",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "| register(new_entry: BaseRegistryEntry) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "| register_from_yaml(path_to_yaml: str) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "yaml",
        "environments:\n- :\nexpected_reward:\ndescription: |\nlinux_url:\ndarwin_url:\nwin_url:\n- :\nexpected_reward:\ndescription: |\nlinux_url:\ndarwin_url:\nwin_url:\n- ...",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "| clear() -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.unity_env_registry",
        "UnityEnvRegistry",
        "python",
        "| __getitem__(identifier: str) -> BaseRegistryEntry",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        None,
        "python",
        "get_local_binary_path(name: str, url: str) -> str",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        None,
        "python",
        "get_local_binary_path_if_exists(name: str, url: str) -> Optional[str]",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils", None, "python", "get_tmp_dir() -> Tuple[str, str]"
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        None,
        "python",
        "download_and_extract_zip(url: str, name: str) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        None,
        "python",
        "print_progress(prefix: str, percent: float) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        None,
        "python",
        "load_remote_manifest(url: str) -> Dict[str, Any]",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        None,
        "python",
        "load_local_manifest(path: str) -> Dict[str, Any]",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.binary_utils",
        "ZipFileWithProgress",
        "python",
        "class ZipFileWithProgress(ZipFile)",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.remote_registry_entry",
        "RemoteRegistryEntry",
        "python",
        "class RemoteRegistryEntry(BaseRegistryEntry)",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.remote_registry_entry",
        "RemoteRegistryEntry",
        "python",
        "| __init__(identifier: str, expected_reward: Optional[float], description: Optional[str], linux_url: Optional[str], darwin_url: Optional[str], win_url: Optional[str], additional_args: Optional[List[str]] = None)",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.remote_registry_entry",
        "RemoteRegistryEntry",
        "python",
        "| make(**kwargs: Any) -> BaseEnv",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.base_registry_entry",
        "BaseRegistryEntry",
        "python",
        "class BaseRegistryEntry()",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.base_registry_entry",
        "BaseRegistryEntry",
        "python",
        "| __init__(identifier: str, expected_reward: Optional[float], description: Optional[str])",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.base_registry_entry",
        "BaseRegistryEntry",
        "python",
        "| @property\n| identifier() -> str",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.base_registry_entry",
        "BaseRegistryEntry",
        "python",
        "| @property\n| expected_reward() -> Optional[float]",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.base_registry_entry",
        "BaseRegistryEntry",
        "python",
        "| @property\n| description() -> Optional[str]",
    ),
    ReferenceBlock(
        "mlagents_envs.registry.base_registry_entry",
        "BaseRegistryEntry",
        "python",
        "| @abstractmethod\n| make(**kwargs: Any) -> BaseEnv",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.raw_bytes_channel",
        "RawBytesChannel",
        "python",
        "class RawBytesChannel(SideChannel)",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.raw_bytes_channel",
        "RawBytesChannel",
        "python",
        "| on_message_received(msg: IncomingMessage) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.raw_bytes_channel",
        "RawBytesChannel",
        "python",
        "| get_and_clear_received_messages() -> List[bytes]",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.raw_bytes_channel",
        "RawBytesChannel",
        "python",
        "| send_raw_data(data: bytearray) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "class OutgoingMessage()",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message", "OutgoingMessage", "python", "| __init__()"
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "| write_bool(b: bool) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "| write_int32(i: int) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "| write_float32(f: float) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "| write_float32_list(float_list: List[float]) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "| write_string(s: str) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.outgoing_message",
        "OutgoingMessage",
        "python",
        "| set_raw_bytes(buffer: bytearray) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.engine_configuration_channel",
        "EngineConfigurationChannel",
        "python",
        "class EngineConfigurationChannel(SideChannel)",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.engine_configuration_channel",
        "EngineConfigurationChannel",
        "python",
        "| on_message_received(msg: IncomingMessage) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.engine_configuration_channel",
        "EngineConfigurationChannel",
        "python",
        "| set_configuration_parameters(width: Optional[int] = None, height: Optional[int] = None, quality_level: Optional[int] = None, time_scale: Optional[float] = None, target_frame_rate: Optional[int] = None, capture_frame_rate: Optional[int] = None) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.engine_configuration_channel",
        "EngineConfigurationChannel",
        "python",
        "| set_configuration(config: EngineConfig) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel_manager",
        "SideChannelManager",
        "python",
        "class SideChannelManager()",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel_manager",
        "SideChannelManager",
        "python",
        "| process_side_channel_message(data: bytes) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel_manager",
        "SideChannelManager",
        "python",
        "| generate_side_channel_messages() -> bytearray",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.stats_side_channel",
        "StatsSideChannel",
        "python",
        "class StatsSideChannel(SideChannel)",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.stats_side_channel",
        "StatsSideChannel",
        "python",
        "| on_message_received(msg: IncomingMessage) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.stats_side_channel",
        "StatsSideChannel",
        "python",
        "| get_and_reset_stats() -> EnvironmentStats",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "class IncomingMessage()",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "| __init__(buffer: bytes, offset: int = 0)",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "| read_bool(default_value: bool = False) -> bool",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "| read_int32(default_value: int = 0) -> int",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "| read_float32(default_value: float = 0.0) -> float",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "| read_float32_list(default_value: List[float] = None) -> List[float]",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        '| read_string(default_value: str = "") -> str',
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.incoming_message",
        "IncomingMessage",
        "python",
        "| get_raw_bytes() -> bytes",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.float_properties_channel",
        "FloatPropertiesChannel",
        "python",
        "class FloatPropertiesChannel(SideChannel)",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.float_properties_channel",
        "FloatPropertiesChannel",
        "python",
        "| on_message_received(msg: IncomingMessage) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.float_properties_channel",
        "FloatPropertiesChannel",
        "python",
        "| set_property(key: str, value: float) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.float_properties_channel",
        "FloatPropertiesChannel",
        "python",
        "| get_property(key: str) -> Optional[float]",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.float_properties_channel",
        "FloatPropertiesChannel",
        "python",
        "| list_properties() -> List[str]",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.float_properties_channel",
        "FloatPropertiesChannel",
        "python",
        "| get_property_dict_copy() -> Dict[str, float]",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.environment_parameters_channel",
        "EnvironmentParametersChannel",
        "python",
        "class EnvironmentParametersChannel(SideChannel)",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.environment_parameters_channel",
        "EnvironmentParametersChannel",
        "python",
        "| set_float_parameter(key: str, value: float) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.environment_parameters_channel",
        "EnvironmentParametersChannel",
        "python",
        "| set_uniform_sampler_parameters(key: str, min_value: float, max_value: float, seed: int) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.environment_parameters_channel",
        "EnvironmentParametersChannel",
        "python",
        "| set_gaussian_sampler_parameters(key: str, mean: float, st_dev: float, seed: int) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.environment_parameters_channel",
        "EnvironmentParametersChannel",
        "python",
        "| set_multirangeuniform_sampler_parameters(key: str, intervals: List[Tuple[float, float]], seed: int) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel", "SideChannel", "python", "class SideChannel(ABC)"
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel",
        "SideChannel",
        "python",
        "| queue_message_to_send(msg: OutgoingMessage) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel",
        "SideChannel",
        "python",
        "| @abstractmethod\n| on_message_received(msg: IncomingMessage) -> None",
    ),
    ReferenceBlock(
        "mlagents_envs.side_channel.side_channel",
        "SideChannel",
        "python",
        "| @property\n| channel_id() -> uuid.UUID",
    ),
]
