"""Trainer settings: the ML-Agents YAML schema parsed into typed settings, errors that name
their key path, the resolved configuration round trip, environment parameters on a real
channel, curricula, and the config folder."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from mlagents.trainers.settings import (
    CheckpointSettings,
    ConstantSettings,
    CurriculumSettings,
    GaussianSettings,
    MultiRangeUniformSettings,
    RunOptions,
    TrainerConfigError,
    TrainerSettings,
    UniformSettings,
    lesson_values,
    load_config,
    seed_samplers,
)
from mlagents_envs.side_channel.environment_parameters_channel import (
    EnvironmentDataTypes,
    EnvironmentParametersChannel,
    SamplerTypes,
)
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from mlagents_sim.catalog import ENVIRONMENTS, make_simulation
from mlagents_sim.side_channels import EnvironmentParameters, EnvironmentParametersReceiver

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "ppo"
CONFIG_FILES = sorted(CONFIG_DIR.glob("*.yaml"))


def parse_error(d: dict, **kwargs) -> str:
    with pytest.raises(TrainerConfigError) as info:
        RunOptions.from_dict(d, **kwargs)
    return str(info.value)


# The config folder.


def test_every_built_in_environment_has_a_config():
    assert {name: (CONFIG_DIR / f"{name}.yaml").is_file() for name in ENVIRONMENTS} == {
        name: True for name in ENVIRONMENTS
    }


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_config_files_parse_and_name_the_environments_behaviors(path):
    options = load_config(path)
    env_name = path.stem.split("_")[0]
    simulation = make_simulation(env_name)
    try:
        assert set(options.behaviors) == {b.name for b in simulation.behaviors}
    finally:
        simulation.close()
    for settings in options.behaviors.values():
        assert settings.trainer_type == "ppo"
    # Curricula watch behaviors that the file trains.
    for parameter in (options.environment_parameters or {}).values():
        if isinstance(parameter, CurriculumSettings):
            for lesson in parameter.lessons[:-1]:
                assert lesson.completion_criteria is not None
                assert lesson.completion_criteria.behavior in options.behaviors


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_config_files_round_trip_through_the_resolved_yaml(path, tmp_path):
    options = load_config(path)
    assert RunOptions.from_dict(options.as_dict()) == options
    assert yaml.safe_load(options.to_yaml()) == options.as_dict()
    options.save(tmp_path / "configuration.yaml")
    assert load_config(tmp_path / "configuration.yaml") == options


def test_3dball_config_keeps_ml_agents_values():
    ball = load_config(CONFIG_DIR / "3DBall.yaml").behaviors["3DBall"]
    h = ball.hyperparameters
    assert (h.batch_size, h.buffer_size, h.learning_rate, h.beta, h.epsilon, h.lambd) == (
        64,
        12000,
        3.0e-4,
        1.0e-3,
        0.2,
        0.99,
    )
    assert (h.num_epoch, h.learning_rate_schedule) == (3, "linear")
    n = ball.network_settings
    assert (n.normalize, n.hidden_units, n.num_layers) == (True, 128, 2)
    assert ball.reward_signals["extrinsic"].gamma == 0.99
    assert (ball.max_steps, ball.time_horizon, ball.summary_freq) == (500000, 1000, 12000)


def test_strikers_config_merges_default_settings_per_behavior():
    options = load_config(CONFIG_DIR / "StrikersVsGoalie.yaml")
    striker, goalie = options.behaviors["Striker"], options.behaviors["Goalie"]
    assert (striker.hyperparameters.beta, striker.hyperparameters.buffer_size) == (1.0e-2, 4096)
    assert (goalie.hyperparameters.beta, goalie.hyperparameters.buffer_size) == (5.0e-3, 2048)
    assert striker.max_steps == goalie.max_steps == 1000000


# Defaults.


def test_defaults_are_ml_agents_defaults():
    options = RunOptions.from_dict({"behaviors": {"Walker": None}})
    settings = options.behaviors["Walker"]
    assert settings == TrainerSettings()
    h = settings.hyperparameters
    assert (h.batch_size, h.buffer_size, h.learning_rate, h.beta, h.epsilon) == (
        1024,
        10240,
        3.0e-4,
        5.0e-3,
        0.2,
    )
    assert (h.lambd, h.num_epoch, h.shared_critic) == (0.95, 3, False)
    assert (h.learning_rate_schedule, h.beta_schedule, h.epsilon_schedule) == ("linear",) * 3
    n = settings.network_settings
    assert (n.normalize, n.hidden_units, n.num_layers, n.vis_encode_type) == (
        False,
        128,
        2,
        "simple",
    )
    assert settings.reward_signals["extrinsic"].as_dict() == {"gamma": 0.99, "strength": 1.0}
    assert (settings.max_steps, settings.time_horizon, settings.summary_freq) == (
        500000,
        64,
        50000,
    )
    assert (settings.checkpoint_interval, settings.keep_checkpoints, settings.threaded) == (
        500000,
        5,
        False,
    )
    assert settings.init_path is None
    assert options.env_settings.as_dict() == {
        "env_path": None,
        "env_args": None,
        "base_port": 5005,
        "num_envs": 1,
        "num_areas": 1,
        "seed": -1,
        "timeout_wait": 60,
        "max_lifetime_restarts": 10,
        "restarts_rate_limit_n": 1,
        "restarts_rate_limit_period_s": 60,
    }
    assert options.engine_settings.as_dict() == {
        "width": 84,
        "height": 84,
        "quality_level": 5,
        "time_scale": 20.0,
        "target_frame_rate": -1,
        "capture_frame_rate": 60,
        "no_graphics": False,
        "no_graphics_monitor": False,
    }
    assert options.checkpoint_settings.as_dict() == {
        "run_id": "ppo",
        "initialize_from": None,
        "resume": False,
        "force": False,
        "inference": False,
        "results_dir": "results",
    }
    assert options.torch_settings.device is None
    assert options.environment_parameters is None
    assert options.default_settings is None
    assert options.debug is False


def test_empty_configuration_and_empty_sections_mean_defaults():
    assert RunOptions.from_dict(None) == RunOptions.from_dict({}) == RunOptions()
    assert RunOptions.from_dict({"env_settings": None, "behaviors": {}}) == RunOptions()


def test_beta_and_epsilon_schedules_follow_the_learning_rate_schedule():
    hyper = {"learning_rate_schedule": "constant"}
    h = RunOptions.from_dict({"behaviors": {"B": {"hyperparameters": hyper}}})
    h_settings = h.behaviors["B"].hyperparameters
    assert (h_settings.beta_schedule, h_settings.epsilon_schedule) == ("constant", "constant")
    hyper = {"learning_rate_schedule": "constant", "beta_schedule": "linear"}
    h_settings = (
        RunOptions.from_dict({"behaviors": {"B": {"hyperparameters": hyper}}})
        .behaviors["B"]
        .hyperparameters
    )
    assert (h_settings.beta_schedule, h_settings.epsilon_schedule) == ("linear", "constant")


def test_numbers_written_the_yaml_1_1_way_are_read():
    text = (
        "behaviors:\n  B:\n    hyperparameters:\n      learning_rate: 1e-3\n    max_steps: 5.0e5\n"
    )
    data = yaml.safe_load(text)
    assert data["behaviors"]["B"]["hyperparameters"]["learning_rate"] == "1e-3"  # YAML 1.1
    settings = RunOptions.from_dict(data).behaviors["B"]
    assert settings.hyperparameters.learning_rate == 1e-3
    assert settings.max_steps == 500000 and isinstance(settings.max_steps, int)


def test_even_checkpoints_spread_over_max_steps():
    settings = RunOptions.from_dict(
        {"behaviors": {"B": {"max_steps": 1000, "keep_checkpoints": 4, "even_checkpoints": True}}}
    ).behaviors["B"]
    assert settings.effective_checkpoint_interval == 250
    assert TrainerSettings().effective_checkpoint_interval == 500000


# default_settings.


def test_default_settings_apply_under_every_behavior_key_by_key():
    options = RunOptions.from_dict(
        {
            "default_settings": {
                "hyperparameters": {"batch_size": 32, "buffer_size": 320, "beta": 0.01},
                "network_settings": {"hidden_units": 64},
                "reward_signals": {"extrinsic": {"gamma": 0.9}},
                "max_steps": 1000,
            },
            "behaviors": {
                "A": {"hyperparameters": {"beta": 0.02}, "reward_signals": {"extrinsic": None}},
                "B": {"network_settings": {"num_layers": 3}, "max_steps": 5},
                "C": None,
            },
        }
    )
    a, b, c = (options.behaviors[name] for name in "ABC")
    assert (a.hyperparameters.batch_size, a.hyperparameters.beta) == (32, 0.02)
    assert a.reward_signals["extrinsic"].gamma == 0.9
    assert (b.network_settings.hidden_units, b.network_settings.num_layers) == (64, 3)
    assert (b.max_steps, b.hyperparameters.beta) == (5, 0.01)
    assert c == options.default_settings
    assert c.hyperparameters.buffer_size == 320
    # A behavior the file does not list is trained with default_settings, as upstream.
    assert options.settings_for("Unlisted") == options.default_settings
    assert options.settings_for("A") is a
    assert RunOptions().settings_for("Unlisted") == TrainerSettings()


def test_default_settings_errors_name_default_settings():
    message = parse_error(
        {"default_settings": {"hyperparameters": {"batch_sze": 3}}, "behaviors": {"B": {}}}
    )
    assert message.startswith("default_settings.hyperparameters.batch_sze: unknown key")


def test_merged_settings_are_checked_together():
    message = parse_error(
        {
            "default_settings": {"hyperparameters": {"batch_size": 512}},
            "behaviors": {"B": {"hyperparameters": {"buffer_size": 256}}},
        }
    )
    assert message.startswith("behaviors.B.hyperparameters.batch_size: 512 is larger than")


# Errors name their key path.


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"behaviors": {"3DBall": {"hyperparameters": {"batch_sze": 64}}}},
            "behaviors.3DBall.hyperparameters.batch_sze: unknown key; did you mean batch_size?",
        ),
        (
            {"behaviors": {"3DBall": {"batch_size": 64}}},
            "behaviors.3DBall.batch_size: unknown key; it belongs under hyperparameters",
        ),
        (
            {"behaviors": {"3DBall": {"trainer": "ppo"}}},
            "behaviors.3DBall.trainer: unknown key; did you mean trainer_type?",
        ),
        (
            {"behaviors": {"3DBall": {"hyperparameters": {"tau": 0.005}}}},
            "behaviors.3DBall.hyperparameters.tau: unknown key; it is a SAC hyperparameter; "
            "set trainer_type: sac",
        ),
        (
            {"behaviors": {"3DBall": {"max_steps": "many"}}},
            "behaviors.3DBall.max_steps: expected an integer, got 'many' (str)",
        ),
        (
            {"behaviors": {"3DBall": {"time_horizon": 6.5}}},
            "behaviors.3DBall.time_horizon: expected an integer, got 6.5 (float)",
        ),
        (
            {"behaviors": {"3DBall": {"network_settings": {"normalize": "yes please"}}}},
            "behaviors.3DBall.network_settings.normalize: expected true or false",
        ),
        (
            {"behaviors": {"3DBall": {"hyperparameters": {"learning_rate": True}}}},
            "behaviors.3DBall.hyperparameters.learning_rate: expected a number, got True",
        ),
        (
            {"behaviors": {"3DBall": {"hyperparameters": {"learning_rate": 0}}}},
            "behaviors.3DBall.hyperparameters.learning_rate: must be > 0, got 0.0",
        ),
        (
            {"behaviors": {"3DBall": {"hyperparameters": {"lambd": 1.5}}}},
            "behaviors.3DBall.hyperparameters.lambd: must be <= 1, got 1.5",
        ),
        (
            {"behaviors": {"3DBall": {"hyperparameters": {"beta_schedule": "linar"}}}},
            "behaviors.3DBall.hyperparameters.beta_schedule: 'linar' is not one of: linear, "
            "constant; did you mean linear?",
        ),
        (
            {"behaviors": {"3DBall": {"network_settings": {"vis_encode_type": "nature"}}}},
            "behaviors.3DBall.network_settings.vis_encode_type: 'nature' is not one of",
        ),
        (
            {"behaviors": {"3DBall": {"reward_signals": {"extrinsic": {"gama": 0.9}}}}},
            "behaviors.3DBall.reward_signals.extrinsic.gama: unknown key; did you mean gamma?",
        ),
        (
            {"behaviors": {"3DBall": {"reward_signals": {"extrinsik": {}}}}},
            "behaviors.3DBall.reward_signals.extrinsik: 'extrinsik' is not one of: extrinsic",
        ),
        (
            {"behaviors": {"3DBall": {"reward_signals": {}}}},
            "behaviors.3DBall.reward_signals: give at least one reward signal",
        ),
        (
            {"behaviors": {"3DBall": {"hyperparameters": 64}}},
            "behaviors.3DBall.hyperparameters: expected a mapping of keys to values, got 64",
        ),
        (
            {"behaviors": ["3DBall"]},
            "behaviors: expected a mapping of behavior names to trainer settings",
        ),
        ({"env_settings": {"base_port": 70000}}, "env_settings.base_port: must be <= 65535"),
        (
            {"env_settings": {"env_args": "--level 3"}},
            "env_settings.env_args: expected a list, got '--level 3' (str)",
        ),
        (
            {"env_settings": {"env_args": ["--level", 3]}},
            "env_settings.env_args[1]: expected a string, got 3 (int)",
        ),
        ({"engine_settings": {"time_scale": 0}}, "engine_settings.time_scale: must be > 0"),
        (
            {"checkpoint_settings": {"run_id": 12}},
            "checkpoint_settings.run_id: expected a string, got 12 (int); quote it in YAML",
        ),
        (
            {"checkpoint_settings": {"run_id": "../elsewhere"}},
            "checkpoint_settings.run_id: '../elsewhere' cannot name a folder of results_dir",
        ),
        ({"torch_settings": {"devise": "cpu"}}, "torch_settings.devise: unknown key"),
        (
            {"env_settings": {"num_envs": 4}},
            "env_settings.num_envs: 4 environments need an env_path",
        ),
        ({"num_envs": 4}, "num_envs: unknown key; it belongs under env_settings"),
        (
            {"3DBall": {"trainer_type": "ppo"}},
            "3DBall: unknown key; behaviors are listed under behaviors",
        ),
        ({"curriculum": {}}, "curriculum: unknown key; samplers and curricula go under"),
        ({"debug": "no"}, "debug: expected true or false, got 'no' (str)"),
    ],
)
def test_errors_name_the_key_path(config, expected):
    assert parse_error(config).startswith(expected)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"behaviors": {"B": {"network_settings": {"memory": {"memory_size": 128}}}}},
            "behaviors.B.network_settings.memory: recurrent memory (an LSTM) is not implemented",
        ),
    ],
)
def test_ml_agents_features_not_implemented_here_are_named(config, expected):
    assert parse_error(config).startswith(expected)


def test_sac_is_a_trainer_type_with_its_own_hyperparameters():
    settings = RunOptions.from_dict({"behaviors": {"B": {"trainer_type": "sac"}}}).behaviors["B"]
    assert settings.trainer_type == "sac"
    assert (settings.hyperparameters.tau, settings.hyperparameters.batch_size) == (0.005, 128)


def test_a_resolved_ml_agents_configuration_is_accepted():
    # What upstream mlagents-learn writes to results/<run-id>/configuration.yaml: keys for
    # features not used (memory, self_play, ...) are null, old flags are still there.
    text = """
