"""`veladdon package`: an addon folder → a Helm chart archive a Helm registry can serve (upstream §9.5).

Three deliberate differences from `vela addon package`:

* the source folder is never written to: upstream (re)writes `Chart.yaml` into it, we generate it in
  memory and only put it in the archive (a `Chart.yaml` in the folder is replaced, not archived);
* the archive is reproducible: entries sorted (`Chart.yaml` first, as Helm writes it), mode 0644 and
  uid/gid 0 with empty owner names (Helm's own normalisation), one fixed mtime — `$SOURCE_DATE_EPOCH`
  when set, else 0 — and a gzip header without name or time, so one folder gives one byte stream;
* validation problems are reported as `lint` reports findings (rule ID, file, line), all at once;
  and unless asked not to (`evaluate=False`, the CLI's `--skip-lint`) the addon must pass every lint
  rule and render with its defaults, so that no registry serves an addon `enable` would fail on.

`.helmignore` follows Helm's rules (pkg/ignore): one glob per line as Go's `filepath.Match` reads it,
`#` comments, a pattern without `/` matches a base name at any depth, one with `/` the whole relative
path (a leading `/` anchors it), a trailing `/` matches folders only and an ignored folder drops its
contents, `**` is refused as Helm refuses it. Negation (`!pattern`) re-includes what an earlier
pattern excluded, the gitignore way: Helm's own negation ignores every path that does NOT match it,
which nobody writes on purpose. `.git/` is always left out.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from veladdon.addon.loader import addon_folder
from veladdon.addon.model import Metadata
from veladdon.addon.yamlutil import dump_yaml
from veladdon.errors import InputError
from veladdon.lint.model import AddonResult, Finding, LintReport, Rule, Severity

# Rules the package check adds to lint's (not registered with lint: they only concern packaging).
PK01 = Rule(
    "PK01",
    "package.template",
    Severity.ERROR,
    "The addon has an application template a chart can carry",
    "`package` requires template.cue (with an `output` field) or a non-empty template.yaml (upstream §9.5).",
    "Structure",
)
PK02 = Rule(
    "PK02",
    "package.helmignore",
    Severity.ERROR,
    ".helmignore patterns are valid Helm globs",
    "Each line of .helmignore is a Go filepath.Match pattern; `**` is not supported by Helm.",
    "Structure",
)
PK03 = Rule(
    "PK03",
    "package.file",
    Severity.ERROR,
    "Every packaged file is a regular file inside the folder",
    "Sockets, devices and links leading outside the addon folder cannot go into a chart archive.",
    "Structure",
)
PK04 = Rule(
    "PK04",
    "package.version",
    Severity.ERROR,
    "The metadata version is a semantic version",
    "A Helm chart's version must be SemVer 2 (`1.2.3`, `v1.2.3`); render and enable accept any version, "
    "`package` cannot (lint reports it as MD08).",
    "Structure",
)
PK05 = Rule(
    "PK05",
    "package.render",
    Severity.ERROR,
    "The addon renders with its default parameters",
    "What `vela addon enable NAME` would do with the package: `veladdon render` must succeed on it.",
    "Structure",
)
# Lint rules that cover upstream §9.5's checks without evaluating CUE: metadata present, readable, valid,
# with a name and a semantic version, and constraints that parse. These are checked even with
# --skip-lint: without them there is no chart to write.
LINT_RULES = ("ST01", "ST05", "MD01", "MD02", "MD03", "MD04", "MD05")
# Lint rules a package is not checked against: the folder's own name does not matter (the archive's
# folder is named from metadata.yaml), and VB01 needs a git ref.
NOT_FOR_PACKAGES = ("ST02", "VB01")
MAX_ARCHIVE_BYTES = 100 * 1024 * 1024  # Helm's MaxDecompressedChartSize
ALWAYS_IGNORED = frozenset({".git"})


class PackageError(InputError):
    """The folder cannot be packaged; `report` holds the findings (exit 2: a bad addon folder)."""

    def __init__(self, message: str, report: LintReport, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.report = report


class UnsafeArchiveError(InputError):
    """An archive entry that would land outside the target folder, or is not a plain file."""


# --------------------------------------------------------------------------------------------------
# .helmignore


def _go_glob(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match as a regular expression: `*`/`?` never cross `/`, `[...]` with `^` (or `!`)
    negation and ranges, `\\` escapes. Raises ValueError for a malformed pattern (Go's ErrBadPattern)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= len(pattern):
                raise ValueError("trailing backslash")
            out.append(re.escape(pattern[i]))
        elif c == "[":
            j = i + 1
            negate = j < len(pattern) and pattern[j] in "^!"
            if negate:
                j += 1
            parts: list[str] = []
            first = True
            while True:
                if j >= len(pattern):
                    raise ValueError("unterminated character class")
                ch = pattern[j]
                if ch == "]" and not first:
                    break
                first = False
                if ch == "\\":
                    j += 1
                    if j >= len(pattern):
                        raise ValueError("trailing backslash")
                    ch = pattern[j]
                lo = ch
                if j + 2 < len(pattern) and pattern[j + 1] == "-" and pattern[j + 2] != "]":
                    hi = pattern[j + 2]
                    if hi == "\\":
                        j += 1
                        hi = pattern[j + 2] if j + 2 < len(pattern) else ""
                        if not hi:
                            raise ValueError("trailing backslash")
                    if hi < lo:
                        raise ValueError("bad range")
                    parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
                    j += 3
                else:
                    parts.append(re.escape(lo))
                    j += 1
            body = "".join(parts)
            out.append(f"[^/{body}]" if negate else f"(?!/)[{body}]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@dataclass(frozen=True)
class _Pattern:
    raw: str
    line: int
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    mode: str  # "base": match the base name; "path": the whole relative path


class HelmIgnore:
    """The rules of one `.helmignore` (see the module docstring for the semantics)."""

    def __init__(self, text: str = "", source: str = ".helmignore") -> None:
        self.patterns: list[_Pattern] = []
        self.errors: list[tuple[int, str]] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            rule = raw.strip()
            if not rule or rule.startswith("#"):
                continue
            if "**" in rule:
                self.errors.append((number, f"double-star (**) syntax is not supported: {rule!r}"))
                continue
            negate = rule.startswith("!")
            body = rule[1:] if negate else rule
            dir_only = body.endswith("/")
            body = body.rstrip("/")
            mode = "path" if "/" in body else "base"
            body = body.lstrip("/")
            try:
                regex = _go_glob(body)
            except ValueError as exc:
                self.errors.append((number, f"bad pattern {rule!r}: {exc}"))
                continue
            self.patterns.append(_Pattern(rule, number, regex, negate, dir_only, mode))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether `rel` (POSIX, relative to the addon folder) is left out; the last match decides."""
        if rel in ("", "."):
            return False
        result = False
        name = rel.rsplit("/", 1)[-1]
        for p in self.patterns:
            if p.dir_only and not is_dir:
                continue
            if p.regex.match(name if p.mode == "base" else rel):
                result = not p.negate
        return result


