"""Downloading, verifying, caching and safely extracting environment executables.

Zips land in `<cache>/tmp`, executables in `<cache>/binaries/<name>`; the cache is
`<system temp>/ml-agents-binaries`, or MLAGENTS_BINARIES_DIR when set. A download is
checked against its Content-Length and, when given, a SHA-256; extraction refuses any
member that would land outside its folder (absolute paths, `..`, links).
"""

from __future__ import annotations

import hashlib
import os
import re
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
from mlagents_envs.exception import UnityEnvironmentException, UnityExecutableNotFoundException

_SOURCE_FILE = ".source_url"
_CHUNK = 1 << 16
_ALLOWED_SCHEMES = ("http://", "https://", "file://")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_BUILD_SUFFIXES = (".x86_64", ".x86", ".exe")
#: Larger downloads, or archives that unpack to more, are refused.
MAX_DOWNLOAD_BYTES = 8 << 30
MAX_EXTRACTED_BYTES = 32 << 30
# A manifest is a few kilobytes; anything much larger is not one.
_MAX_MANIFEST_BYTES = 4 << 20


class UnityDownloadException(UnityEnvironmentException, urllib.error.URLError):
    """A download could not be made or was cut off.

    Also a urllib.error.URLError (an OSError), which is what ML-Agents lets through for it.
    """

    def __init__(self, message: str, reason: str | BaseException) -> None:
        urllib.error.URLError.__init__(self, reason)
        self.message = message
        self.args = (message,)

    def __str__(self) -> str:
        return self.message


def get_tmp_dir() -> tuple[str, str]:
    """The folders of downloaded zips and of extracted executables, created if missing.

    The cache is private to the user (mode 700): anyone who could write into it could
    plant an executable that this process would then run.
    """
    root = os.environ.get("MLAGENTS_BINARIES_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "ml-agents-binaries",
    )
    zip_dir, bin_dir = os.path.join(root, "tmp"), os.path.join(root, "binaries")
    for folder in (root, zip_dir, bin_dir):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        _check_private(folder)
    return zip_dir, bin_dir


def _check_private(folder: str) -> None:
    if get_platform() == "win32":
        return
    info = os.stat(folder)
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnityEnvironmentException(
            f"The executable cache {folder} belongs to another user or others may write to "
            "it, so what it holds cannot be trusted. Remove it, or set MLAGENTS_BINARIES_DIR "
            "to a folder of your own."
        )


def check_identifier(name: str) -> str:
    """Refuse an identifier that cannot be a plain folder name (it names cache folders)."""
    if not _IDENTIFIER.fullmatch(name) or name in (".", ".."):
        raise UnityEnvironmentException(
            f"The environment identifier {name!r} must be a plain name: letters, digits, "
            "'_', '-' and '.', not starting with '.' or '-'."
        )
    return name


def get_local_binary_path(name: str, url: str, sha256: str | None = None) -> str:
    """The executable of `name` downloaded from url: from the cache, or downloaded now."""
    check_identifier(name)
    zip_dir, _ = get_tmp_dir()
    # One process downloads at a time: several environments may be made at once.
    with _locked(Path(zip_dir) / f"{name}.lock"):
        path = get_local_binary_path_if_exists(name, url, sha256)
        if path is not None:
            return path
        download_and_extract_zip(url, name, sha256=sha256)
        path = get_local_binary_path_if_exists(name, url, sha256)
    if path is None:
        _, bin_dir = get_tmp_dir()
        raise UnityExecutableNotFoundException(
            f"The zip of {name!r} from {url} holds no executable for {get_platform()}; look "
            f"at what it holds in {os.path.join(bin_dir, name)}."
        )
    return path


def get_local_binary_path_if_exists(name: str, url: str, sha256: str | None = None) -> str | None:
    """The cached executable of `name` if it was downloaded from url (and, when given,
    from a zip with that SHA-256), else None."""
    check_identifier(name)
    _, bin_dir = get_tmp_dir()
    folder = Path(bin_dir) / name
    source = folder / _SOURCE_FILE
    if not source.is_file() or source.read_text(encoding="utf-8") != _stamp(url, sha256):
        return None
    candidates = [
        Path(found)
        for candidate in sorted(folder.rglob("*"))
        if candidate.is_file() and candidate.name != _SOURCE_FILE
        if (found := validate_environment_path(str(candidate)))
        and _is_executable_build(Path(found))
    ]
    # A build folder also holds helpers (UnityCrashHandler64.exe, libraries): prefer the
    # file named after the environment or after the zip's top folder.
    names = {name.lower()} | {c.parent.name.lower() for c in candidates}
    candidates.sort(key=lambda c: (_stem(c).lower() not in names, len(c.parts), str(c)))
    return str(candidates[0]) if candidates else None


