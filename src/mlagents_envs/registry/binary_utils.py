"""Downloading, verifying, caching and safely extracting environment executables.

Zips land in `<cache>/tmp`, executables in `<cache>/binaries/<name>`; the cache is
`<system temp>/ml-agents-binaries`, or MLAGENTS_BINARIES_DIR when set. A download is
checked against its Content-Length and, when given, a SHA-256; extraction refuses any
member that would land outside its folder (absolute paths, `..`, links).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from mlagents_envs.env_utils import get_platform, validate_environment_path
from mlagents_envs.exception import UnityEnvironmentException

_SOURCE_FILE = ".source_url"
_CHUNK = 1 << 16
_ALLOWED_SCHEMES = ("http://", "https://", "file://")
# A manifest is a few kilobytes; anything much larger is not one.
_MAX_MANIFEST_BYTES = 4 << 20


def get_tmp_dir() -> tuple[str, str]:
    """The folders of downloaded zips and of extracted executables, created if missing."""
    root = os.environ.get("MLAGENTS_BINARIES_DIR") or os.path.join(
        tempfile.gettempdir(), "ml-agents-binaries"
    )
    zip_dir, bin_dir = os.path.join(root, "tmp"), os.path.join(root, "binaries")
    os.makedirs(zip_dir, exist_ok=True)
    os.makedirs(bin_dir, exist_ok=True)
    return zip_dir, bin_dir


def get_local_binary_path(name: str, url: str, sha256: str | None = None) -> str:
    """The executable of `name` downloaded from url: from the cache, or downloaded now."""
    path = get_local_binary_path_if_exists(name, url)
    if path is not None:
        return path
    download_and_extract_zip(url, name, sha256=sha256)
    path = get_local_binary_path_if_exists(name, url)
    if path is None:
        _, bin_dir = get_tmp_dir()
        raise UnityEnvironmentException(
            f"The zip of {name!r} from {url} holds no executable for {get_platform()}; look "
            f"at what it holds in {os.path.join(bin_dir, name)}."
        )
    return path


def get_local_binary_path_if_exists(name: str, url: str) -> str | None:
    """The cached executable of `name` if it was downloaded from url, else None."""
    _, bin_dir = get_tmp_dir()
    folder = Path(bin_dir) / name
    source = folder / _SOURCE_FILE
    if not source.is_file() or source.read_text(encoding="utf-8") != url:
        return None
    for candidate in sorted(folder.rglob("*")):
        if candidate.name == _SOURCE_FILE or candidate.is_dir():
            continue
        found = validate_environment_path(str(candidate))
        if found and _is_executable_build(Path(found)):
            return found
    return None


def _is_executable_build(path: Path) -> bool:
    platform = get_platform()
    if platform == "win32":
        return path.suffix.lower() == ".exe"
    if platform == "darwin" and ".app/Contents/MacOS/" in str(path):
        return True
    return bool(path.stat().st_mode & stat.S_IXUSR) and path.suffix in ("", ".x86_64", ".x86")


def download_and_extract_zip(url: str, name: str, sha256: str | None = None) -> None:
    """Download the zip at url, verify it, and extract it into the folder of `name`
    (replacing what was there), with mode 755 on every file."""
    zip_dir, bin_dir = get_tmp_dir()
    zip_path = Path(zip_dir) / f"{name}.zip"
    part = zip_path.with_suffix(".zip.part")
    digest = hashlib.sha256()
    with _open_url(url) as response, open(part, "wb") as out:
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else None
        received = 0
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            if total:
                print_progress(f"Downloading {name}", 100.0 * received / total)
    if total is not None and received != total:
        part.unlink(missing_ok=True)
        raise UnityEnvironmentException(
            f"The download of {name!r} from {url} stopped after {received} of {total} bytes. "
            "Check the connection and try again."
        )
    if sha256 is not None and digest.hexdigest() != sha256.lower():
        part.unlink(missing_ok=True)
        raise UnityEnvironmentException(
            f"The download of {name!r} from {url} has SHA-256 {digest.hexdigest()}, but the "
            f"manifest says {sha256}. The file is corrupt or was replaced; nothing was kept."
        )
    part.replace(zip_path)
    target = Path(bin_dir) / name
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=bin_dir))
    try:
        with ZipFileWithProgress(zip_path) as archive:
            archive.extractall(staging)
        (staging / _SOURCE_FILE).write_text(url, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.replace(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        zip_path.unlink(missing_ok=True)


def _open_url(url: str) -> Any:
    if not url.startswith(_ALLOWED_SCHEMES):
        raise UnityEnvironmentException(
            f"Cannot download {url!r}: only http, https and file URLs are supported."
        )
    try:
        return urllib.request.urlopen(url, timeout=60)
    except (urllib.error.URLError, OSError) as error:
        raise UnityEnvironmentException(f"Cannot download {url}: {error}.") from None


def print_progress(prefix: str, percent: float) -> None:
    """Draw one progress bar line on stderr (redrawn in place)."""
    percent = min(max(percent, 0.0), 100.0)
    width = 30
    filled = int(width * percent / 100)
    bar = "#" * filled + "-" * (width - filled)
    end = "\n" if percent >= 100 else ""
    sys.stderr.write(f"\r{prefix} [{bar}] {percent:5.1f}%{end}")
    sys.stderr.flush()


def load_remote_manifest(url: str) -> dict[str, Any]:
    """The manifest (YAML) at url as a dict, read with the safe loader."""
    with _open_url(url) as response:
        data = response.read(_MAX_MANIFEST_BYTES + 1)
    if len(data) > _MAX_MANIFEST_BYTES:
        raise UnityEnvironmentException(
            f"The manifest at {url} is larger than {_MAX_MANIFEST_BYTES} bytes; it is not one."
        )
    return _parse_manifest(data.decode("utf-8"), url)


def load_local_manifest(path: str) -> dict[str, Any]:
    """The manifest (YAML) file at path as a dict, read with the safe loader."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as error:
        raise UnityEnvironmentException(f"Cannot read the manifest {path}: {error}.") from None
    return _parse_manifest(text, path)


