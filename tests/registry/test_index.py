"""`repo index`: Helm's index format with the addon annotations, digests, URLs, merge and stable times."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from tests.registry.conftest import Catalog, write_addon
from veladdon.errors import InputError
from veladdon.registry.index import build_index, parse_time, write_index
from veladdon.registry.package import package_addon


def test_index_of_the_catalog(catalog: Catalog) -> None:
    doc = yaml.safe_load((catalog.main / "index.yaml").read_text())
    assert doc["apiVersion"] == "v1"
    assert list(doc["entries"]) == ["app", "base"]
    app = doc["entries"]["app"]
    assert [e["version"] for e in app] == ["2.0.0-beta.1", "1.1.0", "1.0.0"]
    top = app[1]
    assert top["annotations"] == {"addon.name": "app", "system.vela": ">=1.9.0"}
    assert top["urls"] == ["app-1.1.0.tgz"]
    assert top["digest"] == hashlib.sha256((catalog.main / "app-1.1.0.tgz").read_bytes()).hexdigest()
    assert top["created"] == "1970-01-01T00:00:00Z"
    assert {"apiVersion", "appVersion", "description", "keywords", "name", "type"} <= set(top)
    assert doc["generated"] == "1970-01-01T00:00:00Z"


def test_url_merge_and_determinism(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    package_addon(write_addon(tmp_path / "a", "demo", "1.0.0"), repo)
    first = write_index(repo, url="https://example.com/addons/")
    doc = yaml.safe_load(first.path.read_text())
    entry = doc["entries"]["demo"][0]
    assert entry["urls"] == ["https://example.com/addons/demo-1.0.0.tgz"]
    assert entry["created"] == doc["generated"] == "2023-11-14T22:13:20Z"
    old_index = tmp_path / "published.yaml"
    shutil.copy(first.path, old_index)

    # A new version published later: the old package keeps its date, the new one gets the new time.
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1710000000")
    package_addon(write_addon(tmp_path / "b", "demo", "1.1.0"), fresh)
    shutil.copy(repo / "demo-1.0.0.tgz", fresh)
    merged = build_index(fresh, url="https://example.com/addons", merge=old_index)
    demo = merged["entries"]["demo"]
    assert [(e["version"], e["created"]) for e in demo] == [
        ("1.1.0", "2024-03-09T16:00:00Z"),
        ("1.0.0", "2023-11-14T22:13:20Z"),
    ]
    # Entries only in the merged index are kept.
    (fresh / "demo-1.0.0.tgz").unlink()
    kept = build_index(fresh, merge=old_index)
    assert [e["version"] for e in kept["entries"]["demo"]] == ["1.1.0", "1.0.0"]
    assert build_index(fresh, merge=old_index) == kept


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is not a folder"):
        build_index(tmp_path / "missing")
    (tmp_path / "broken.tgz").write_bytes(b"nope")
    with pytest.raises(InputError, match=r"broken\.tgz is not a chart archive"):
        build_index(tmp_path)


def test_parse_time_accepts_helm_nanoseconds() -> None:
    parsed = parse_time("2022-11-18T05:48:54.236178557Z")
    assert parsed is not None and parsed.year == 2022
    assert parse_time("yesterday") is None
