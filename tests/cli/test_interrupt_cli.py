"""Ctrl-C and the CUE timeout during a long evaluation (issue 13, item 14), on every CUE release: the
evaluator is stopped at once, veladdon exits 130 with one line, and no evaluator process is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import engines
from tests.conftest import EXAMPLE
from tests.slowcue import alive, children, command_line, slow_addon, start_evaluating
from veladdon.cli.main import run
from veladdon.cue.backends import WasmWorkerBackend
from veladdon.cue.evaluator import CueFile, Evaluator
from veladdon.errors import EvaluatorError

pytestmark = pytest.mark.usefixtures("cue_release")

Capture = pytest.CaptureFixture[str]
# "Within a second", with room for a loaded 2-core machine.
PROMPT = 3.0
TIMED_OUT = (
    "Error: cue export did not finish in 1 s and was stopped; look for a comprehension that never ends, "
    "or allow longer with VELADDON_CUE_TIMEOUT=SECONDS\n"
)


def _gone(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_ctrl_c_stops_a_long_render_at_once(tmp_path: Path) -> None:
    addon = slow_addon(tmp_path / "slow")
    proc = start_evaluating(["render", str(addon)], tmp_path, dict(os.environ))
    evaluators = [p for p in children(proc.pid) if "cue" in command_line(p) or "worker.js" in command_line(p)]
    assert evaluators, "no evaluator process was running"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)  # to veladdon alone, as `kill -INT` does
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    assert proc.returncode == 130
    assert (out, err) == ("", "Error: interrupted\n")
    assert elapsed < PROMPT, f"exited {elapsed:.1f}s after Ctrl-C"
    assert _gone(evaluators, PROMPT) == [], "the evaluator outlived veladdon"


def test_a_render_longer_than_the_cue_timeout_is_stopped(tmp_path: Path) -> None:
    addon = slow_addon(tmp_path / "slow")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "veladdon", "render", str(addon)],
        capture_output=True,
        text=True,
        env={**os.environ, "VELADDON_CUE_TIMEOUT": "1"},
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", TIMED_OUT)
    # The evaluation alone takes several seconds natively and far longer on WASM; start-up is generous.
    assert elapsed < 15, f"took {elapsed:.1f}s"


def test_the_wasm_worker_after_a_timeout_is_replaced(
    cue_release: engines.CueRelease, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if cue_release.cue is not None:
        pytest.skip("the WASM worker only")
    before = set(children(os.getpid()))  # other tests' evaluators may be running: not this one's
    evaluator = Evaluator(cue_path="wasm")
    try:
        backend = evaluator.backend
        assert isinstance(backend, WasmWorkerBackend)
        assert evaluator.export([CueFile("a.cue", "x: 1")], ["x"]) == [1]
        workers = [p for p in children(os.getpid()) if p not in before and "worker.js" in command_line(p)]
        assert len(workers) == 1
        monkeypatch.setenv("VELADDON_CUE_TIMEOUT", "1")
        slow = (slow_addon(tmp_path / "slow") / "template.cue").read_text()
        with pytest.raises(EvaluatorError, match="cue export did not finish in 1 s and was stopped"):
            evaluator.export([CueFile("template.cue", slow)], ["output"])
        assert _gone(workers, PROMPT) == [], "the worker that timed out is still running"
        monkeypatch.delenv("VELADDON_CUE_TIMEOUT")
        assert evaluator.export([CueFile("a.cue", "x: 2")], ["x"]) == [2]  # a fresh worker
    finally:
        evaluator.close()


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_a_bad_cue_timeout_setting_is_one_line(
    capsys: Capture, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("VELADDON_CUE_TIMEOUT", value)
    code = run(["render", str(EXAMPLE)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"Error: VELADDON_CUE_TIMEOUT={value!r} is not a number of seconds; set it to e.g. 300\n"
