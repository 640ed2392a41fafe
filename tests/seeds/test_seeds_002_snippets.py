"""Seed 002's Python examples, as written, on built-in environments.

What changes in a snippet is listed where it runs: the port (a free one, since tests run in
parallel: `UnityEnvironment.DEFAULT_EDITOR_PORT` itself points at it, so the snippets keep
naming it), and for the StringLogChannel script its two imports, which name the 0.14
adapter instead of today's classes. Where a snippet waits for the Editor, a player
connects as the Editor does after Play is pressed; the Unity side of the examples (the C#
blocks) is seeds_sims' Seed002 scene.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from seeds_launch import editor
from seeds_sims import Seed002Ball
from seeds_snippets import SNIPPETS, adapt

from devtools.envtest import free_port
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.legacy import batched_step_result
from mlagents_sim.build import build_executable
from mlagents_sim.catalog import make_simulation
from mlagents_sim.in_process import InProcessEnv

# The StringLogChannel script opens the 0.14 UnityEnvironment, with 0.14 side channels.
LEGACY_IMPORTS = [
    (
        "from mlagents_envs.environment import UnityEnvironment",
        "from mlagents_envs.legacy.batched_step_result import UnityEnvironment",
    ),
    (
        "from mlagents_envs.side_channel.side_channel import SideChannel, SideChannelType",
        "from mlagents_envs.legacy.side_channel import SideChannel, SideChannelType",
    ),
]


def run(code: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    namespace = {} if namespace is None else namespace
    exec(compile(code, "<seed 002>", "exec"), namespace)
    return namespace


def first_observations(env: Any) -> np.ndarray:
    name = next(iter(env.behavior_specs))
    return env.get_steps(name)[0].obs[0]


def test_002_load_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_executable("3DBall", tmp_path)
    monkeypatch.chdir(tmp_path)  # "the same directory as envs"
    port = free_port()
    namespace = run(adapt(SNIPPETS["002-load"], [("base_port=5005", f"base_port={port}")]))
    env = namespace["env"]
    try:
        env.reset()
        observed = first_observations(env)
    finally:
        env.close()
    with InProcessEnv(make_simulation("3DBall", seed=1)) as same_seed:
        same_seed.reset()
        np.testing.assert_array_equal(observed, first_observations(same_seed))


def _run_in_editor(snippet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run snippet against a player of seeds_sims' 002 scene; return the player's log."""
    port = free_port()
    monkeypatch.setattr(UnityEnvironment, "DEFAULT_EDITOR_PORT", port)
    log = tmp_path / "Player.log"
    with editor("seeds_sims:Seed002Ball", port, log) as player:
        namespace = run(SNIPPETS[snippet])
        env = namespace["env"]
        try:
            env.step()  # the snippets end at reset: one step more shows what the scene read
        finally:
            env.close()
        assert player.wait(timeout=30) == 0
    return log.read_text(encoding="utf-8")


def test_002_engine_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _run_in_editor("002-engine", tmp_path, monkeypatch)
    assert "time_scale = 2.0" in log


def test_002_float_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _run_in_editor("002-float-properties", tmp_path, monkeypatch)
    assert "parameter_1 = 0.0" not in log  # the property arrived with the reset, before any tick
    assert "parameter_1 = 2.0" in log


def expected_messages(steps: int) -> list[str]:
    """What the script sends, from a run of the same scene through the BaseEnv API: no
    actions set (zeros), and each step's agents are those that ended plus those asking."""
    messages = ["The environment was reset"]
    with InProcessEnv(make_simulation("3DBall")) as env:
        env.reset()
        name = next(iter(env.behavior_specs))
        for i in range(steps):
            decision, terminal = env.get_steps(name)
            messages.append(f"Step {i} occurred with {len(decision) + len(terminal)} agents.")
            env.step()
    return messages


def test_002_string_log_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    sim = Seed002Ball()
    code = adapt(
        SNIPPETS["002-string-log"],
        [
            *LEGACY_IMPORTS,
            (
                "env = UnityEnvironment(base_port=UnityEnvironment.DEFAULT_EDITOR_PORT, "
                "side_channels=[string_log])",
                "env = AgentGroupEnv(InProcessEnv(sim, side_channels=[string_log]))",
            ),
        ],
    )
    run(
        code,
        {
            "AgentGroupEnv": batched_step_result.AgentGroupEnv,
            "InProcessEnv": InProcessEnv,
            "sim": sim,
        },
    )
    assert sim.string_log.received == expected_messages(1000)
    printed = capsys.readouterr().out
    # The scene reports agents that ended as errors; the script prints them.
    assert re.search(r"^Error: \d+ agent\(s\) of .+ ended$", printed, re.M)


def test_002_string_log_over_the_wire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setattr(batched_step_result.UnityEnvironment, "DEFAULT_EDITOR_PORT", port)
    log = tmp_path / "Player.log"
    with editor("seeds_sims:Seed002Ball", port, log) as player:
        run(adapt(SNIPPETS["002-string-log"], LEGACY_IMPORTS))
        assert player.wait(timeout=30) == 0
    received = re.findall(r"From Python : (.*)$", log.read_text(encoding="utf-8"), re.M)
    assert received == expected_messages(1000)
    assert re.search(r"^Error: \d+ agent\(s\) of .+ ended$", capsys.readouterr().out, re.M)
