"""Fixtures of the registry tests: a local HTTP server, and a cache folder per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_server import Handler, Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    folder = tmp_path / "www"
    folder.mkdir()
    running = Server(folder)
    yield running
    running.stop()
    Handler.truncate.clear()


@pytest.fixture(autouse=True)
def binaries_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLAGENTS_BINARIES_DIR", str(folder))
    return folder
