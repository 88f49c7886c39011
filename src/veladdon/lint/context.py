"""Per-addon state shared by the checks: the loaded addon, a lazily borrowed evaluator, memoised renders.

Checks never call each other; what two of them need (the render with default parameters, the parsed
CUE of a file) is computed once here, on first use, so selecting only cheap rules costs no CUE call.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veladdon.addon.model import Addon, SourceFile
from veladdon.cue.evaluator import Evaluator
from veladdon.cue.source import CueSyntaxError, ParsedSource, parse, read_header, unused_imports
from veladdon.errors import InputError
from veladdon.jsonable import Jsonable
from veladdon.render.app import RenderOptions, RenderResult, render_application


@dataclass(frozen=True)
class LintOptions:
    """Everything besides the addon's files that changes the findings (and so keys the cache)."""

    rules: tuple[str, ...]  # active rule IDs
    kube_version: str | None = None  # Kubernetes schema version for RS02/RS03 (else from system.kubernetes)
    since: str | None = None  # git ref for VB01

    def cache_key(self) -> dict[str, Any]:
        # `since` is not part of it: VB01 reads git, and is never cached.
        return {"rules": sorted(self.rules), "kube_version": self.kube_version}


@dataclass(frozen=True)
class RawFinding(Jsonable):
    """A finding before display: `file` relative to the addon folder ("" for the folder itself)."""

    rule: str
    message: str
    file: str = ""
    line: int | None = None
    col: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RawFinding:
        return cls(str(data["rule"]), str(data["message"]), str(data["file"]), data["line"], data["col"])


@dataclass
class RenderOutcome:
    result: RenderResult | None = None
    error: InputError | None = None