# --------------------------------------------------------------------------------------------------
# Validation


def _template_problems(root: Path) -> list[tuple[str, str]]:
    """Upstream §9.5's template checks, in upstream's order: (file, message)."""
    cue, yml = root / "template.cue", root / "template.yaml"
    if not cue.exists() and not yml.exists():
        return [("", "no template.yaml or template.cue exists: `package` needs an application template")]
    try:
        if cue.exists():
            # Upstream's gate is a substring, deliberately ("Just look for `output` field is enough",
            # utils.go: IsAddonDir): `package` refuses exactly what `vela addon package` refuses. Whether
            # `output` is really declared is the render's question (PK05, TP01), not this gate's; see
            # docs/architecture.md, "Reading CUE source".
            if "output" not in cue.read_text(encoding="utf-8", errors="replace"):
                return [("template.cue", "no output field in template.cue")]
            return []
        if not yml.read_text(encoding="utf-8", errors="replace").strip():
            return [("template.yaml", "template (template.yaml) missing: the file is empty")]
    except OSError as exc:
        return [("", f"cannot stat template.yaml or template.cue: {exc.strerror}")]
    return []


def check_addon_dir(
    path: str | Path, *, cwd: Path | None = None, evaluate: bool = False, cue_path: str | None = None
) -> LintReport:
    """The checks `package` runs before archiving (upstream §9.5 step 1), as a lint report: lint's
    structure and metadata rules plus the template, .helmignore and file checks; with `evaluate` every
    other lint rule too (CUE is evaluated, with `cue_path` if given) and PK05, the render with default
    parameters. Raises InputError when `path` is not a folder (there is nothing to report on)."""
    from veladdon.lint.engine import display_path, lint_paths

    root = addon_folder(path).resolve()
    cwd = (cwd or Path.cwd()).resolve()
    shown = display_path(root, cwd)
    extra: list[Finding] = []

    def add(rule: Rule, file: str, message: str, line: int | None = None, col: int | None = None) -> None:
        where = file if shown == "." and file else (f"{shown}/{file}" if file else shown)
        extra.append(Finding(where, line, col, rule.id, message, rule.severity, shown))

    if not (root / "metadata.yaml").is_file():
        results: tuple[AddonResult, ...] = ()
        add(
            _st01(),
            "",
            f'no metadata.yaml exists in directory "{shown}"; `veladdon init NAME` creates an addon',
        )
    else:
        selected = [r.id for r in _package_rules(evaluate)]
        report = lint_paths([root], select=selected, jobs=1, cache_dir=None, cwd=cwd, cue_path=cue_path)
        results = report.addons
    for file, message in _template_problems(root):
        add(PK01, file, message)
    version_problem = _version_problem(root)
    if version_problem is not None:
        add(PK04, "metadata.yaml", *version_problem)
    ignore_file = root / ".helmignore"
    if ignore_file.is_file():
        rules = HelmIgnore(ignore_file.read_text(encoding="utf-8", errors="replace"))
        for line, message in rules.errors:
            add(PK02, ".helmignore", message, line)
    for rel, message in _file_problems(root):
        add(PK03, rel, message)
    base = results[0] if results else AddonResult(shown, ())
    if evaluate and not any(f.severity is Severity.ERROR for f in (*base.findings, *extra)):
        problem = _render_problem(root, cue_path)
        if problem is not None:
            add(PK05, *problem)
    findings = tuple(sorted({*base.findings, *extra}, key=Finding.sort_key))
    rules_used = (*_package_rules(evaluate), PK01, PK02, PK03, PK04, *((PK05,) if evaluate else ()))
    return LintReport((AddonResult(base.path, findings),), rules_used)


