"""Reading one Helm registry: version choice, listing, URL fallbacks, digests, TLS, auth and the cache."""

from __future__ import annotations

import shutil
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.registry.conftest import PASSWORD, USER, Catalog
from veladdon.addon.model import SystemRequirements
from veladdon.addon.versions import VersionNotFoundError
from veladdon.registry.cache import RegistryCache
from veladdon.registry.helm import IndexedRegistry
from veladdon.registry.helm_index import ChartVersion, parse_index
from veladdon.registry.model import AddonNotFoundError, ClusterVersions, RegistryError, RegistrySpec
from veladdon.registry.version_choice import choose_version


def charts(*specs: tuple[str, str]) -> list[ChartVersion]:
    return [ChartVersion("fluxcd", v, annotations={"system.vela": vela} if vela else {}) for v, vela in specs]


FLUX = charts(("v1.4.0-beta1", ""), ("v1.3.6", ">=1.6.0"), ("v1.2.0", ">=1.4.0"))


@pytest.mark.parametrize(
    ("requested", "expected"), [("v1.2.0", "v1.2.0"), ("1.2.0", "v1.2.0"), (None, "v1.3.6")]
)
def test_choose_version_like_upstream(requested: str | None, expected: str) -> None:
    chosen, reason, suits = choose_version("fluxcd", FLUX, requested)
    assert chosen.version == expected and suits
    assert reason.startswith(f"fluxcd {expected}: ")


def test_unknown_version_is_an_error() -> None:
    with pytest.raises(VersionNotFoundError, match=r"specified version 3.0.0 for addon fluxcd not exist"):
        choose_version("fluxcd", FLUX, "3.0.0")


def test_choose_version_for_the_cluster() -> None:
    chosen, reason, suits = choose_version("fluxcd", FLUX, None, ClusterVersions(vela="v1.5.2"))
    assert (chosen.version, suits) == ("v1.2.0", True)
    assert reason == (
        "fluxcd v1.2.0: the highest version whose requirements suit the cluster "
        "(vela v1.5.2; v1.3.6 needs vela >=1.6.0)"
    )
    chosen, reason, suits = choose_version("fluxcd", FLUX, None, ClusterVersions(vela="1.3.0"))
    assert (chosen.version, suits) == ("v1.3.6", False)
    assert "none suits the cluster" in reason
    chosen, _, suits = choose_version("fluxcd", FLUX, "1.3.6", ClusterVersions(vela="1.3.0"))
    assert (chosen.version, suits) == ("v1.3.6", False)
    # Non-semver cluster versions are not held against a version, as upstream bypasses them.
    chosen, _, suits = choose_version("fluxcd", FLUX, None, ClusterVersions(vela="latest"))
    assert (chosen.version, suits) == ("v1.3.6", True)


def test_listing_from_index() -> None:
    index = parse_index(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "entries": {
                    "b": [
                        {"name": "b", "version": "1.0.0", "description": "old"},
                        {
                            "name": "b",
                            "version": "1.2.0",
                            "description": "new",
                            "keywords": ["x"],
                            "icon": "i",
                        },
                        {"name": "b", "version": "1.1.0"},
                    ],
                    "empty": [],
                    "a": [{"name": "a", "version": "0.1.0", "futureField": True}],
                },
            }
        ).encode(),
        "test",
    )
    addons = index.addons("reg")
    assert [(a.name, a.version, a.description, a.tags, a.versions) for a in addons] == [
        ("a", "0.1.0", "", (), ("0.1.0",)),
        ("b", "1.2.0", "new", ("x",), ("1.2.0", "1.1.0", "1.0.0")),
    ]
    with pytest.raises(RegistryError, match=r"parse index file from test failure"):
        parse_index(b"- a list", "test")


def registry(url: str, tmp_path: Path, **kwargs: Any) -> IndexedRegistry:
    opts = {k: kwargs.pop(k) for k in ("username", "password", "insecure_skip_tls", "ca_file") if k in kwargs}
    return IndexedRegistry(
        RegistrySpec.helm("r", url, **opts), cache=RegistryCache(tmp_path / "cache"), timeout=5, **kwargs
    )


def test_fetch_over_http_with_requirements_from_the_index(
    catalog: Catalog, serve: Any, tmp_path: Path
) -> None:
    server = serve(catalog.main)
    reg = registry(server.url, tmp_path)
    got = reg.fetch("app", cluster=ClusterVersions(vela="1.6.0", kubernetes="v1.28.3"))
    assert (got.name, got.version, got.registry) == ("app", "1.0.0", "r")
    assert got.system == SystemRequirements(vela=">=1.5.0")
    assert got.versions == ("2.0.0-beta.1", "1.1.0", "1.0.0")
    assert (got.path / "metadata.yaml").is_file() and got.path.name == "app"
    with pytest.raises(AddonNotFoundError):
        reg.fetch("nope")


