"""`make engines` (tools/engines/build.py) on a tiny Go module of the test's own: a real `go build`, a
real cache, and the faults a user meets (no Go, a failing build, a damaged binary in the cache)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tools.engines import build

ROOT = Path(__file__).resolve().parents[2]
GO = shutil.which("go")
needs_go = pytest.mark.skipif(GO is None, reason="no Go toolchain on PATH")


def tiny_engine(tmp_path: Path, source: str) -> build.Engine:
    """An engine whose build module requires a local module (replaced by a folder: nothing downloaded)."""
    module = tmp_path / "mod"
    dep = module / "dep"
    dep.mkdir(parents=True)
    (dep / "go.mod").write_text("module example.com/dep\n\ngo 1.22\n")
    (dep / "dep.go").write_text('package dep\n\nconst Name = "tiny"\n')
    (module / "go.mod").write_text(
        "module example.com/tiny\n\ngo 1.22\n\nrequire example.com/dep v1.2.3\n\n"
        "replace example.com/dep => ./dep\n"
    )
    (module / "go.sum").write_text("")
    cmd = module / "cmd" / "tiny"
    cmd.mkdir(parents=True)
    (cmd / "main.go").write_text(source)
    return build.Engine("tiny", str(module), "example.com/dep", "example.com/tiny/cmd/tiny", "tiny")


GOOD = (
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n)\n\nfunc main() { fmt.Println(dep.Name) }\n'
)
BAD = "package main\n\nfunc main() { undefinedThing() }\n"


def test_the_version_comes_from_the_build_modules_go_mod() -> None:
    versions = {(e.name, e.version()) for e in build.ENGINES}
    assert {("cue", "v0.9.2"), ("cue", "v0.14.1"), ("cue", "v0.17.1")} <= versions
    assert ("kube-apiserver", "v1.36.3") in versions and ("etcd", "v3.6.16") in versions


def test_without_go_it_says_so_builds_nothing_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path), "VELADDON_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "engines" / "build.py")],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stdout.startswith("make engines: no Go toolchain (go is not on PATH): built nothing;")
    assert len(proc.stdout.splitlines()) == 1
    assert not (tmp_path / "cache").exists()


@needs_go
def test_build_then_reuse_then_rebuild_a_damaged_binary(tmp_path: Path) -> None:
    assert GO is not None
    engine = tiny_engine(tmp_path, GOOD)
    cache = tmp_path / "cache"
    assert build.installed(engine, cache) is None
    binary = build.build(engine, GO, cache)
    assert binary == cache / "tiny-v1.2.3" / "tiny"
    assert subprocess.run([binary], capture_output=True, text=True, check=True).stdout == "tiny\n"
    assert build.installed(engine, cache) == binary
    # A truncated binary (an interrupted copy, a full disk) no longer matches its stamp.
    data = binary.read_bytes()
    binary.write_bytes(data[: len(data) // 2])
    assert build.installed(engine, cache) is None
    # So does one whose build module changed.
    assert build.build(engine, GO, cache) == binary and build.installed(engine, cache) == binary
    (Path(engine.module_dir) / "go.mod").write_text((Path(engine.module_dir) / "go.mod").read_text() + "\n")
    assert build.installed(engine, cache) is None


@needs_go
def test_a_failing_build_names_the_module_and_the_first_error_and_leaves_nothing(tmp_path: Path) -> None:
    assert GO is not None
    engine = tiny_engine(tmp_path, BAD)
    cache = tmp_path / "cache"
    with pytest.raises(build.BuildFailed) as err:
        build.build(engine, GO, cache)
    message = str(err.value)
    assert message.startswith(
        f"building tiny v1.2.3 (module {engine.module_dir}, example.com/tiny/cmd/tiny) failed: "
    )
    assert "undefined: undefinedThing" in message
    assert "\n" not in message
    assert list(cache.iterdir()) == []  # no engine folder, no staging folder


def test_the_make_engines_lines_name_each_engine_version_and_path(tmp_path: Path) -> None:
    """`--list` prints the same NAME VERSION PATH lines as a build, without building."""
    env = {**os.environ, "VELADDON_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "engines" / "build.py"), "--list"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert proc.stdout.splitlines() == [f"{e.name} {e.version()} (not built)" for e in build.ENGINES]


def test_names_select_engines_by_name_version_or_build_module() -> None:
    def names(*asked: str) -> list[str]:
        return [f"{e.name}-{e.version()}" for e in build.select(list(asked))]

    assert names("cue") == ["cue-v0.9.2", "cue-v0.14.1", "cue-v0.17.1"]
    assert names("cue-v0.14.1") == ["cue-v0.14.1"]
    assert names("kubernetes") == [
        "kube-apiserver-v1.36.3",
        "kube-controller-manager-v1.36.3",
        "kube-scheduler-v1.36.3",
    ]
    assert names("kwok") == ["kwok-v0.8.0", "kwok-stages-v0.8.0"]
    assert names("kubevela") == [
        "vela-v1.10.9",
        "vela-core-v1.10.9",
        "kubevela-crds-v1.10.9",
        "kubevela-definitions-v1.10.9",
    ]
    with pytest.raises(SystemExit, match="unknown engine 'kubectl'"):
        build.select(["kubectl"])
