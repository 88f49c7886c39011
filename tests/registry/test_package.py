"""`package`: validation reported like lint, Chart.yaml, .helmignore, reproducible archives, safe
unpacking, and the round trip folder → archive → folder that renders the same."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE
from tests.registry.conftest import write_addon
from veladdon.addon.loader import load_addon
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import InputError
from veladdon.registry.package import (
    HelmIgnore,
    PackageError,
    UnsafeArchiveError,
    build_archive,
    check_addon_dir,
    package_addon,
    unpack_chart,
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_archive_is_reproducible_and_leaves_the_source_alone(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(EXAMPLE, src / "redis-operator")
    (src / "redis-operator" / "Chart.yaml").write_text("name: stale\n")
    before = snapshot(src)
    first = package_addon(src / "redis-operator", tmp_path / "a")
    (src / "redis-operator" / "README.md").touch()  # a new mtime must not change the bytes
    second = package_addon(src / "redis-operator", tmp_path / "b")
    assert first.path.name == "redis-operator-0.0.1.tgz"
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.digest == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert snapshot(src) == before  # upstream writes Chart.yaml into the folder; we never do
    with tarfile.open(first.path) as tar:
        members = tar.getmembers()
    assert members[0].name == "redis-operator/Chart.yaml"
    names = [m.name for m in members[1:]]
    assert names == sorted(names)
    assert {(m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0o644, 0, 0, "", "", 0)}
    assert first.path.read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime


def test_source_date_epoch_sets_the_member_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = package_addon(write_addon(tmp_path, "demo", "1.0.0"), tmp_path / "out")
    with tarfile.open(result.path) as tar:
        assert {m.mtime for m in tar.getmembers()} == {1700000000}


def test_chart_yaml_generated_from_metadata(tmp_path: Path) -> None:
    folder = write_addon(tmp_path, "demo", "1.2.3", system={"vela": ">=1.6.0", "kubernetes": ">=1.24"})
    result = package_addon(folder, tmp_path / "out")
    with tarfile.open(result.path) as tar:
        handle = tar.extractfile("demo/Chart.yaml")
        assert handle is not None
        text = handle.read().decode()
    assert yaml.safe_load(text) == {
        "annotations": {"addon.name": "demo", "system.kubernetes": ">=1.24", "system.vela": ">=1.6.0"},
        "apiVersion": "v2",
        "appVersion": "1.2.3",
        "description": "demo for tests",
        "keywords": ["test"],
        "name": "demo",
        "type": "library",
        "version": "1.2.3",
    }
    assert text.splitlines()[0] == "annotations:"  # keys sorted, as upstream writes them


def test_helmignore_follows_helm_rules(tmp_path: Path) -> None:
    folder = write_addon(
        tmp_path,
        "demo",
        "1.0.0",
        extra={
            ".helmignore": "# comment\n*.bak\n/notes.txt\ndocs/\nresources/tmp-*.yaml\n*.md\n!README.md\n",
            "metadata.yaml.bak": "x",
            "notes.txt": "root only",
            "views/notes.txt": "kept: /notes.txt is anchored",
            "docs/guide.md": "x",
            "resources/tmp-1.yaml": "x",
            "resources/deep/tmp-2.yaml": "kept: the pattern has a slash, so it matches the whole path",
            "CHANGELOG.md": "x",
            ".git/config": "never",
        },
    )
    result = package_addon(folder, tmp_path / "out")
    assert result.files == (
        "Chart.yaml",
        ".helmignore",
        "README.md",
        "metadata.yaml",
        "resources/cm.yaml",
        "resources/deep/tmp-2.yaml",
        "template.yaml",
        "views/notes.txt",
    )


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("*.txt", "a/b/c.txt", False, True),
        ("a/*.txt", "a/b/c.txt", False, False),
        ("a/*/c.txt", "a/b/c.txt", False, True),
        ("/c.txt", "a/c.txt", False, False),
        ("tmp/", "tmp", False, False),
        ("tmp/", "x/tmp", True, True),
        ("file[0-9].cue", "file7.cue", False, True),
        ("file[^0-9].cue", "file7.cue", False, False),
        ("?.cue", "ab.cue", False, False),
        ("a\\*b", "a*b", False, True),
    ],
)
def test_helmignore_patterns(pattern: str, path: str, is_dir: bool, ignored: bool) -> None:
    assert HelmIgnore(pattern).ignored(path, is_dir) is ignored


def test_invalid_folder_reported_like_lint(tmp_path: Path) -> None:
    folder = write_addon(tmp_path, "Demo", "one", extra={".helmignore": "**/x\n"})
    (folder / "template.yaml").unlink()
    (folder / "template.cue").write_text("package main\n")
    report = check_addon_dir(folder, cwd=tmp_path)
    got = {(f.rule, f.file, f.line) for f in report.findings}
    assert ("PK01", "Demo/template.cue", None) in got
    assert ("PK02", "Demo/.helmignore", 1) in got
    assert ("PK04", "Demo/metadata.yaml", 2) in got  # version is not semver (a Helm chart needs it)
    with pytest.raises(PackageError) as info:
        package_addon(folder, tmp_path / "out", cwd=tmp_path)
    assert info.value.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_bad_name_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = write_addon(tmp_path, "Demo", "1.0.0")
    report = check_addon_dir(folder, cwd=tmp_path)
    assert [(f.rule, f.file, f.line) for f in report.findings] == [("MD02", "Demo/metadata.yaml", 1)]


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"does not exist"):
        package_addon(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match=r"is not a folder"):
        package_addon(tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    report = check_addon_dir(empty, cwd=tmp_path)
    assert [f.rule for f in report.findings] == ["PK01", "ST01"]


def test_output_inside_the_source_folder_is_not_archived(tmp_path: Path) -> None:
    folder = write_addon(tmp_path, "demo", "1.0.0")
    package_addon(folder, folder)
    again = package_addon(folder, folder)
    assert "demo-1.0.0.tgz" not in again.files


def _tar(entries: list[tarfile.TarInfo], data: bytes = b"x") -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info in entries:
            if info.isfile():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return raw.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        lambda: tarfile.TarInfo("/etc/passwd"),
        lambda: tarfile.TarInfo("demo/../../escape"),
        lambda: _link("demo/link", tarfile.SYMTYPE),
        lambda: _link("demo/hard", tarfile.LNKTYPE),
    ],
)
def test_unpack_refuses_unsafe_entries(tmp_path: Path, make: object) -> None:
    info = make()  # type: ignore[operator]
    data = _tar([tarfile.TarInfo("demo/metadata.yaml"), info])
    with pytest.raises(UnsafeArchiveError):
        unpack_chart(data, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written before the check


def _link(name: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = "/etc/passwd"
    return info


def test_unpack_strips_the_top_folder_and_rejects_garbage(tmp_path: Path) -> None:
    data = build_archive("demo", [("Chart.yaml", b"name: demo\n"), ("resources/a.yaml", b"a: 1\n")])
    assert unpack_chart(data, tmp_path / "out") == ["Chart.yaml", "resources/a.yaml"]
    assert (tmp_path / "out" / "resources" / "a.yaml").read_text() == "a: 1\n"
    with pytest.raises(InputError, match=r"not a chart archive"):
        unpack_chart(b"not gzip", tmp_path / "bad")


def test_round_trip_same_files_and_same_render(tmp_path: Path, evaluator: Evaluator) -> None:
    from veladdon.render import RenderOptions, render_addon

    src = tmp_path / "src" / "redis-operator"
    shutil.copytree(EXAMPLE, src)
    (src / ".helmignore").write_text("*.orig\n")
    (src / "resources" / "crd.yaml.orig").write_text("ignored")
    result = package_addon(src, tmp_path / "out")
    unpacked = tmp_path / "unpacked" / "redis-operator"
    unpack_chart(result.path.read_bytes(), unpacked)
    expected = {k: v for k, v in snapshot(src).items() if not k.endswith(".orig")}
    got = snapshot(unpacked)
    assert got.pop("Chart.yaml").startswith(b"annotations:")
    assert got == expected

    options = RenderOptions(registry="KubeVela")
    a = render_addon(load_addon(src), options, evaluator=evaluator)
    b = render_addon(load_addon(unpacked), options, evaluator=evaluator)
    assert a.objects() == b.objects()
    assert a.secret == b.secret
