"""Remote entries, manifests and downloads, against a local HTTP server."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from registry_server import Handler, Server, zip_build

from devtools.envtest import free_port
from mlagents_envs.exception import UnityEnvironmentException, UnityException
from mlagents_envs.registry import RemoteRegistryEntry, UnityEnvRegistry
from mlagents_envs.registry.binary_utils import (
    ZipFileWithProgress,
    get_local_binary_path_if_exists,
    load_local_manifest,
)


def manifest(server: Server, body: str) -> str:
    (server.folder / "manifest.yaml").write_text(body)
    return f"{server.url}/manifest.yaml"


def entry_yaml(url: str, sha: str | None = None, name: str = "3DBall") -> str:
    lines = [
        "environments:",
        f"- {name}:",
        "    expected_reward: 100",
        "    description: |",
        "      Balance a ball.",
        f"    linux_url: {url}",
        f"    darwin_url: {url}",
        "    win_url: null",
        "    additional_args: ['-force-glcore']",
    ]
    if sha:
        lines.append(f"    linux_sha256: '{sha}'")
        lines.append(f"    darwin_sha256: '{sha}'")
    return "\n".join(lines) + "\n"


def test_download_verify_cache_and_make(server: Server, capsys: pytest.CaptureFixture) -> None:
    _, sha = zip_build(server.folder)
    registry = UnityEnvRegistry()
    registry.register_from_yaml(manifest(server, entry_yaml(f"{server.url}/3DBall.zip", sha)))
    entry = registry["3DBall"]
    assert (entry.identifier, entry.expected_reward) == ("3DBall", 100.0)
    assert entry.description == "Balance a ball.\n"
    with entry.make(base_port=free_port(), no_graphics=True, num_areas=2) as env:
        env.reset()
        # num_areas reached the UnityEnvironment constructor, and from it the environment.
        assert len(env.get_steps("3DBall?team=0")[0]) == 24
    assert "Downloading 3DBall" in capsys.readouterr().err
    server.stop()
    # Cached: no server needed any more.
    with entry.make(base_port=free_port(), no_graphics=True) as env:
        env.reset()


def test_registration_is_lazy_and_unknown_identifiers_are_named(server: Server) -> None:
    registry = UnityEnvRegistry()
    registry.register_from_yaml(f"{server.url}/not-there-yet.yaml")
    (server.folder / "not-there-yet.yaml").write_text(entry_yaml("http://x/y.zip"))
    with pytest.raises(KeyError) as info:
        registry["Nope"]
    assert isinstance(info.value, UnityException)
    assert "'Nope'" in str(info.value) and "3DBall" in str(info.value)
    assert list(registry) == ["3DBall"] and "3DBall" in registry
    registry.clear()
    assert len(registry) == 0


def test_truncated_download_is_refused(server: Server) -> None:
    zip_build(server.folder)
    Handler.truncate.add("3DBall.zip")
    entry = RemoteRegistryEntry("3DBall", 1.0, "", *[f"{server.url}/3DBall.zip"] * 3)
    with pytest.raises(UnityEnvironmentException, match=r"stopped after \d+ of \d+ bytes"):
        entry.make(base_port=free_port())
    assert get_local_binary_path_if_exists("3DBall", f"{server.url}/3DBall.zip") is None


def test_wrong_checksum_is_refused(server: Server) -> None:
    zip_build(server.folder)
    url = f"{server.url}/3DBall.zip"
    registry = UnityEnvRegistry()
    registry.register_from_yaml(manifest(server, entry_yaml(url, "0" * 64)))
    with pytest.raises(UnityEnvironmentException, match="SHA-256"):
        registry["3DBall"].make(base_port=free_port())
    assert get_local_binary_path_if_exists("3DBall", url) is None


@pytest.mark.parametrize("member", ["../escape.txt", "/abs/escape.txt", "a/../../escape.txt"])
def test_zip_leaving_its_folder_is_refused(tmp_path: Path, member: str) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ok/readme.txt", "fine")
        archive.writestr(zipfile.ZipInfo(member), "escaped")
    target = tmp_path / "out" / "inner"
    target.mkdir(parents=True)
    with (
        ZipFileWithProgress(path) as archive,
        pytest.raises(UnityEnvironmentException, match="outside"),
    ):
        archive.extractall(target)
    assert not list(tmp_path.rglob("escape.txt"))
    assert not (target / "ok").exists()  # nothing was extracted


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    info = zipfile.ZipInfo("ok/link")
    info.external_attr = 0o120777 << 16
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    with (
        ZipFileWithProgress(path) as archive,
        pytest.raises(UnityEnvironmentException, match="symbolic link"),
    ):
        archive.extractall(tmp_path / "out")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("environments: 3", "'environments' list"),
        ("- just a list", "mapping"),
        ("environments:\n- Ball:\n    expected_reward: lots\n", "'Ball'.*'expected_reward'"),
        ("environments:\n- Ball:\n    linux_url: [1]\n", "'Ball'.*'linux_url'"),
        ("environments:\n- Ball:\n    lunix_url: x\n", "'Ball'.*unknown key 'lunix_url'"),
        ("environments:\n- Ball:\n    linux_sha256: abc\n", "'Ball'.*64 hex"),
        ("environments: [unclosed", "not valid YAML"),
    ],
)
def test_malformed_manifest_names_entry_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(body)
    registry = UnityEnvRegistry()
    registry.register_from_yaml(str(path))
    with pytest.raises(UnityEnvironmentException, match=message):
        len(registry)


def test_manifest_is_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text("environments: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(UnityEnvironmentException, match="not valid YAML"):
        load_local_manifest(str(path))


def test_missing_platform_build(server: Server) -> None:
    entry = RemoteRegistryEntry("Only", None, None, None, None, "http://x/win.zip")
    with pytest.raises(UnityEnvironmentException, match="no build for"):
        entry.make()


@pytest.mark.parametrize("identifier", ["../../victim", "a/b", "..", ".hidden", "-x", ""])
def test_identifier_that_is_not_a_plain_name_is_refused(
    tmp_path: Path, server: Server, identifier: str
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    path = tmp_path / "manifest.yaml"
    path.write_text(entry_yaml(f"{server.url}/3DBall.zip", name=f"'{identifier}'"))
    registry = UnityEnvRegistry()
    registry.register_from_yaml(str(path))
    with pytest.raises(UnityEnvironmentException, match="plain name"):
        len(registry)
    with pytest.raises(UnityEnvironmentException, match="plain name"):
        RemoteRegistryEntry(identifier, 1.0, "", *[f"{server.url}/3DBall.zip"] * 3).make()
    assert (victim / "keep.txt").read_text() == "keep"


def test_failed_manifest_is_read_again_and_reported(tmp_path: Path) -> None:
    registry = UnityEnvRegistry()
    registry.register_from_yaml(str(tmp_path / "later.yaml"))
    for _ in range(2):
        with pytest.raises(UnityEnvironmentException, match="Cannot read the manifest"):
            registry["3DBall"]
    (tmp_path / "later.yaml").write_text(entry_yaml("http://x/y.zip"))
    assert registry["3DBall"].identifier == "3DBall"


def test_cache_writable_by_others_is_refused(binaries_dir: Path) -> None:
    binaries_dir.mkdir(parents=True)
    binaries_dir.chmod(0o777)
    with pytest.raises(UnityEnvironmentException, match="cannot be trusted"):
        get_local_binary_path_if_exists("3DBall", "http://x/y.zip")


def test_the_build_is_preferred_over_helper_executables(server: Server) -> None:
    build, _ = zip_build(server.folder)
    with zipfile.ZipFile(build, "a") as archive:
        archive.writestr("3DBall/AAA_helper.x86_64", "#!/bin/sh\nexit 1\n")
        archive.writestr("3DBall/UnityCrashHandler64.x86_64", "#!/bin/sh\nexit 1\n")
    url = f"{server.url}/3DBall.zip"
    entry = RemoteRegistryEntry("3DBall", 1.0, "", url, url, url)
    with entry.make(base_port=free_port(), no_graphics=True) as env:
        env.reset()
    assert get_local_binary_path_if_exists("3DBall", url).endswith("3DBall/3DBall.x86_64")