def _stem(path: Path) -> str:
    return path.name.split(".")[0] if path.suffix in _BUILD_SUFFIXES else path.name


def _stamp(url: str, sha256: str | None) -> str:
    return url if sha256 is None else f"{url}\n{sha256.lower()}"


def _is_executable_build(path: Path) -> bool:
    if path.name.lower().startswith("unitycrashhandler"):
        return False
    platform = get_platform()
    if platform == "win32":
        return path.suffix.lower() == ".exe"
    if platform == "darwin":
        return ".app/Contents/MacOS/" in str(path) or path.suffix == ""
    return path.suffix in (".x86_64", ".x86") or (path.suffix == "" and _is_elf_or_script(path))


def _is_elf_or_script(path: Path) -> bool:
    # Extraction marks every file executable, so the mode says nothing: look at the start.
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head == b"\x7fELF" or head.startswith(b"#!")


class _locked:
    """An exclusive lock on a file, held for a with block (POSIX; nothing on Windows)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: Any = None

    def __enter__(self) -> None:
        self._handle = open(self._path, "a")
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(self._handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def download_and_extract_zip(url: str, name: str, sha256: str | None = None) -> None:
    """Download the zip at url, verify it, and extract it into the folder of `name`
    (replacing what was there), with mode 755 on every file."""
    check_identifier(name)
    zip_dir, bin_dir = get_tmp_dir()
    digest = hashlib.sha256()
    handle, part_name = tempfile.mkstemp(prefix=f"{name}-", suffix=".zip.part", dir=zip_dir)
    part = Path(part_name)
    try:
        with _open_url(url) as response, os.fdopen(handle, "wb") as out:
            declared = response.headers.get("Content-Length")
            total = int(declared) if declared and declared.isdigit() else None
            received = 0
            while chunk := _read(response, url):
                received += len(chunk)
                if received > MAX_DOWNLOAD_BYTES:
                    raise UnityEnvironmentException(
                        f"The download of {name!r} from {url} exceeds {MAX_DOWNLOAD_BYTES} "
                        "bytes; that is not an environment build."
                    )
                out.write(chunk)
                digest.update(chunk)
                if total:
                    print_progress(f"Downloading {name}", 100.0 * received / total)
        if total is not None and received != total:
            raise UnityEnvironmentException(
                f"The download of {name!r} from {url} stopped after {received} of {total} "
                "bytes. Check the connection and try again."
            )
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise UnityEnvironmentException(
                f"The download of {name!r} from {url} has SHA-256 {digest.hexdigest()}, but "
                f"the manifest says {sha256}. The file is corrupt or was replaced; nothing "
                "was kept."
            )
        target = Path(bin_dir) / name
        staging = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=zip_dir))
        try:
            with ZipFileWithProgress(part) as archive:
                archive.extractall(staging)
            (staging / _SOURCE_FILE).write_text(_stamp(url, sha256), encoding="utf-8")
            if target.is_symlink() or not target.resolve().is_relative_to(Path(bin_dir).resolve()):
                raise UnityEnvironmentException(f"The cache folder {target} is not ours.")
            if target.exists():
                shutil.rmtree(target)
            staging.replace(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        part.unlink(missing_ok=True)


def _read(response: Any, url: str) -> bytes:
    try:
        return bytes(response.read(_CHUNK))
    except OSError as error:
        raise UnityDownloadException(f"The download from {url} failed: {error}.", error) from None


def _open_url(url: str) -> Any:
    if not url.startswith(_ALLOWED_SCHEMES):
        raise UnityEnvironmentException(
            f"Cannot download {url!r}: only http, https and file URLs are supported."
        )
    try:
        return urllib.request.urlopen(url, timeout=60)
    except (urllib.error.URLError, OSError) as error:
        raise UnityDownloadException(f"Cannot download {url}: {error}.", error) from None


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
        if total > MAX_EXTRACTED_BYTES:
            raise UnityEnvironmentException(
                f"The archive unpacks to {total} bytes, more than {MAX_EXTRACTED_BYTES}; it was "
                "not extracted."
            )
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
