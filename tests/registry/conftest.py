"""Registries served for real on 127.0.0.1: packages made by `package_addon`, an index made by
`write_index`, one server with basic auth, one with a self-signed TLS certificate, one answering 500."""

from __future__ import annotations

import base64
import functools
import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from veladdon.registry.index import write_index
from veladdon.registry.package import package_addon

USER, PASSWORD = "alice", "s3cret"


def write_addon(
    root: Path,
    name: str,
    version: str,
    *,
    deps: list[tuple[str, str]] | None = None,
    system: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    """A small YAML-template addon (no CUE needed to load or render it)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    meta = [f"name: {name}", f"version: {version}", f"description: {name} for tests", "tags:", "  - test"]
    if deps:
        meta.append("dependencies:")
        meta += [f"  - name: {d}" + (f"\n    version: '{c}'" if c else "") for d, c in deps]
    if system:
        meta.append("system:")
        meta += [f"  {k}: '{v}'" for k, v in system.items()]
    (folder / "metadata.yaml").write_text("\n".join(meta) + "\n")
    (folder / "template.yaml").write_text(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: x\nspec:\n  components: []\n"
    )
    (folder / "resources").mkdir(exist_ok=True)
    (folder / "resources" / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-cm\ndata:\n  version: '{version}'\n"
    )
    (folder / "README.md").write_text(f"# {name}\n")
    for rel, text in (extra or {}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


@dataclass
class Server:
    """A static file server on 127.0.0.1 with optional basic auth, TLS, or a failure status."""

    root: Path
    auth: tuple[str, str] | None = None
    status: int | None = None
    tls: ssl.SSLContext | None = None
    requests: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)  # paths answered with 404
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location (302)
    headers: list[dict[str, str]] = field(default_factory=list)

    def start(self) -> Server:
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                outer.headers.append(dict(self.headers.items()))
                if self.path in outer.redirects:
                    self.send_response(302)
                    self.send_header("Location", outer.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if outer.status is not None:
                    self.send_error(outer.status)
                    return
                if outer.auth is not None:
                    token = base64.b64encode(f"{outer.auth[0]}:{outer.auth[1]}".encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="addons"')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                if self.path.split("?")[0] in outer.missing:
                    self.send_error(404)
                    return
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        handler = functools.partial(Handler, directory=str(self.root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if self.tls is not None:
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass(frozen=True)
class Catalog:
    """Folders of packages + index.yaml, one per registry, built once per session."""

    main: Path  # app 1.0.0/1.1.0/2.0.0-beta.1 (app depends on base), base 1.0.0
    other: Path  # base 1.0.0 and 1.2.0, extra 0.1.0
    sources: Path  # the addon folders


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("catalog")
    src, main, other = root / "src", root / "main", root / "other"
    for name, version, where, kwargs in (
        ("base", "1.0.0", main, {}),
        ("app", "1.0.0", main, {"deps": [("base", ">=1.0.0")], "system": {"vela": ">=1.5.0"}}),
        ("app", "1.1.0", main, {"deps": [("base", ">=1.0.0")], "system": {"vela": ">=1.9.0"}}),
        ("app", "2.0.0-beta.1", main, {"deps": [("base", "")]}),
        ("base", "1.0.0", other, {}),
        ("base", "1.2.0", other, {}),
        ("extra", "0.1.0", other, {}),
    ):
        folder = write_addon(src / f"{where.name}-{version}", name, version, **kwargs)
        package_addon(folder, where)
    write_index(main)
    write_index(other)
    return Catalog(main, other, src)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A private cache per test, no proxies between us and 127.0.0.1, no SOURCE_DATE_EPOCH leaking in."""
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl: `cryptography` is not installed here)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not on PATH")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[Server] = []

    def start(root: Path, **kwargs: Any) -> Server:
        server = Server(root, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