def _package_rules(evaluate: bool) -> tuple[Rule, ...]:
    from veladdon.lint.ruleset import select_rules

    return select_rules((), NOT_FOR_PACKAGES) if evaluate else select_rules(LINT_RULES)


def _render_problem(root: Path, cue_path: str | None) -> tuple[str, str, int | None, int | None] | None:
    """(file relative to `root`, message, line, col) when the addon does not render with its default
    parameters; lint's rules catch nearly everything render refuses, this is the rest."""
    from veladdon.addon.loader import load_addon
    from veladdon.cue.evaluator import default_evaluator
    from veladdon.render import RenderOptions, render_addon

    try:
        render_addon(load_addon(root), RenderOptions(registry="local"), evaluator=default_evaluator(cue_path))
    except InputError as exc:
        where = Path(exc.path) if exc.path else None
        rel = where.relative_to(root).as_posix() if where and where.is_relative_to(root) else ""
        return rel, f"the addon does not render: {exc.message}", exc.line, exc.col
    return None


def _version_problem(root: Path) -> tuple[str, int | None] | None:
    """A loadable addon whose version is not semver (MD03 reports an unloadable one)."""
    from veladdon.addon.loader import load_addon
    from veladdon.addon.versions import is_semver

    try:
        meta = load_addon(root).metadata
    except InputError:
        return None
    if is_semver(meta.version):
        return None
    return (
        f"version {meta.version!r} is not a semantic version, which a Helm chart's version must be "
        "(e.g. 1.0.0)",
        meta.lines.get("version"),
    )


def _st01() -> Rule:
    from veladdon.lint.ruleset import get_rule

    return get_rule("ST01")


def _file_problems(root: Path) -> list[tuple[str, str]]:
    problems = []
    for rel, full, _ in _walk(root, HelmIgnore(_read_ignore(root))):
        try:
            st = full.stat()
        except OSError as exc:
            problems.append((rel, f"cannot read {rel}: {exc.strerror}"))
            continue
        if not stat.S_ISREG(st.st_mode):
            problems.append(
                (rel, f"{rel} is not a regular file (a link to a folder, a socket, a device or a pipe)")
            )
        elif full.is_symlink() and not full.resolve().is_relative_to(root):
            problems.append((rel, f"{rel} is a link leading outside the addon folder"))
    return problems