def test_url_fallbacks_and_digest_check(catalog: Catalog, serve: Any, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(catalog.main, repo)
    index = yaml.safe_load((repo / "index.yaml").read_text())
    entry = index["entries"]["base"][0]
    (repo / "corrupt.tgz").write_bytes(b"garbage")
    entry["urls"] = ["missing/base-1.0.0.tgz", "corrupt.tgz", "/base-1.0.0.tgz"]
    (repo / "index.yaml").write_text(yaml.safe_dump(index))
    server = serve(repo)
    got = registry(server.url, tmp_path).fetch("base")
    assert got.version == "1.0.0"
    assert server.requests[1:] == ["/missing/base-1.0.0.tgz", "/corrupt.tgz", "/base-1.0.0.tgz"]

    entry["urls"] = ["missing.tgz"]
    index["entries"]["app"][1]["digest"] = "0" * 64
    (repo / "index.yaml").write_text(yaml.safe_dump(index))
    reg = registry(server.url, tmp_path / "2")
    with pytest.raises(RegistryError, match=r"cannot fetch addon package base 1.0.0 from registry r"):
        reg.fetch("base")
    with pytest.raises(RegistryError, match=r"sha256 differs"):
        reg.fetch("app")


def test_basic_auth(catalog: Catalog, serve: Any, tmp_path: Path) -> None:
    server = serve(catalog.main, auth=(USER, PASSWORD))
    with pytest.raises(RegistryError, match=r"HTTP 401") as info:
        registry(server.url, tmp_path).index()
    assert info.value.hint == "check the username and password"
    got = registry(server.url, tmp_path, username=USER, password=PASSWORD).fetch("base")
    assert got.version == "1.0.0"


def test_self_signed_tls(catalog: Catalog, serve: Any, tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = serve(catalog.main, tls=context)
    with pytest.raises(RegistryError, match=r"TLS certificate not trusted") as info:
        registry(server.url, tmp_path).index()
    assert "--ca-file" in (info.value.hint or "")
    assert registry(server.url, tmp_path, ca_file=str(cert)).fetch("base").version == "1.0.0"
    assert registry(server.url, tmp_path / "i", insecure_skip_tls=True).fetch("base").version == "1.0.0"


def test_cache_serves_offline_and_refresh_refetches(catalog: Catalog, serve: Any, tmp_path: Path) -> None:
    server = serve(catalog.main)
    first = registry(server.url, tmp_path).fetch("base")
    count = len(server.requests)
    again = registry(server.url, tmp_path).fetch("base")  # fresh index + content-addressed package
    assert again.path == first.path and len(server.requests) == count
    registry(server.url, tmp_path, refresh=True).index()
    assert server.requests[count:] == ["/index.yaml"]

    server.status = 500  # the registry breaks: the stale cache still serves, with a warning
    offline = registry(server.url, tmp_path, max_age=0)
    assert offline.fetch("base").path == first.path
    assert len(offline.warnings) == 1 and "HTTP 500" in offline.warnings[0].reason
    assert "using the index cached" in offline.warnings[0].reason
    with pytest.raises(RegistryError, match=r"download index file from .* failure: .*HTTP 500"):
        registry(server.url, tmp_path / "empty-cache").index()


def test_unreachable_registry_times_out_quickly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(RegistryError, match=r"download index file"):
        registry(f"http://127.0.0.1:{port}", tmp_path).index()
    assert time.monotonic() - start < 5


def test_folder_with_index(catalog: Catalog, tmp_path: Path) -> None:
    for endpoint in (str(catalog.main), catalog.main.as_uri()):
        reg = registry(endpoint, tmp_path)
        assert [a.name for a in reg.list_addons()] == ["app", "base"]
        assert reg.fetch("app", "1.1.0").version == "1.1.0"


def test_credentials_stay_with_the_registry_host(catalog: Catalog, serve: Any, tmp_path: Path) -> None:
    mirror = serve(catalog.main)
    repo = tmp_path / "repo"
    shutil.copytree(catalog.main, repo)
    index = yaml.safe_load((repo / "index.yaml").read_text())
    index["entries"]["base"][0]["urls"] = [f"{mirror.url}/base-1.0.0.tgz"]  # another origin
    index["entries"]["extra"] = [dict(index["entries"]["base"][0], name="extra", urls=["/hop"], digest="")]
    (repo / "index.yaml").write_text(yaml.safe_dump(index))
    server = serve(repo, auth=(USER, PASSWORD))
    server.redirects["/hop"] = f"{mirror.url}/base-1.0.0.tgz"
    reg = registry(server.url, tmp_path, username=USER, password=PASSWORD)
    reg.fetch("base")
    assert "Authorization" not in mirror.headers[-1]
    reg.fetch("extra")  # redirected by the registry itself to the mirror: the header is dropped too
    assert "Authorization" in server.headers[-1] and "Authorization" not in mirror.headers[-1]
    assert mirror.requests == ["/base-1.0.0.tgz"] * 2
