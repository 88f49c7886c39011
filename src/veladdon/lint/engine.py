"""Running the rules over many addons: discovery, a pool of evaluators (one CUE worker per job), the
cache, and turning raw findings into sorted, displayable ones.

Threads, not processes: the expensive part of a lint is CUE, which runs in the evaluators' own
processes (one Node worker per job with the WASM build), so Python threads keep them all busy while
sharing one interpreter, one rule set and one schema cache.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from veladdon.addon.loader import addon_folder, load_addon
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import EvaluatorError, InputError
from veladdon.lint.cache import LintCache, evaluator_key
from veladdon.lint.context import LintContext, LintOptions, RawFinding
from veladdon.lint.model import AddonResult, Finding, LintReport
from veladdon.lint.ruleset import all_checks, get_rule, select_rules

ADDON_MARKERS = ("metadata.yaml", "template.cue", "template.yaml", "parameter.cue")
SKIP_DIRS = frozenset({"node_modules", "__pycache__"})
UNCACHED = frozenset({"VB01"})


class EvaluatorPool:
    """`size` evaluators handed out one per addon at a time; each owns one CUE worker."""

    def __init__(self, size: int, cue_path: str | None = None, provided: Sequence[Evaluator] = ()) -> None:
        self._own = [] if provided else [Evaluator(cue_path=cue_path, long_running=True) for _ in range(size)]
        self.evaluators = list(provided) or self._own
        self._free: queue.Queue[Evaluator] = queue.Queue()
        for ev in self.evaluators:
            self._free.put(ev)

    def acquire(self) -> Evaluator:
        return self._free.get()

    def release(self, evaluator: Evaluator) -> None:
        self._free.put(evaluator)

    def warm(self, count: int) -> None:
        """Start up to `count` workers now, so Node's start-up overlaps hashing and loading."""
        for ev in self.evaluators[:count]:
            try:
                ev.warm()
            except EvaluatorError:
                return  # reported by the first rule that needs CUE, with the install hint

    def close(self) -> None:
        for ev in self._own:
            ev.close()


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Every addon folder under `paths`: a folder with metadata.yaml, or one that looks like an addon
    (a template or parameter.cue) without it — ST01 reports those. Raises InputError for a path that
    does not exist or holds no addon."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        path = path.parent if path.is_file() and path.name == "metadata.yaml" else addon_folder(raw)
        path = path.resolve()
        before = len(found)
        _walk_for_addons(path, found)
        if len(found) == before:
            raise InputError(
                f"no addon found in {raw}",
                hint="an addon is a folder with a metadata.yaml; `veladdon init NAME` creates one",
            )
    return sorted(found)


def _walk_for_addons(folder: Path, found: set[Path]) -> None:
    if any((folder / marker).is_file() for marker in ADDON_MARKERS):
        found.add(folder)
        return  # nothing inside an addon is another addon
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in SKIP_DIRS:
            _walk_for_addons(entry, found)


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory when under it (what CI annotations need), else absolute."""
    try:
        return path.relative_to(cwd).as_posix() or "."
    except ValueError:
        return path.as_posix()


def run_checks(root: Path, options: LintOptions, pool: EvaluatorPool) -> list[RawFinding]:
    """Load the addon and run every check that reports an active rule."""
    try:
        addon, error = load_addon(root), None
    except InputError as exc:
        addon, error = None, exc
    ctx = LintContext(root, options, addon, error, pool.acquire)
    active = set(options.rules)
    try:
        for check in all_checks():
            if active.intersection(check.rules):
                check.fn(ctx)  # checks that need the addon return at once when it did not load
    finally:
        if ctx.borrowed is not None:
            pool.release(ctx.borrowed)
    return ctx.findings


@dataclass(frozen=True)
class _Job:
    root: Path
    key: str | None
    cached: list[RawFinding] | None


def lint_paths(
    paths: Iterable[str | Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    kube_version: str | None = None,
    since: str | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    cue_path: str | None = None,
    evaluators: Sequence[Evaluator] = (),
    cwd: Path | None = None,
) -> LintReport:
    """Lint every addon under `paths`; the library entry point behind `veladdon lint`.

    `cache_dir=None` disables the cache. `evaluators` lets a caller share its own (tests do); else
    `jobs` evaluators are created and closed here. Raises InputError for bad input (exit 2).
    """
    rules = select_rules(select, ignore)
    options = LintOptions(tuple(r.id for r in rules), kube_version, since)
    if kube_version:
        from veladdon.lint.rules.resources import schema_version

        schema_version(kube_version, "")  # validates the flag before any work
    roots = discover(paths)
    if since is not None and "VB01" in options.rules:
        from veladdon.addon.git import verify_ref

        verify_ref(roots[0], since)
    workers = max(1, jobs or os.cpu_count() or 1)
    pool = EvaluatorPool(min(workers, len(roots)), cue_path, evaluators)
    cwd = (cwd or Path.cwd()).resolve()
    cacheable = replace(options, rules=tuple(r for r in options.rules if r not in UNCACHED), since=None)
    uncached = replace(options, rules=tuple(r for r in options.rules if r in UNCACHED))
    try:
        cache = LintCache(cache_dir, evaluator_key(pool.evaluators[0])) if cache_dir is not None else None
        queue = []
        for root in roots:
            key = cache.key(root, cacheable) if cache is not None else None
            queue.append(_Job(root, key, cache.get(key) if cache is not None and key else None))
        misses = sum(1 for job in queue if job.cached is None)
        if misses and any("cue" in rule.needs for rule in rules):
            pool.warm(min(misses, len(pool.evaluators)))

        def one(job: _Job) -> AddonResult:
            raw = job.cached
            if raw is None:
                raw = run_checks(job.root, cacheable, pool)
                if cache is not None and job.key is not None:
                    cache.put(job.key, raw)
            extra = run_checks(job.root, uncached, pool) if uncached.rules else []
            return _result(job.root, [*raw, *extra], cwd, cached=job.cached is not None)

        if len(queue) == 1 or len(pool.evaluators) == 1:
            results = [one(job) for job in queue]
        else:
            with ThreadPoolExecutor(max_workers=len(pool.evaluators)) as executor:
                results = list(executor.map(one, queue))
    finally:
        pool.close()
    return LintReport(tuple(results), rules)


def _result(root: Path, raw: list[RawFinding], cwd: Path, *, cached: bool) -> AddonResult:
    shown = display_path(root, cwd)
    findings = []
    for item in raw:
        if item.file and item.file != "." and (root / item.file).exists():
            file = item.file if shown == "." else f"{shown}/{item.file}"
        else:
            file = shown
        rule = get_rule(item.rule)
        findings.append(Finding(file, item.line, item.col, item.rule, item.message, rule.severity, shown))
    unique = sorted(set(findings), key=Finding.sort_key)
    return AddonResult(shown, tuple(unique), cached)


__all__ = ["EvaluatorPool", "discover", "display_path", "lint_paths", "run_checks"]