def _read_ignore(root: Path) -> str:
    try:
        return (root / ".helmignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _walk(root: Path, rules: HelmIgnore) -> Iterator[tuple[str, Path, bool]]:
    """(relative POSIX path, path, is_dir) for every file kept, depth first in lexicographic order (as
    Helm's walk); ignored folders are not entered. Links to folders are not followed (no cycles)."""

    def visit(folder: Path, prefix: str) -> Iterator[tuple[str, Path, bool]]:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for entry in entries:
            rel = prefix + entry.name
            if not prefix and entry.name in ALWAYS_IGNORED:
                continue
            if entry.is_dir() and not entry.is_symlink():
                if not rules.ignored(rel, True):
                    yield from visit(entry, rel + "/")
                continue
            if not rules.ignored(rel, False):
                yield rel, entry, False

    yield from visit(root, "")


# --------------------------------------------------------------------------------------------------
# Chart.yaml and the archive


def chart_metadata(meta: Metadata) -> dict[str, Any]:
    """Chart.yaml as upstream generates it from metadata.yaml (upstream §9.5 step 2), empty fields omitted."""
    annotations = {"addon.name": meta.name}
    if meta.system is not None:
        if meta.system.vela:
            annotations["system.vela"] = meta.system.vela
        if meta.system.kubernetes:
            annotations["system.kubernetes"] = meta.system.kubernetes
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": meta.name,
        "version": meta.version,
        "appVersion": meta.version,
        "description": meta.description,
        "type": "library",
        "icon": meta.icon,
        "home": meta.url,
        "keywords": list(meta.tags),
        "annotations": annotations,
    }
    return {k: v for k, v in chart.items() if v}


def source_date_epoch() -> int | None:
    """`$SOURCE_DATE_EPOCH` (reproducible-builds.org), or None when unset; InputError when malformed."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH must be a number of seconds, not {raw!r}")
    return int(raw)


def build_archive(prefix: str, files: Sequence[tuple[str, bytes]], mtime: int = 0) -> bytes:
    """A gzip'd tar of `files` under `prefix/`, byte-identical for identical input."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, data in files:
            info = tarfile.TarInfo(f"{prefix}/{rel}")
            info.size = len(data)
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


@dataclass(frozen=True)
class PackageResult:
    path: Path
    name: str
    version: str
    files: tuple[str, ...]  # archived paths relative to the addon folder, Chart.yaml first
    digest: str  # sha256 of the archive, as index.yaml records it


def package_addon(
    path: str | Path,
    out_dir: str | Path | None = None,
    *,
    cwd: Path | None = None,
    on_report: Callable[[LintReport], None] | None = None,
    evaluate: bool = False,
    cue_path: str | None = None,
) -> PackageResult:
    """Validate the addon folder and write `<name>-<version>.tgz` into `out_dir` (default: the working
    directory). With `evaluate` the addon must also pass every lint rule and render (see
    check_addon_dir). Raises PackageError (carrying the lint report, naming its first error) when the
    folder fails the checks; the source folder is never modified. `on_report` sees the report even when
    it is clean."""
    import hashlib

    from veladdon.addon.loader import load_addon

    report = check_addon_dir(path, cwd=cwd, evaluate=evaluate, cue_path=cue_path)
    if on_report is not None:
        on_report(report)
    if report.failed():
        first = next(f for f in report.findings if f.severity is Severity.ERROR)
        n = report.summary.errors
        structural = first.rule in (*LINT_RULES, PK01.id, PK02.id, PK03.id, PK04.id)
        raise PackageError(
            f"cannot package {path}: {first.rule} {first.message}"
            + (f" (and {n - 1} more problem{'s' if n != 2 else ''}, listed above)" if n > 1 else ""),
            report,
            path=first.file,
            line=first.line,
            col=first.col,
            hint="fix "
            + ("them" if n > 1 else "it")
            + ", then package again"
            + ("" if structural else " (--skip-lint packages it all the same)"),
        )
    root = Path(path).resolve()
    meta = load_addon(root).metadata
    target_dir = Path(out_dir) if out_dir is not None else (cwd or Path.cwd())
    target = (target_dir / f"{meta.name}-{meta.version}.tgz").resolve()
    files: list[tuple[str, bytes]] = [("Chart.yaml", dump_yaml(chart_metadata(meta)).encode())]
    for rel, full, _ in _walk(root, HelmIgnore(_read_ignore(root))):
        if rel == "Chart.yaml" or full.resolve() == target:
            continue
        try:
            files.append((rel, full.read_bytes()))
        except OSError as exc:
            raise InputError(f"cannot read {rel}: {exc.strerror}", path=full) from exc
    epoch = source_date_epoch()
    data = build_archive(meta.name, files, mtime=epoch or 0)
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}", path=target) from exc
    return PackageResult(
        target, meta.name, meta.version, tuple(f for f, _ in files), hashlib.sha256(data).hexdigest()
    )