default_settings: null
behaviors:
  3DBall:
    trainer_type: ppo
    hyperparameters: {batch_size: 64, buffer_size: 12000, learning_rate: 0.0003, beta: 0.001,
      epsilon: 0.2, lambd: 0.99, num_epoch: 3, shared_critic: false,
      learning_rate_schedule: linear, beta_schedule: linear, epsilon_schedule: linear}
    checkpoint_interval: 500000
    network_settings: {normalize: true, hidden_units: 128, num_layers: 2,
      vis_encode_type: simple, memory: null, goal_conditioning_type: hyper,
      deterministic: false}
    reward_signals:
      extrinsic:
        gamma: 0.99
        strength: 1.0
        network_settings: {normalize: false, hidden_units: 128, num_layers: 2,
          vis_encode_type: simple, memory: null, goal_conditioning_type: hyper,
          deterministic: false}
    init_path: null
    keep_checkpoints: 5
    even_checkpoints: false
    max_steps: 500000
    time_horizon: 1000
    summary_freq: 12000
    threaded: false
    self_play: null
    behavioral_cloning: null
env_settings: {env_path: null, env_args: null, base_port: 5005, num_envs: 1, num_areas: 1,
  timeout_wait: 60, seed: -1, max_lifetime_restarts: 10, restarts_rate_limit_n: 1,
  restarts_rate_limit_period_s: 60}
