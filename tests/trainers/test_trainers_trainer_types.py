"""Trainer types: hyperparameters chosen by trainer_type, SAC's settings, the registry with its
entry-point group mlagents.trainer_type (real distributions on sys.path), and upstream's SAC
configurations."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import mlagents.plugins.trainer_type as trainer_type_module
from mlagents.plugins.trainer_type import register_trainer_plugins, register_trainer_type
from mlagents.trainers import settings as settings_module
from mlagents.trainers.ppo.settings import PPOSettings
from mlagents.trainers.ppo.trainer import PPOTrainer
from mlagents.trainers.sac.settings import SACSettings
from mlagents.trainers.settings import (
    HyperparamSettings,
    RunOptions,
    TrainerConfigError,
    TrainerSettings,
    load_config,
)

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_SAC = Path(__file__).resolve().parent / "upstream_configs" / "sac"
# Pyramids.yaml (GAIL, with a demonstration file) is parsed and trained by
# test_trainers_upstream_signal_configs.py.
UPSTREAM_SAC_FILES = sorted(p for p in UPSTREAM_SAC.glob("*.yaml") if p.stem != "Pyramids")


@pytest.fixture
def fresh_registry():
    """The registry loaded anew in the test, and forgotten after it (with its modules)."""
    modules = set(sys.modules)
    register_trainer_plugins.cache_clear()
    yield
    register_trainer_plugins.cache_clear()
    for name in set(sys.modules) - modules:
        if name.startswith("mlagents_test_plugin"):
            del sys.modules[name]


def behavior(config: dict, name: str = "B") -> TrainerSettings:
    return RunOptions.from_dict({"behaviors": {name: config}}).behaviors[name]


def parse_error(config: dict) -> str:
    with pytest.raises(TrainerConfigError) as info:
        RunOptions.from_dict(config)
    return str(info.value)


# Hyperparameters by trainer_type.


def test_ppo_is_the_default_type_and_its_settings_are_ppos():
    trainers, settings = register_trainer_plugins()
    assert (trainers["ppo"], settings["ppo"]) == (PPOTrainer, PPOSettings)
    default = TrainerSettings()
    assert default.trainer_type == "ppo"
    assert type(default.hyperparameters) is PPOSettings
    assert type(behavior({}).hyperparameters) is PPOSettings
    assert issubclass(PPOSettings, HyperparamSettings)


def test_sac_has_ml_agents_0_28_defaults():
    settings = behavior({"trainer_type": "sac"})
    h = settings.hyperparameters
    assert type(h) is SACSettings
    assert h.as_dict() == {
        "batch_size": 128,
        "buffer_size": 50000,
        "learning_rate": 3.0e-4,
        "learning_rate_schedule": "constant",
        "buffer_init_steps": 0,
        "tau": 0.005,
        "steps_per_update": 1.0,
        "save_replay_buffer": False,
        "init_entcoef": 1.0,
        "reward_signal_steps_per_update": 1.0,
    }
    assert TrainerSettings(trainer_type="sac").hyperparameters == h


def test_reward_signal_steps_per_update_follows_steps_per_update_unless_given():
    h = behavior({"trainer_type": "sac", "hyperparameters": {"steps_per_update": 10}})
    assert (
        h.hyperparameters.steps_per_update,
        h.hyperparameters.reward_signal_steps_per_update,
    ) == (
        10.0,
        10.0,
    )
    given = {"steps_per_update": 20, "reward_signal_steps_per_update": 5}
    h = behavior({"trainer_type": "sac", "hyperparameters": given})
    assert h.hyperparameters.reward_signal_steps_per_update == 5.0
    assert SACSettings(steps_per_update=4.0).reward_signal_steps_per_update == 4.0


def test_sac_settings_round_trip_through_the_resolved_yaml(tmp_path):
    options = RunOptions.from_dict(
        {
            "behaviors": {
                "S": {"trainer_type": "sac", "hyperparameters": {"tau": 0.01, "batch_size": 4}},
                "P": {"hyperparameters": {"beta": 0.01}},
            }
        }
    )
    resolved = options.as_dict()
    assert resolved["behaviors"]["S"]["trainer_type"] == "sac"
    assert set(resolved["behaviors"]["S"]["hyperparameters"]) == set(
        SACSettings.__dataclass_fields__
    )
    assert RunOptions.from_dict(resolved) == options
    options.save(tmp_path / "configuration.yaml")
    again = load_config(tmp_path / "configuration.yaml")
    assert again == options
    assert type(again.behaviors["S"].hyperparameters) is SACSettings
    assert type(again.behaviors["P"].hyperparameters) is PPOSettings


def test_a_batch_larger_than_the_buffer_is_refused_by_both():
    hyper = {"batch_size": 512, "buffer_size": 256}
    assert "never update" in parse_error(
        {"behaviors": {"B": {"trainer_type": "sac", "hyperparameters": hyper}}}
    )
    assert "is larger than buffer_size" in parse_error(
        {"behaviors": {"B": {"trainer_type": "ppo", "hyperparameters": hyper}}}
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"trainer_type": "sac", "hyperparameters": {"beta": 0.01}},
            "behaviors.B.hyperparameters.beta: unknown key; it is a POCA or PPO hyperparameter; "
            "set trainer_type: poca or ppo",
        ),
        (
            {"trainer_type": "sac", "hyperparameters": {"num_epoch": 3}},
            "behaviors.B.hyperparameters.num_epoch: unknown key; it is a POCA or PPO "
            "hyperparameter",
        ),
        (
            {"hyperparameters": {"buffer_init_steps": 100}},
            "behaviors.B.hyperparameters.buffer_init_steps: unknown key; it is a SAC "
            "hyperparameter; set trainer_type: sac",
        ),
        (
            {"trainer_type": "sac", "tau": 0.01},
            "behaviors.B.tau: unknown key; it belongs under hyperparameters",
        ),
        (
            {"trainer_type": "sac", "hyperparameters": {"tua": 0.01}},
            "behaviors.B.hyperparameters.tua: unknown key; did you mean tau?",
        ),
        (
            {"trainer_type": "sax"},
            "behaviors.B.trainer_type: 'sax' is not a registered trainer type; the known ones "
            "are: poca, ppo, sac (did you mean sac?; trainers of other packages register "
            "through the entry-point group mlagents.trainer_type)",
        ),
        ({"trainer_type": 5}, "behaviors.B.trainer_type: expected a string, got 5 (int)"),
        (
            {"trainer_type": "sac", "hyperparameters": {"tau": 0}},
            "behaviors.B.hyperparameters.tau: must be > 0, got 0.0",
        ),
        (
            {"trainer_type": "sac", "hyperparameters": {"steps_per_update": -1}},
            "behaviors.B.hyperparameters.steps_per_update: must be > 0, got -1.0",
        ),
        (
            {"trainer_type": "sac", "hyperparameters": {"save_replay_buffer": "yes"}},
            "behaviors.B.hyperparameters.save_replay_buffer: expected true or false",
        ),
    ],
)
def test_errors_name_the_trainer_type_a_key_needs(config, expected):
    assert parse_error({"behaviors": {"B": config}}).startswith(expected)


def test_settings_built_in_code_are_checked_against_their_trainer_type():
    with pytest.raises(TrainerConfigError, match="PPOSettings given, but trainer_type 'sac'"):
        TrainerSettings(trainer_type="sac", hyperparameters=PPOSettings())
    with pytest.raises(TrainerConfigError, match="'nope' is not a registered trainer type"):
        TrainerSettings(trainer_type="nope")


# default_settings across trainer types.


def test_a_behavior_of_another_type_than_default_settings_gets_its_own_hyperparameters():
    options = RunOptions.from_dict(
        {
            "default_settings": {
                "hyperparameters": {"batch_size": 32, "beta": 0.01},
                "max_steps": 1000,
            },
            "behaviors": {
                "P": {"hyperparameters": {"num_epoch": 5}},
                "S": {"trainer_type": "sac", "hyperparameters": {"tau": 0.01}},
                "T": {"trainer_type": "sac"},
            },
        }
    )
    p, s, t = (options.behaviors[name] for name in "PST")
    assert (p.hyperparameters.batch_size, p.hyperparameters.beta) == (32, 0.01)
    assert p.hyperparameters.num_epoch == 5
    assert type(s.hyperparameters) is SACSettings
    assert (s.hyperparameters.tau, s.hyperparameters.batch_size) == (0.01, 128)
    assert t.hyperparameters == SACSettings()
    # The rest of default_settings still applies.
    assert p.max_steps == s.max_steps == t.max_steps == 1000


def test_default_settings_of_sac_merge_key_by_key_and_a_ppo_behavior_leaves_them():
    options = RunOptions.from_dict(
        {
            "default_settings": {
                "trainer_type": "sac",
                "hyperparameters": {"tau": 0.02, "buffer_size": 1000},
            },
            "behaviors": {
                "S": {"hyperparameters": {"init_entcoef": 0.5}},
                "P": {"trainer_type": "ppo"},
            },
        }
    )
    s, p = options.behaviors["S"], options.behaviors["P"]
    assert (s.hyperparameters.tau, s.hyperparameters.buffer_size) == (0.02, 1000)
    assert s.hyperparameters.init_entcoef == 0.5
    assert p.hyperparameters == PPOSettings()
    assert options.settings_for("Unlisted") == options.default_settings
    assert RunOptions.from_dict(options.as_dict()) == options


# The registry.


def test_registering_at_run_time(fresh_registry):
    class Trainer:
        pass

    register_trainer_type("runtime_type", Trainer, SACSettings)
    register_trainer_type("runtime_type", Trainer, SACSettings)  # the same again: nothing
    trainers, settings = register_trainer_plugins()
    assert (trainers["runtime_type"], settings["runtime_type"]) == (Trainer, SACSettings)
    assert type(behavior({"trainer_type": "runtime_type"}).hyperparameters) is SACSettings
    with pytest.raises(ValueError, match="'ppo' is already registered with PPOTrainer"):
        register_trainer_type("ppo", Trainer, PPOSettings)
    with pytest.raises(TypeError, match="must be a dataclass subclass of HyperparamSettings"):
        register_trainer_type("bad", Trainer, dict)  # type: ignore[arg-type]


def write_module(root: Path, name: str, source: str) -> None:
    (root / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")


def write_distribution(root: Path, name: str, entry_points: dict[str, str]) -> None:
    """An installed distribution as importlib.metadata finds it on sys.path."""
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8"
    )
    lines = [f"{key} = {value}" for key, value in entry_points.items()]
    (info / "entry_points.txt").write_text(
        "[mlagents.trainer_type]\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )


PLUGIN = """
    from __future__ import annotations

    from dataclasses import dataclass, field

    from mlagents.trainers.settings_schema import in_range
    from mlagents.trainers.trainer_settings import HyperparamSettings


    @dataclass(frozen=True, kw_only=True)
    class MyPluginSettings(HyperparamSettings):
        horizon: int = field(default=7, metadata=in_range(ge=1))


    class MyPluginTrainer:
        pass


    def get_type_and_setting():
        return {"my_plugin_type": MyPluginTrainer}, {"my_plugin_type": MyPluginSettings}