# --------------------------------------------------------------------------------------------------
# Reading archives


def read_chart_yaml(data: bytes, source: str) -> tuple[dict[str, Any], int, bytes | None]:
    """(Chart.yaml, its mtime, metadata.yaml bytes or None) of a chart archive, without unpacking it."""
    import yaml

    chart: dict[str, Any] | None = None
    mtime = 0
    meta: bytes | None = None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if len(parts) != 2 or not member.isfile():
                    continue
                if parts[1] == "Chart.yaml" and chart is None:
                    handle = tar.extractfile(member)
                    loaded = yaml.safe_load(handle.read()) if handle else None
                    if not isinstance(loaded, dict):
                        raise InputError(f"{source}: Chart.yaml is not a mapping")
                    chart, mtime = loaded, int(member.mtime)
                elif parts[1] == "metadata.yaml" and meta is None:
                    handle = tar.extractfile(member)
                    meta = handle.read() if handle else None
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError) as exc:
        raise InputError(f"{source} is not a chart archive: {exc}") from exc
    if chart is None:
        raise InputError(f"{source} is not a chart archive: no <name>/Chart.yaml in it")
    return chart, mtime, meta


def unpack_chart(data: bytes, dest: Path, *, source: str = "archive") -> list[str]:
    """Unpack a chart archive into `dest`, the top-level folder stripped (upstream §9.4); returns the files.

    Refuses absolute paths, `..`, links, devices and archives over 100 MiB unpacked, before writing
    anything (UnsafeArchiveError). Top-level plain files are skipped, as Helm skips them."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = tar.getmembers()
            plan: list[tuple[str, tarfile.TarInfo]] = []
            total = 0
            for m in members:
                name = m.name.replace("\\", "/")
                posix = PurePosixPath(name)
                if name.startswith("/") or posix.is_absolute() or re.match(r"^[A-Za-z]:", name):
                    raise UnsafeArchiveError(f"{source}: absolute path {m.name!r} in the archive")
                if ".." in posix.parts:
                    raise UnsafeArchiveError(f"{source}: path {m.name!r} leaves the archive's folder")
                if m.isdir() or m.type in (tarfile.XHDTYPE, tarfile.XGLTYPE):
                    continue
                if not m.isfile():
                    raise UnsafeArchiveError(f"{source}: {m.name!r} is a link or a device, not a file")
                parts = [p for p in posix.parts if p not in ("", ".")]
                if len(parts) < 2:
                    continue
                total += m.size
                if total > MAX_ARCHIVE_BYTES:
                    raise UnsafeArchiveError(f"{source}: unpacks to more than 100 MiB")
                plan.append(("/".join(parts[1:]), m))
            written: list[str] = []
            for rel, m in plan:
                handle = tar.extractfile(m)
                content = handle.read() if handle is not None else b""
                target = dest.joinpath(*rel.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                written.append(rel)
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise InputError(f"{source} is not a chart archive: {exc}") from exc
    if not written:
        raise InputError(f"{source} is not a chart archive: it holds no files")
    return written


__all__ = [
    "PK01",
    "PK02",
    "PK03",
    "PK04",
    "HelmIgnore",
    "PackageError",
    "PackageResult",
    "UnsafeArchiveError",
    "build_archive",
    "chart_metadata",
    "check_addon_dir",
    "package_addon",
    "read_chart_yaml",
    "source_date_epoch",
    "unpack_chart",
]