@dataclass
class LintContext:
    root: Path
    options: LintOptions
    addon: Addon | None
    load_error: InputError | None
    acquire: Callable[[], Evaluator]
    findings: list[RawFinding] = field(default_factory=list)
    _evaluator: Evaluator | None = None
    _renders: dict[str, RenderOutcome] = field(default_factory=dict)
    _parsed: dict[str, ParsedSource | CueSyntaxError] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # per-addon results checks share (by key)

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = self.acquire()
        return self._evaluator

    @property
    def borrowed(self) -> Evaluator | None:
        return self._evaluator

    def active(self, rule_id: str) -> bool:
        return rule_id in self.options.rules

    def rel(self, path: str | Path | None) -> str:
        """`path` relative to the addon folder; a path outside it (a generated file's label) as is."""
        if path is None:
            return ""
        p = Path(path)
        if not p.is_absolute():
            return p.as_posix()
        try:
            return p.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def report(
        self,
        rule_id: str,
        message: str,
        file: str | Path | SourceFile | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        if not self.active(rule_id):
            return
        rel = file.rel if isinstance(file, SourceFile) else self.rel(file)
        self.findings.append(RawFinding(rule_id, message, rel, line, col))

    def report_error(
        self,
        rule_id: str,
        exc: InputError,
        fallback: SourceFile | None = None,
        *,
        same_file: bool = False,
        with_details: bool = True,
    ) -> None:
        """An InputError as findings: one at its position (or at `fallback`'s first line), then one per
        further error it carries at that error's own position (only those in the same file with
        `same_file`, for checks that go on to evaluate the other files by themselves; none without
        `with_details`, for checks that sort them out themselves)."""
        if exc.path is not None:
            self.report(rule_id, _message(exc), exc.path, exc.line, exc.col)
        else:
            self.report(rule_id, _message(exc), fallback, 1 if fallback else None)
        for detail in exc.details if with_details else ():
            if same_file and detail.path != exc.path:
                continue
            if detail.path is not None:
                self.report(rule_id, detail.message, detail.path, detail.line, detail.col)
            else:
                self.report(rule_id, detail.message, fallback, 1 if fallback else None)

    def parsed(self, source: SourceFile) -> ParsedSource | None:
        """The tokens and declarations of a CUE file, or None when it does not scan (CU03 reports that)."""
        got = self._parsed.get(source.rel)
        if got is None:
            try:
                got = parse(source.text)
            except CueSyntaxError as exc:
                got = exc
            self._parsed[source.rel] = got
        return got if isinstance(got, ParsedSource) else None

    def syntax_error(self, source: SourceFile) -> CueSyntaxError | None:
        self.parsed(source)
        got = self._parsed[source.rel]
        return got if isinstance(got, CueSyntaxError) else None

    def render(self, args: Mapping[str, Any] | None = None) -> RenderOutcome:
        """The Application and `outputs` rendered with `args` (default: none, so parameter defaults
        apply), memoised. Definitions are rendered apart (DF rules), so a broken definition does not
        hide the template's findings."""
        assert self.addon is not None
        key = json.dumps(args or {}, sort_keys=True)
        outcome = self._renders.get(key)
        if outcome is None:
            outcome = RenderOutcome()
            try:
                outcome.result = render_application(
                    self.render_addon(),
                    RenderOptions(args=dict(args or {}), registry="local"),
                    evaluator=self.evaluator,
                )
            except InputError as exc:
                outcome.error = exc
            self._renders[key] = outcome
        return outcome

    def render_addon(self) -> Addon:
        """The addon with its unused imports blanked out (lines kept): CU02 reports them, and CUE would
        stop at them before reaching the template's other errors."""
        assert self.addon is not None
        if "render_addon" not in self.memo:
            replaced = {}
            for source in self.addon.files():
                if source.rel.endswith(".cue") and self.parsed(source) is not None:
                    text = without_unused_imports(source.text)
                    if text != source.text:
                        replaced[source.rel] = dataclasses.replace(source, text=text)
            self.memo["render_addon"] = _replace_sources(self.addon, replaced) if replaced else self.addon
        addon: Addon = self.memo["render_addon"]
        return addon


def without_unused_imports(text: str) -> str:
    """`text` with every unused import spec replaced by blanks (a whole `import "x"` when it is the
    declaration's only spec), so line and column numbers stay as written."""
    unused = unused_imports(text)
    if not unused:
        return text
    header = read_header(text)
    ps = parse(text)
    spans: list[tuple[int, int]] = []
    names = {(imp.span.start, imp.span.end) for imp in unused}
    for decl in ps.decls:
        if decl.kind != "import":
            continue
        whole = ps.span(decl.first, decl.last)
        inside = [imp for imp in header.imports if whole.start <= imp.span.start < whole.end]
        if inside and all((imp.span.start, imp.span.end) in names for imp in inside):
            spans.append((whole.start, whole.end))
        else:
            spans.extend(
                (imp.span.start, imp.span.end) for imp in inside if (imp.span.start, imp.span.end) in names
            )
    chars = list(text)
    for start, end in spans:
        for pos in range(start, end):
            if chars[pos] != "\n":
                chars[pos] = " "
    return "".join(chars)


def _replace_sources(addon: Addon, replaced: Mapping[str, SourceFile]) -> Addon:
    def one(source: SourceFile | None) -> SourceFile | None:
        return replaced.get(source.rel, source) if source is not None else None

    def many(sources: tuple[SourceFile, ...]) -> tuple[SourceFile, ...]:
        return tuple(replaced.get(s.rel, s) for s in sources)

    return dataclasses.replace(
        addon,
        parameter=one(addon.parameter),
        legacy_parameter=one(addon.legacy_parameter),
        template_cue=one(addon.template_cue),
        cue_resources=many(addon.cue_resources),
        notes=one(addon.notes),
    )


def _message(exc: InputError) -> str:
    text = exc.message
    if exc.hint:
        text += f"; {exc.hint}"
    return text


__all__ = ["LintContext", "LintOptions", "RawFinding", "RenderOutcome"]