engine_settings: {width: 84, height: 84, quality_level: 5, time_scale: 20,
  target_frame_rate: -1, capture_frame_rate: 60, no_graphics: false,
  no_graphics_monitor: false}
environment_parameters: null
checkpoint_settings: {run_id: ball, initialize_from: null, load_model: false, resume: false,
  force: false, train_model: false, inference: false, results_dir: results}
torch_settings: {device: null}
debug: false
"""
    options = RunOptions.from_dict(yaml.safe_load(text))
    assert options == load_config(CONFIG_DIR / "3DBall.yaml").with_overrides(run_id="ball")
    legacy = {"checkpoint_settings": {"load_model": True}}
    assert RunOptions.from_dict(legacy).checkpoint_settings.resume is True


# Round trip and overrides.


def test_as_dict_fills_every_default_and_round_trips():
    options = RunOptions.from_dict(
        {
            "default_settings": {"max_steps": 10},
            "behaviors": {"B": {"hyperparameters": {"batch_size": 8, "buffer_size": 64}}},
            "env_settings": {"env_path": "Basic", "env_args": ["--x", "1"], "num_envs": 2},
            "environment_parameters": {
                "g": 9.81,
                "u": {"sampler_type": "uniform", "sampler_parameters": {"min_value": 1}},
                "c": {
                    "curriculum": [
                        {
                            "name": "easy",
                            "value": {
                                "sampler_type": "constant",
                                "sampler_parameters": {"value": 2},
                            },
                            "completion_criteria": {"behavior": "B", "threshold": 0.5},
                        },
                        {"name": "hard", "value": 3},
                    ]
                },
            },
        }
    )
    resolved = options.as_dict()
    assert resolved["behaviors"]["B"]["max_steps"] == 10
    assert resolved["behaviors"]["B"]["hyperparameters"]["learning_rate"] == 3.0e-4
    assert resolved["env_settings"]["env_args"] == ["--x", "1"]
    assert resolved["environment_parameters"]["u"] == {
        "sampler_type": "uniform",
        "sampler_parameters": {"min_value": 1.0, "max_value": 1.0, "seed": -1},
    }
    assert resolved["environment_parameters"]["c"]["curriculum"][0]["value"] == 2.0
    assert RunOptions.from_dict(resolved) == options
    assert RunOptions.from_dict(yaml.safe_load(options.to_yaml())) == options


def test_overrides_by_dotted_path_or_run_setting_name():
    file_dict = {"env_settings": {"num_envs": 2}, "behaviors": {"B": {}}}
    options = RunOptions.from_dict(
        file_dict,
        overrides={
            "env_path": "3DBall",
            "run_id": "cli-run",
            "resume": True,
            "no_graphics": True,
            "device": "cpu",
            "debug": True,
            "env_settings.seed": 7,
            "behaviors.B.max_steps": 100,
        },
    )
    assert options.env_settings.env_path == "3DBall"
    assert (options.env_settings.num_envs, options.env_settings.seed) == (2, 7)
    assert options.checkpoint_settings.run_id == "cli-run"
    assert options.checkpoint_settings.resume is True
    assert options.engine_settings.no_graphics is True
    assert options.torch_settings.device == "cpu"
    assert options.debug is True
    assert options.behaviors["B"].max_steps == 100
    assert file_dict == {"env_settings": {"num_envs": 2}, "behaviors": {"B": {}}}  # untouched

    again = options.with_overrides(num_envs=4, time_scale=1)
    assert (again.env_settings.num_envs, again.engine_settings.time_scale) == (4, 1.0)
    assert again.checkpoint_settings.run_id == "cli-run"
    # Overrides are validated like the file, and named by their path.
    with pytest.raises(TrainerConfigError, match=r"^env_settings.num_envs: must be >= 1"):
        options.with_overrides(num_envs=0)
    with pytest.raises(TrainerConfigError, match=r"^num_env: unknown override"):
        options.with_overrides(num_env=3)


def test_load_config_with_overrides_lets_the_cli_supply_the_env(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("env_settings:\n  num_envs: 4\n", encoding="utf-8")
    with pytest.raises(TrainerConfigError, match="need an env_path"):
        load_config(path)
    assert load_config(path, overrides={"env_path": "3DBall"}).env_settings.num_envs == 4


def test_checkpoint_paths():
    settings = CheckpointSettings.from_dict(
        {"run_id": "r1", "initialize_from": "r0", "results_dir": "out"}
    )
    assert settings.write_path == Path("out") / "r1"
    assert settings.maybe_init_path == Path("out") / "r0"
    assert settings.run_logs_dir == Path("out") / "r1" / "run_logs"
    assert CheckpointSettings().maybe_init_path is None


# YAML files.


def test_yaml_tags_that_build_python_objects_are_refused(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.yaml"
    path.write_text(
        f"behaviors: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path"
        f" ['{marker}']]\n",
        encoding="utf-8",
    )
    with pytest.raises(TrainerConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: not a plain YAML configuration")
    assert "python/object" in str(info.value)
    assert not marker.exists()
    path.write_text("behaviors: !!python/object:collections.OrderedDict {}\n", encoding="utf-8")
    with pytest.raises(TrainerConfigError, match="not a plain YAML configuration"):
        load_config(path)


def test_file_errors_name_the_file_and_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("behaviors:\n  B:\n    max_step: 10\n", encoding="utf-8")
    with pytest.raises(TrainerConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: behaviors.B.max_step: unknown key; did you mean max_steps?"
    assert (info.value.path, info.value.source) == ("behaviors.B.max_step", str(path))
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(TrainerConfigError, match="expected a mapping"):
        load_config(path)


# Environment parameters on a real channel.


def received(channel: EnvironmentParametersChannel) -> EnvironmentParameters:
    """What an mlagents_sim environment reads from the channel's queued messages."""
    parameters = EnvironmentParameters()
    data = SideChannelManager([channel]).generate_side_channel_messages()
    SideChannelManager([EnvironmentParametersReceiver(parameters)]).process_side_channel_message(
        bytes(data)
    )
    return parameters