def _parse_manifest(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UnityEnvironmentException(
            f"The manifest {source} is not valid YAML: {error}"
        ) from None
    if not isinstance(data, dict):
        raise UnityEnvironmentException(
            f"The manifest {source} must be a mapping with an 'environments' list."
        )
    return data


class ZipFileWithProgress(zipfile.ZipFile):
    """A ZipFile whose extractall shows progress and refuses members that would escape
    the target folder (absolute paths, `..`, drive letters, symbolic links)."""

    def extractall(
        self,
        path: str | os.PathLike[str] | None = None,
        members: Any = None,
        pwd: bytes | None = None,
    ) -> None:
        target = Path(path or os.getcwd()).resolve()
        infos = [m if isinstance(m, zipfile.ZipInfo) else self.getinfo(m) for m in members or []]
        infos = infos or self.infolist()
        for info in infos:
            self._check_member(info, target)
        total = sum(i.file_size for i in infos) or 1
        done = 0
        for info in infos:
            extracted = Path(self.extract(info, target, pwd))
            if not info.is_dir():
                # Executables need their bit; zips made on Windows carry none.
                extracted.chmod(0o755)
            done += info.file_size
            print_progress("Extracting", 100.0 * done / total)

    @staticmethod
    def _check_member(info: zipfile.ZipInfo, target: Path) -> None:
        name = info.filename
        mode = info.external_attr >> 16
        pure = PurePosixPath(name.replace("\\", "/"))
        escapes = pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":")
        destination = (target / pure).resolve()
        if escapes or not destination.is_relative_to(target):
            raise UnityEnvironmentException(
                f"The zip member {name!r} would be written outside {target}; the archive is "
                "unsafe and was not extracted."
            )
        if stat.S_ISLNK(mode):
            raise UnityEnvironmentException(
                f"The zip member {name!r} is a symbolic link, which could point outside "
                f"{target}; the archive was not extracted."
            )
