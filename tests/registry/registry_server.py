"""A local HTTP server that serves zips of our executables and manifests (helpers of the
registry tests; a module of its own, as conftest modules of different folders clash)."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

from mlagents_sim.build import build_executable


class Handler(http.server.SimpleHTTPRequestHandler):
    truncate: set[str] = set()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        if name in self.truncate:
            data = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            return
        super().do_GET()


class Server:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        handler = lambda *a, **k: Handler(*a, directory=str(folder), **k)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def zip_build(folder: Path, env: str = "3DBall", name: str = "3DBall") -> tuple[Path, str]:
    """A zip holding one folder with the executable of env at its root, and its SHA-256."""
    build = build_executable(env, folder / "build" / name)
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(build, f"{name}/{build.name}")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()