def parse_parameters(parameters: dict) -> dict:
    options = RunOptions.from_dict({"environment_parameters": parameters})
    assert options.environment_parameters is not None
    return options.environment_parameters


def test_constants_and_samplers_apply_to_the_channel():
    parameters = parse_parameters(
        {
            "mass": 2,
            "length": {"sampler_type": "constant", "sampler_parameters": {"value": 1.5}},
            "gravity": {
                "sampler_type": "uniform",
                "sampler_parameters": {"min_value": 7, "max_value": 12, "seed": 3},
            },
            "scale": {
                "sampler_type": "gaussian",
                "sampler_parameters": {"mean": 2.0, "st_dev": 0.5, "seed": 4},
            },
            "tiles": {
                "sampler_type": "multirangeuniform",
                "sampler_parameters": {"intervals": [[1, 2], [5, 6]], "seed": 5},
            },
        }
    )
    assert parameters["mass"] == ConstantSettings(value=2.0)
    assert parameters["gravity"] == UniformSettings(min_value=7.0, max_value=12.0, seed=3)
    assert parameters["scale"] == GaussianSettings(mean=2.0, st_dev=0.5, seed=4)
    assert parameters["tiles"] == MultiRangeUniformSettings(
        intervals=((1.0, 2.0), (5.0, 6.0)), seed=5
    )

    channel = EnvironmentParametersChannel()
    for key, settings in parameters.items():
        settings.apply(key, channel)

    # The bytes, read back field by field.
    messages = [IncomingMessage(payload) for payload in channel.message_queue]
    header = [(m.read_string(), m.read_int32()) for m in messages]
    assert header == [
        ("mass", EnvironmentDataTypes.FLOAT),
        ("length", EnvironmentDataTypes.FLOAT),
        ("gravity", EnvironmentDataTypes.SAMPLER),
        ("scale", EnvironmentDataTypes.SAMPLER),
        ("tiles", EnvironmentDataTypes.SAMPLER),
    ]
    mass, length, gravity, scale, tiles = messages
    assert (mass.read_float32(), length.read_float32()) == (2.0, 1.5)
    assert (gravity.read_int32(), gravity.read_int32()) == (3, SamplerTypes.UNIFORM)
    assert (gravity.read_float32(), gravity.read_float32()) == (7.0, 12.0)
    assert (scale.read_int32(), scale.read_int32()) == (4, SamplerTypes.GAUSSIAN)
    assert (scale.read_float32(), scale.read_float32()) == (2.0, 0.5)
    assert (tiles.read_int32(), tiles.read_int32()) == (5, SamplerTypes.MULTIRANGEUNIFORM)
    assert tiles.read_float32_list() == [1.0, 2.0, 5.0, 6.0]

    # And end to end, as an environment reads them.
    env_side = received(channel)
    assert (env_side.get("mass", 0.0), env_side.get("length", 0.0)) == (2.0, 1.5)
    draws = {key: [env_side.get(key, math.nan) for _ in range(200)] for key in env_side.keys()}  # noqa: SIM118
    assert all(7.0 <= x <= 12.0 for x in draws["gravity"])
    assert all(1.0 <= x <= 2.0 or 5.0 <= x <= 6.0 for x in draws["tiles"])
    assert abs(sum(draws["scale"]) / 200 - 2.0) < 0.2
    assert len(set(draws["gravity"])) > 100  # a new draw per read, not one value


