"""The settings of reward signals and behavioral cloning: upstream's defaults, each field
where it acts, errors that name the key path, and the resolved configuration read back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlagents.trainers.settings import (
    BehavioralCloningSettings,
    CuriositySettings,
    GAILSettings,
    NetworkSettings,
    RewardSignalSettings,
    RNDSettings,
    RunOptions,
    TrainerConfigError,
    TrainerSettings,
)


def behavior(**settings: object) -> TrainerSettings:
    return RunOptions.from_dict({"behaviors": {"B": settings}}).behaviors["B"]


def parse_error(**settings: object) -> str:
    with pytest.raises(TrainerConfigError) as info:
        behavior(**settings)
    return str(info.value)


@pytest.fixture
def demo(tmp_path: Path) -> str:
    path = tmp_path / "expert.demo"
    path.write_bytes(b"")  # only its existence is checked when the settings are read
    return str(path)


def test_each_signal_has_upstreams_defaults(demo: str) -> None:
    signals = behavior(
        reward_signals={
            "extrinsic": None,
            "curiosity": None,
            "rnd": None,
            "gail": {"demo_path": demo},
        }
    ).reward_signals
    assert signals["extrinsic"] == RewardSignalSettings(gamma=0.99, strength=1.0)
    network = NetworkSettings()  # 128 units, 2 layers, not normalized
    assert signals["curiosity"] == CuriositySettings(learning_rate=3e-4, network_settings=network)
    assert signals["rnd"] == RNDSettings(learning_rate=1e-4, network_settings=network)
    assert signals["gail"] == GAILSettings(
        demo_path=demo, learning_rate=3e-4, use_actions=False, use_vail=False
    )
    assert (signals["gail"].gamma, signals["gail"].strength) == (0.99, 1.0)
    assert signals["curiosity"].encoding_size is None


def test_behavioral_cloning_has_upstreams_defaults(demo: str) -> None:
    assert behavior().behavioral_cloning is None
    assert behavior(behavioral_cloning=None).behavioral_cloning is None
    cloning = behavior(behavioral_cloning={"demo_path": demo}).behavioral_cloning
    assert cloning == BehavioralCloningSettings(
        demo_path=demo, steps=0, strength=1.0, samples_per_update=0
    )
    assert (cloning.num_epoch, cloning.batch_size) == (None, None)  # the trainer decides


def test_network_settings_of_a_learned_signal_are_its_own() -> None:
    signals = behavior(
        network_settings={"hidden_units": 64},
        reward_signals={
            "extrinsic": {"network_settings": {"hidden_units": 16}},  # no network: dropped
            "rnd": {"network_settings": {"hidden_units": 32, "num_layers": 3, "normalize": True}},
        },
    ).reward_signals
    assert signals["rnd"].network_settings == NetworkSettings(
        hidden_units=32, num_layers=3, normalize=True
    )
    assert not hasattr(signals["extrinsic"], "network_settings")


def test_encoding_size_is_the_older_name_of_hidden_units() -> None:
    curiosity = behavior(reward_signals={"curiosity": {"encoding_size": 64}}).reward_signals[
        "curiosity"
    ]
    assert curiosity.network_settings.hidden_units == 64
    same = {"encoding_size": 64, "network_settings": {"hidden_units": 64, "num_layers": 1}}
    assert behavior(reward_signals={"gail": same | {"demo_path": __file__}}).reward_signals[
        "gail"
    ].network_settings == NetworkSettings(hidden_units=64, num_layers=1)
    clash = {"encoding_size": 64, "network_settings": {"hidden_units": 32}}
    assert parse_error(reward_signals={"rnd": clash}).startswith(
        "behaviors.B.reward_signals.rnd.encoding_size: 64 disagrees with "
        "behaviors.B.reward_signals.rnd.network_settings.hidden_units (32)"
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"reward_signals": {"gail": {"strength": 0.1}}},
            "behaviors.B.reward_signals.gail.demo_path: missing; this key is required",
        ),
        (
            {"reward_signals": {"gail": {"demo_path": "nowhere/expert.demo"}}},
            "behaviors.B.reward_signals.gail.demo_path: 'nowhere/expert.demo' does not exist",
        ),
        (
            {"behavioral_cloning": {"demo_path": "nowhere/expert.demo"}},
            "behaviors.B.behavioral_cloning.demo_path: 'nowhere/expert.demo' does not exist",
        ),
        (
            {"behavioral_cloning": {"strength": 0.5}},
            "behaviors.B.behavioral_cloning.demo_path: missing; this key is required",
        ),
        (
            {"behavioral_cloning": {"demo_path": __file__, "steps": -1}},
            "behaviors.B.behavioral_cloning.steps: must be >= 0, got -1",
        ),
        (
            {"behavioral_cloning": {"demo_path": __file__, "num_epoch": 0}},
            "behaviors.B.behavioral_cloning.num_epoch: must be >= 1, got 0",
        ),
        (
            {"behavioral_cloning": {"demo_path": __file__, "batch_sise": 8}},
            "behaviors.B.behavioral_cloning.batch_sise: unknown key; did you mean batch_size?",
        ),
        (
            {"reward_signals": {"curiosity": {"learning_rat": 0.1}}},
            "behaviors.B.reward_signals.curiosity.learning_rat: unknown key; did you mean "
            "learning_rate?",
        ),
        (
            {"reward_signals": {"rnd": {"learning_rate": 0}}},
            "behaviors.B.reward_signals.rnd.learning_rate: must be > 0, got 0",
        ),
        (
            {"reward_signals": {"gail": {"demo_path": __file__, "use_vail": "yes"}}},
            "behaviors.B.reward_signals.gail.use_vail: expected true or false, got 'yes'",
        ),
        (
            {"reward_signals": {"curiosity": {"network_settings": {"hidden_unit": 8}}}},
            "behaviors.B.reward_signals.curiosity.network_settings.hidden_unit: unknown key",
        ),
        (
            {"reward_signals": {"rnd": {"network_settings": {"deterministic": True}}}},
            "behaviors.B.reward_signals.rnd.network_settings.deterministic: a reward signal's "
            "network takes no actions",
        ),
        (
            {"reward_signals": {"extrinsic": {"use_actions": True}}},
            "behaviors.B.reward_signals.extrinsic.use_actions: unknown key",
        ),
        (
            {"reward_signals": {"curiosty": None}},
            "behaviors.B.reward_signals.curiosty: 'curiosty' is not one of: extrinsic, "
            "curiosity, gail, rnd; did you mean curiosity?",
        ),
    ],
)
def test_signal_and_cloning_errors_name_the_key_path(settings: dict, expected: str) -> None:
    assert parse_error(**settings).startswith(expected)


def test_the_resolved_configuration_reads_back_equal(demo: str) -> None:
    settings = behavior(
        reward_signals={
            "extrinsic": {"gamma": 0.9},
            "curiosity": {"strength": 0.02, "encoding_size": 32},
            "gail": {"demo_path": demo, "use_actions": True, "use_vail": True},
        },
        behavioral_cloning={"demo_path": demo, "steps": 1000, "num_epoch": 2},
    )
    resolved = yaml.safe_load(yaml.safe_dump(settings.as_dict()))
    assert TrainerSettings.from_dict(resolved) == settings
    assert resolved["behavioral_cloning"]["batch_size"] is None


def test_an_upstream_resolved_configuration_with_imitation_is_accepted(demo: str) -> None:
    # What upstream mlagents-learn writes for a signal with a network and for cloning.
    network = (
        "{normalize: false, hidden_units: 128, num_layers: 2, vis_encode_type: simple, "
        "memory: null, goal_conditioning_type: hyper, deterministic: false}"
    )
    text = f"""
reward_signals:
  extrinsic: {{gamma: 0.99, strength: 1.0, network_settings: {network}}}
  gail: {{gamma: 0.99, strength: 0.01, network_settings: {network}, learning_rate: 0.0003,
    encoding_size: null, use_actions: false, use_vail: false, demo_path: {demo}}}
  curiosity: {{gamma: 0.99, strength: 0.02, network_settings: {network},
    learning_rate: 0.0003, encoding_size: null}}
behavioral_cloning: {{demo_path: {demo}, steps: 150000, strength: 0.5, samples_per_update: 0,
  num_epoch: null, batch_size: null}}
"""
    settings = behavior(**yaml.safe_load(text))
    assert settings.reward_signals["gail"].strength == 0.01
    assert settings.behavioral_cloning is not None
    assert settings.behavioral_cloning.steps == 150000