"""


def test_a_plugin_installed_through_the_entry_point_group(
    tmp_path, monkeypatch, caplog, fresh_registry
):
    write_module(tmp_path, "mlagents_test_plugin_good", PLUGIN)
    write_distribution(
        tmp_path,
        "mlagents_test_plugin_good",
        {
            "my_plugin_type": "mlagents_test_plugin_good:get_type_and_setting",
            # This package's own entry point, as its installed metadata declares it.
            "ppo": "mlagents.trainers.ppo.trainer:get_type_and_setting",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="mlagents.plugins.trainer_type"):
        trainers, settings = register_trainer_plugins()
    assert caplog.records == []
    assert trainers["my_plugin_type"].__module__ == "mlagents_test_plugin_good"
    assert (trainers["ppo"], settings["ppo"]) == (PPOTrainer, PPOSettings)

    options = RunOptions.from_dict(
        {
            "behaviors": {
                "B": {"trainer_type": "my_plugin_type", "hyperparameters": {"horizon": 9}},
            }
        }
    )
    h = options.behaviors["B"].hyperparameters
    assert type(h) is settings["my_plugin_type"]
    assert (h.horizon, h.batch_size, h.learning_rate_schedule) == (9, 1024, "constant")
    assert RunOptions.from_dict(options.as_dict()) == options
    assert parse_error(
        {"behaviors": {"B": {"trainer_type": "my_plugin_type", "hyperparameters": {"horizon": 0}}}}
    ).startswith("behaviors.B.hyperparameters.horizon: must be >= 1")
    # The plugin's keys are named under another type.
    assert parse_error({"behaviors": {"B": {"hyperparameters": {"horizon": 9}}}}).startswith(
        "behaviors.B.hyperparameters.horizon: unknown key; it is a MyPlugin hyperparameter; "
        "set trainer_type: my_plugin_type"
    )


def test_broken_plugins_are_logged_and_skipped(tmp_path, monkeypatch, caplog, fresh_registry):
    write_module(tmp_path, "mlagents_test_plugin_good", PLUGIN)
    write_module(tmp_path, "mlagents_test_plugin_broken", "import mlagents_no_such_module\n")
    write_module(
        tmp_path,
        "mlagents_test_plugin_odd",
        """
        from mlagents.trainers.ppo.settings import PPOSettings


        class Impostor:
            pass


        def malformed():
            return {"odd": Impostor}


        def takes_ppo():
            return {"ppo": Impostor}, {"ppo": PPOSettings}
        """,
    )
    write_distribution(
        tmp_path,
        "mlagents_test_plugin_good",
        {"my_plugin_type": "mlagents_test_plugin_good:get_type_and_setting"},
    )
    write_distribution(
        tmp_path,
        "mlagents_test_plugin_broken",
        {
            "broken_type": "mlagents_test_plugin_broken:get_type_and_setting",
            "odd_type": "mlagents_test_plugin_odd:malformed",
            "impostor": "mlagents_test_plugin_odd:takes_ppo",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="mlagents.plugins.trainer_type"):
        trainers, settings = register_trainer_plugins()
    assert "my_plugin_type" in settings  # the good one still loads
    assert (trainers["ppo"], settings["ppo"]) == (PPOTrainer, PPOSettings)  # not replaced
    assert {"broken_type", "odd_type", "odd"}.isdisjoint(settings)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3, messages
    (broken,) = [m for m in messages if "broken_type" in m]
    (odd,) = [m for m in messages if "odd_type" in m]
    (impostor,) = [m for m in messages if "impostor" in m]
    assert "entry point broken_type = mlagents_test_plugin_broken:get_type_and_setting" in broken
    assert "of mlagents_test_plugin_broken" in broken
    assert "ModuleNotFoundError" in broken and "mlagents_no_such_module" in broken
    assert "entry point odd_type" in odd and "not two mappings" in odd
    assert "Trainer type 'ppo' of entry point impostor" in impostor
    assert "keeping that one" in impostor


def test_a_built_in_type_that_fails_to_import_raises(tmp_path, monkeypatch, caplog, fresh_registry):
    # A built-in is part of this package: failing to import it is a broken install.
    write_module(tmp_path, "mlagents_test_plugin_builtin", "import mlagents_no_such_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(
        trainer_type_module,
        "BUILT_IN_TRAINER_TYPES",
        ("mlagents_test_plugin_builtin:get_type_and_setting",),
    )
    register_trainer_plugins.cache_clear()
    with pytest.raises(ModuleNotFoundError, match="mlagents_no_such_module"):
        register_trainer_plugins()


def test_importing_the_settings_loads_no_trainer():
    # Trainer modules import the settings: the registry must be read at parse time only.
    code = (
        "import sys, mlagents.trainers.settings as s\n"
        "assert not [m for m in sys.modules if m.startswith('mlagents.trainers.ppo')], 'early'\n"
        "assert 'torch' not in sys.modules, 'torch'\n"
        "s.RunOptions.from_dict({'behaviors': {'B': {}}})\n"
        "assert 'mlagents.trainers.ppo.trainer' in sys.modules, 'late'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_settings_module_keeps_its_public_names():
    for name in settings_module.__all__:
        assert hasattr(settings_module, name), name
    assert not hasattr(settings_module, "PPOSettings")


@pytest.mark.parametrize(
    ("package", "names"),
    [
        ("ppo", ("PPOSettings", "PPOTrainer", "PPOOptimizer")),
        ("sac", ("SACSettings", "SACTrainer", "SACOptimizer")),
    ],
)
def test_nothing_outside_a_trainers_package_names_it(package, names):
    own = ROOT / "src/mlagents/trainers" / package
    outside = [
        (str(path.relative_to(ROOT)), name)
        for path in (ROOT / "src").rglob("*.py")
        if own not in path.parents
        for name in names
        if name in path.read_text(encoding="utf-8")
    ]
    assert outside == []


# Upstream's SAC configurations with the extrinsic reward only (no memory).


def test_the_upstream_sac_folder_has_the_configs_it_lists():
    assert {path.stem for path in UPSTREAM_SAC.glob("*.yaml")} == {
        *(path.stem for path in UPSTREAM_SAC_FILES),
        "Pyramids",
    }
    names = {path.stem for path in UPSTREAM_SAC_FILES}
    assert names == {
        "3DBall",
        "3DBallHard",
        "Basic",
        "Crawler",
        "FoodCollector",
        "GridWorld",
        "PushBlock",
        "Walker",
        "WallJump",
        "Worm",
    }


@pytest.mark.parametrize("path", UPSTREAM_SAC_FILES, ids=lambda p: p.name)
def test_upstream_sac_configs_parse_with_every_value_read(path, tmp_path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    options = load_config(path)
    assert set(options.behaviors) == set(raw["behaviors"])
    for name, settings in options.behaviors.items():
        given = raw["behaviors"][name]
        assert settings.trainer_type == "sac"
        assert type(settings.hyperparameters) is SACSettings
        resolved = settings.as_dict()
        for key, value in given.items():
            if isinstance(value, dict):  # sections: every key given is read as given
                for sub, item in value.items():
                    assert resolved[key][sub] == item, (name, key, sub)
            else:
                assert resolved[key] == value, (name, key)
    assert RunOptions.from_dict(options.as_dict()) == options
    # Unknown keys are still refused with their path.
    first = next(iter(raw["behaviors"]))
    raw["behaviors"][first]["hyperparameters"]["tua"] = 0.01
    (tmp_path / path.name).write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(TrainerConfigError) as info:
        load_config(tmp_path / path.name)
    assert info.value.path == f"behaviors.{first}.hyperparameters.tua"


def test_upstream_sac_values():
    ball = load_config(UPSTREAM_SAC / "3DBall.yaml").behaviors["3DBall"].hyperparameters
    assert (ball.tau, ball.steps_per_update, ball.init_entcoef) == (0.005, 10.0, 0.5)
    assert (ball.batch_size, ball.buffer_size, ball.buffer_init_steps) == (64, 200000, 0)
    assert (ball.learning_rate_schedule, ball.save_replay_buffer) == ("constant", False)
    jump = load_config(UPSTREAM_SAC / "WallJump.yaml").behaviors
    big = jump["BigWallJump"].hyperparameters
    assert (big.steps_per_update, big.reward_signal_steps_per_update) == (20.0, 10.0)
    grid = load_config(UPSTREAM_SAC / "GridWorld.yaml").behaviors["GridWorld"]
    assert (grid.hyperparameters.buffer_init_steps, grid.reward_signals["extrinsic"].gamma) == (
        1000,
        0.9,
    )