def test_environment_parameters_go_through_the_env_manager_helper():
    from mlagents.trainers.env_manager import apply_environment_parameters

    parameters = parse_parameters(
        {
            "gravity": {"sampler_type": "uniform", "sampler_parameters": {"min_value": 0.5}},
            "scale": {
                "curriculum": [
                    {
                        "name": "small",
                        "value": 0.5,
                        "completion_criteria": {"behavior": "B", "threshold": 1},
                    },
                    {"name": "big", "value": 2.0},
                ]
            },
        }
    )
    channel = EnvironmentParametersChannel()
    apply_environment_parameters(lesson_values(parameters, {"scale": 1}), channel)
    env_side = received(channel)
    assert env_side.get("scale", 0.0) == 2.0
    assert all(0.5 <= env_side.get("gravity", 0.0) <= 1.0 for _ in range(50))

    # A curriculum applies its first lesson unless told another.
    channel = EnvironmentParametersChannel()
    apply_environment_parameters(parameters, channel)
    assert received(channel).get("scale", 0.0) == 0.5


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (
            {
                "g": {
                    "sampler_type": "uniform",
                    "sampler_parameters": {"min_value": 3, "max_value": 1},
                }
            },
            "environment_parameters.g.sampler_parameters.min_value: 3.0 is greater than max_value",
        ),
        (
            {"g": {"sampler_type": "gaussian", "sampler_parameters": {"st_dev": -1}}},
            "environment_parameters.g.sampler_parameters.st_dev: must be >= 0",
        ),
        (
            {"g": {"sampler_type": "uniformm", "sampler_parameters": {}}},
            "environment_parameters.g.sampler_type: 'uniformm' is not one of: constant, uniform",
        ),
        (
            {"g": {"sampler_type": "uniform"}},
            "environment_parameters.g.sampler_parameters: missing; this key is required",
        ),
        (
            {"g": {"sampler_type": "uniform", "sampler_parameters": {"max_value": 2}}},
            "environment_parameters.g.sampler_parameters.min_value: missing",
        ),
        (
            {"g": {"sampler_type": "uniform", "sampler_parameters": {"min": 1}}},
            "environment_parameters.g.sampler_parameters.min: unknown key",
        ),
        (
            {"g": {"sampler_type": "multirangeuniform", "sampler_parameters": {"intervals": []}}},
            "environment_parameters.g.sampler_parameters.intervals: give at least one",
        ),
        (
            {
                "g": {
                    "sampler_type": "multirangeuniform",
                    "sampler_parameters": {"intervals": [[1, 2], [4, 3]]},
                }
            },
            "environment_parameters.g.sampler_parameters.intervals[1]: min 4.0 is greater",
        ),
        (
            {
                "g": {
                    "sampler_type": "multirangeuniform",
                    "sampler_parameters": {"intervals": [[1]]},
                }
            },
            "environment_parameters.g.sampler_parameters.intervals[0]: expected 2 items, got 1",
        ),
        ({"g": "heavy"}, "environment_parameters.g: expected a number or a sampler"),
        ({"g": {"value": 1}}, "environment_parameters.g.value: unknown key; expected a number"),
        ({"g": {"curriculum": []}}, "environment_parameters.g.curriculum: expected a list of"),
        (
            {"g": {"curriculum": [{"name": "a", "value": 1}, {"name": "b", "value": 2}]}},
            "environment_parameters.g.curriculum[0].completion_criteria: missing; every lesson",
        ),
        (
            {"g": {"curriculum": [{"value": 1}]}},
            "environment_parameters.g.curriculum[0].name: missing",
        ),
        (
            {
                "g": {
                    "curriculum": [
                        {
                            "name": "a",
                            "value": 1,
                            "completion_criteria": {
                                "behavior": "B",
                                "measure": "progress",
                                "threshold": 2,
                            },
                        },
                        {"name": "b", "value": 2},
                    ]
                }
            },
            "environment_parameters.g.curriculum[0].completion_criteria.threshold: a progress",
        ),
        (
            {
                "g": {
                    "curriculum": [
                        {"name": "a", "value": 1, "completion_criteria": {"threshold": 2}},
                        {"name": "b", "value": 2},
                    ]
                }
            },
            "environment_parameters.g.curriculum[0].completion_criteria.behavior: missing",
        ),
        (
            {
                "g": {
                    "curriculum": [
                        {
                            "name": "a",
                            "value": 1,
                            "completion_criteria": {"behavior": "B", "measure": "Elo"},
                        },
                        {"name": "b", "value": 2},
                    ]
                }
            },
            "environment_parameters.g.curriculum[0].completion_criteria.measure: Elo rates "
            "self-play, but behavior 'B' has no self_play settings",
        ),
        (
            {"g": {"curriculum": [{"name": "a", "value": {"curriculum": []}}]}},
            "environment_parameters.g.curriculum[0].value: a lesson's value cannot be a curriculum",
        ),
    ],
)
def test_environment_parameter_errors_name_the_key_path(parameters, expected):
    assert parse_error({"environment_parameters": parameters}).startswith(expected)


def test_samplers_without_a_seed_get_one_from_the_run():
    parameters = parse_parameters(
        {
            "a": {"sampler_type": "uniform", "sampler_parameters": {"min_value": 0}},
            "b": {"sampler_type": "gaussian", "sampler_parameters": {"seed": 99}},
            "c": 1.0,
            "d": {
                "curriculum": [
                    {
                        "name": "x",
                        "value": {
                            "sampler_type": "uniform",
                            "sampler_parameters": {"min_value": 0},
                        },
                        "completion_criteria": {"behavior": "B"},
                    },
                    {"name": "y", "value": 2.0},
                ]
            },
        }
    )
    seeded = seed_samplers(parameters, run_seed=10)
    assert seeded["a"] == UniformSettings(min_value=0.0, seed=10)
    assert seeded["b"] == parameters["b"]  # chosen in the file
    assert seeded["c"] == ConstantSettings(value=1.0)
    assert isinstance(seeded["d"], CurriculumSettings)
    assert seeded["d"].at(0) == UniformSettings(min_value=0.0, seed=13)
    assert seed_samplers(None, 0) == {}


# Curricula.


def curriculum(*criteria: dict) -> CurriculumSettings:
    lessons = [
        {"name": f"L{i}", "value": float(i), "completion_criteria": {"behavior": "B", **c}}
        for i, c in enumerate(criteria)
    ]
    lessons.append({"name": "last", "value": 99.0})
    parsed = parse_parameters({"p": {"curriculum": lessons}})["p"]
    assert isinstance(parsed, CurriculumSettings)
    return parsed


def test_reward_lessons_complete_on_the_smoothed_mean_reward():
    c = curriculum({"measure": "reward", "threshold": 0.5, "min_lesson_length": 3})
    # Fewer episodes than min_lesson_length: no change, whatever the reward.
    assert c.update(0, progress=0.9, rewards=[1.0, 1.0]) == (0, 0.0, False, False)
    # Smoothed: 0.25 * previous + 0.75 * mean.
    first = c.update(0, progress=0.0, rewards=[0.6, 0.6, 0.6])
    assert first.lesson == 0 and not first.changed
    assert first.smoothing == pytest.approx(0.45)
    second = c.update(0, progress=0.0, rewards=[0.6, 0.6, 0.6], smoothing=first.smoothing)
    assert second.smoothing == pytest.approx(0.25 * 0.45 + 0.75 * 0.6)
    assert (second.lesson, second.changed, second.require_reset) == (1, True, False)
    assert c.at(second.lesson) == ConstantSettings(value=99.0)


def test_unsmoothed_reward_and_progress_lessons():
    c = curriculum(
        {"measure": "reward", "threshold": 0.5, "signal_smoothing": False},
        {"measure": "progress", "threshold": 0.3, "require_reset": True},
    )
    assert c.update(0, progress=0.0, rewards=[]).changed is False  # no episode yet
    assert c.update(0, progress=0.0, rewards=[0.4, 0.7]).lesson == 1  # mean 0.55
    assert c.update(1, progress=0.3, rewards=[]).changed is False  # strictly above
    assert c.update(1, progress=0.31, rewards=[]) == (2, 0.0, True, True)
    # The last lesson never ends.
    assert c.update(2, progress=1.0, rewards=[100.0] * 1000) == (2, 0.0, False, False)


def test_criteria_on_the_last_lesson_are_kept_but_never_used(caplog):
    lessons = [
        {"name": "a", "value": 1.0, "completion_criteria": {"behavior": "B"}},
        {"name": "b", "value": 2.0, "completion_criteria": {"behavior": "B"}},
    ]
    options = RunOptions.from_dict({"environment_parameters": {"p": {"curriculum": lessons}}})
    assert "environment_parameters.p.curriculum: the last lesson's" in caplog.text
    p = (options.environment_parameters or {})["p"]
    assert isinstance(p, CurriculumSettings)
    assert p.update(1, progress=1.0, rewards=[5.0]).changed is False
    assert RunOptions.from_dict(options.as_dict()) == options


def test_lesson_values_pick_each_parameters_current_lesson():
    parameters = parse_parameters(
        {
            "gravity": 9.81,
            "scale": {
                "curriculum": [
                    {
                        "name": "a",
                        "value": 1.0,
                        "completion_criteria": {"behavior": "B", "threshold": 1},
                    },
                    {"name": "b", "value": 2.0},
                ]
            },
        }
    )
    assert lesson_values(parameters) == {
        "gravity": ConstantSettings(value=9.81),
        "scale": ConstantSettings(value=1.0),
    }
    assert lesson_values(parameters, {"scale": 1})["scale"] == ConstantSettings(value=2.0)
    assert lesson_values(None) == {}


def test_sorter_config_curriculum_advances_with_progress():
    options = load_config(CONFIG_DIR / "Sorter.yaml")
    tiles = (options.environment_parameters or {})["num_tiles"]
    assert isinstance(tiles, CurriculumSettings)
    lesson, seen = 0, []
    for step in range(0, 2_000_001, 10_000):
        update = tiles.update(lesson, progress=step / 2_000_000, rewards=[0.0] * 100)
        lesson = update.lesson
        seen.append(lesson)
    assert sorted(set(seen)) == [0, 1, 2, 3]
    assert seen == sorted(seen)  # one lesson at a time, never back
    assert tiles.at(3) == UniformSettings(min_value=0.5, max_value=20.5)
