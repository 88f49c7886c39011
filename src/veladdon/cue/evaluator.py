"""Evaluate sets of CUE files and report errors against the user's own files and lines.

Callers hand over `CueFile`s (the user's text, possibly with a package clause rewritten in a
line-preserving way, or generated text such as the parameter values); this module writes them
into a private temporary folder, runs the backend once, and maps every position the evaluator
prints (`./template.cue:12:5`) back to the file the user knows. A temporary path never leaks.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veladdon.cue.backends import Backend, discover
from veladdon.errors import Detail, InputError

_POS = re.compile(r"(?P<path>(?:\./|/)?[\w./-]+\.cue):(?P<line>\d+):(?P<col>\d+)")


@dataclass(frozen=True)
class CueFile:
    """One file of an evaluation.

    `name` is its name inside the evaluation folder; `origin` the path to show users (None for
    generated text, which is then described by `label`); `role` groups errors ("parameter",
    "template", ...). `holders` name the keys veladdon generated to hold the user's declarations
    (`_veladdon_r0`, `#_veladdon_p`, ...) with what the user wrote instead (`""` when the user's own
    fields sit right under it): every error message says the user's name, never veladdon's.
    """

    name: str
    text: str
    origin: str | None = None
    label: str | None = None
    role: str = "template"
    holders: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Position:
    file: str  # what the user sees: their path, or the generated file's label
    line: int
    col: int
    role: str
    generated: bool


@dataclass(frozen=True)
class Diagnostic:
    message: str
    positions: tuple[Position, ...] = ()

    @property
    def primary(self) -> Position | None:
        """The first position in a user's file, else the first position."""
        for pos in self.positions:
            if not pos.generated:
                return pos
        return self.positions[0] if self.positions else None

    @property
    def role(self) -> str:
        roles = {p.role for p in self.positions}
        return "parameter" if "parameter" in roles else (self.primary.role if self.primary else "template")

    def detail(self, message: str | None = None) -> Detail:
        """This error as a further error of a failure: its message at its primary position."""
        pos = self.primary
        return Detail(
            self.message if message is None else message,
            pos.file if pos else None,
            pos.line if pos else None,
            pos.col if pos else None,
        )


class CueError(InputError):
    """CUE rejected the files; `diagnostics` hold each error with its mapped positions."""

    def __init__(self, diagnostics: Sequence[Diagnostic], *, context: str = "") -> None:
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else Diagnostic("CUE evaluation failed")
        pos = first.primary
        kind = "parameter error" if first.role == "parameter" else "CUE error"
        message = f"{kind}: {first.message}"
        if context:
            message = f"{context}: {message}"
        super().__init__(
            message,
            path=pos.file if pos else None,
            line=pos.line if pos else None,
            col=pos.col if pos else None,
            details=[d.detail() for d in self.diagnostics[1:] if d.detail() != first.detail()],
        )

    def reworded(
        self,
        message: str,
        *,
        lead: Diagnostic | None = None,
        details: Sequence[Detail] | None = None,
        default_path: str | Path | None = None,
        error: type[InputError] = InputError,
        **extra: Any,
    ) -> InputError:
        """This error in the caller's words, as the InputError (or `error`) a command shows: at the
        position of `lead` (one of `diagnostics`) when it has one, else where this error is (or at
        `default_path`); with this error's details unless `details` are given. The one place a CUE
        error is wrapped."""
        pos = lead.primary if lead is not None else None
        path, line, col = (
            (pos.file, pos.line, pos.col) if pos else (self.path or default_path, self.line, self.col)
        )
        return error(
            message,
            path=path,
            line=line,
            col=col,
            details=list(self.details if details is None else details),
            **extra,
        )

    def grouped(self) -> dict[str, list[Diagnostic]]:
        """Errors grouped as users think of them: parameter errors vs template errors."""
        groups: dict[str, list[Diagnostic]] = {}
        for diag in self.diagnostics:
            groups.setdefault(diag.role, []).append(diag)
        return groups


class Evaluator:
    """The one door to CUE. Counts round trips so tests can hold rendering to a budget."""

    def __init__(
        self, backend: Backend | None = None, *, cue_path: str | None = None, long_running: bool = False
    ) -> None:
        self._backend = backend
        self._cue_path = cue_path
        self._long_running = long_running
        self.calls = 0

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = discover(self._cue_path, long_running=self._long_running)
        return self._backend

    @property
    def description(self) -> str:
        return self.backend.description

    def warm(self) -> None:
        """Start the evaluator in the background, so it is ready by the time it is needed."""
        self.backend.prestart()

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    def export(self, files: Sequence[CueFile], expressions: Sequence[str]) -> list[Any]:
        """`cue export FILES -e E1 -e E2 ... --out json` in one round trip; one value per expression."""
        args = ["export", *(f.name for f in files)]
        for expr in expressions:
            args += ["-e", expr]
        args += ["--out", "json"]
        stdout = self._run(files, args)
        values = _json_stream(stdout)
        if len(values) != len(expressions):
            raise CueError([Diagnostic(f"cue export printed {len(values)} values for {len(expressions)}")])
        return values

    def openapi(self, files: Sequence[CueFile]) -> dict[str, Any]:
        """`cue def FILES --out openapi+json`: every definition `#X` as an OpenAPI schema."""
        stdout = self._run(files, ["def", *(f.name for f in files), "--out", "openapi+json"])
        document = json.loads(stdout)
        return document if isinstance(document, dict) else {}

    def vet(self, files: Sequence[CueFile]) -> None:
        """Compile the files (no concreteness required): raises CueError on any error."""
        self._run(files, ["vet", "-c=false", *(f.name for f in files)])

    def fmt(self, texts: Sequence[str], *, simplify: bool = True) -> list[str]:
        """`cue fmt -s` (`cue fmt` with `simplify=False`) over many texts in one round trip."""
        if not texts:
            return []
        files = [CueFile(f"fmt{i}.cue", t, label=f"text {i}") for i, t in enumerate(texts)]
        flags = ["-s"] if simplify else []
        with tempfile.TemporaryDirectory(prefix="veladdon-cue-") as tmp:
            folder = Path(tmp)
            _write(folder, files)
            self._call(folder, files, ["fmt", *flags, *(f.name for f in files)])
            return [(folder / f.name).read_text(encoding="utf-8") for f in files]

    def _run(self, files: Sequence[CueFile], args: list[str]) -> str:
        with tempfile.TemporaryDirectory(prefix="veladdon-cue-") as tmp:
            folder = Path(tmp)
            _write(folder, files)
            return self._call(folder, files, args)

    def _call(self, folder: Path, files: Sequence[CueFile], args: list[str]) -> str:
        self.calls += 1
        result = self.backend.run(args, folder)
        if result.code != 0:
            raise CueError(parse_diagnostics(result.stderr or result.stdout, files, folder))
        return result.stdout


def _write(folder: Path, files: Sequence[CueFile]) -> None:
    for f in files:
        target = folder / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.text, encoding="utf-8")


def _json_stream(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    values: list[Any] = []
    idx = 0
    while True:
        while idx < len(text) and text[idx].isspace():
            idx += 1
        if idx >= len(text):
            return values
        value, idx = decoder.raw_decode(text, idx)
        values.append(value)


def parse_diagnostics(stderr: str, files: Sequence[CueFile], folder: Path) -> list[Diagnostic]:
    """Split CUE's error text into diagnostics and map positions to the user's files.

    CUE prints each error as a message line ending in `:` followed by indented position lines.
    """
    by_name = {f.name: f for f in files}
    folder_prefix = str(folder) + "/"
    diags: list[Diagnostic] = []
    message: str | None = None
    positions: list[Position] = []

    def flush() -> None:
        nonlocal message, positions
        if message is not None:
            diags.append(Diagnostic(message, tuple(positions)))
        message, positions = None, []

    for raw in stderr.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        stripped = line.strip()
        match = _POS.fullmatch(stripped)
        if raw.startswith((" ", "\t")) and match:
            pos = _map_position(match, by_name, folder_prefix)
            if pos is not None and pos not in positions:
                positions.append(pos)
            continue
        flush()
        message = _scrub(stripped.rstrip(":"), by_name, folder_prefix)
        # Some messages carry their position inline: "expected operand, found '}' (./a.cue:4:1)".
        for inline in _POS.finditer(stripped):
            pos = _map_position(inline, by_name, folder_prefix)
            if pos is not None:
                positions.append(pos)
    flush()
    holders = [h for f in files for h in f.holders]
    diags = [Diagnostic(_reword(_unwrap(d.message, holders)), d.positions) for d in _fold_disjunctions(diags)]
    if diags:
        return diags
    return [
        Diagnostic(
            _unwrap(_scrub(stderr.strip(), by_name, folder_prefix), holders) or "CUE evaluation failed"
        )
    ]


def _unwrap(message: str, holders: Sequence[tuple[str, str]]) -> str:
    """`message` with every generated holder key replaced by what the user wrote: `_veladdon_r0.output.x`
    is the user's `output.x`, `#_veladdon_c0.template.x` their `template.x`. CUE's OpenAPI generator
    spells the same path as `components.schemas."#_veladdon_p".properties.parameter.properties.x`."""
    for holder, user in holders:
        bare = re.escape(holder.lstrip("#"))
        schema = re.compile(rf'components\.schemas\."?#?{bare}"?((?:\.properties\.[\w"-]+)*)')

        def schema_path(match: re.Match[str], user: str = user) -> str:
            return ".".join(p for p in [user, *match.group(1).split(".properties.")[1:]] if p)

        message = schema.sub(schema_path, message)
        name = rf"(?<![\w#])#?{bare}(?!\w)"
        message = re.sub(name + r"\.", f"{user}." if user else "", message)
        message = re.sub(name, user or "the file", message)
    return message


_LIST_ARITHMETIC = re.compile(
    r"(Addition|Multiplication) of lists is superseded by list\.(Concat|Repeat); "
    r"see https://cuelang\.org/e/v0\.11-list-arithmetic"
)


# CUE v0.4 says `undefined field imgae`, later releases `undefined field: imgae`.
_UNDEFINED_FIELD = re.compile(r"\bundefined field (?=[^\s:])")


def _reword(message: str) -> str:
    """CUE's messages in one wording on every CUE release, and those that need the release history to
    be understood."""
    message = _UNDEFINED_FIELD.sub("undefined field: ", message)
    return _LIST_ARITHMETIC.sub(
        lambda m: (
            "this addon uses list arithmetic "
            f"(`{'a + b' if m.group(1) == 'Addition' else 'a * n'}` on lists), "
            "which CUE v0.11 removed; KubeVela 1.10 (CUE v0.9.2) still accepts it, newer CUE does not: use "
            + ("list.Concat([a, b])" if m.group(2) == "Concat" else "list.Repeat(a, n)")
            + ' (import "list"; see https://cuelang.org/e/v0.11-list-arithmetic)'
        ),
        message,
    )


_DISJUNCTION = re.compile(r"^(?P<path>.+?): (?P<count>\d+) errors in empty disjunction$")
_LITERAL = r'(?:-?\d[\d.eE+-]*|"(?:[^"\\]|\\.)*"|true|false|null)'
_LITERAL_CONFLICT = re.compile(
    rf"^conflicting values {_LITERAL} and {_LITERAL}(?: \(mismatched types .*\))?$"
)


def _fold_disjunctions(diags: list[Diagnostic]) -> list[Diagnostic]:
    """`x: 2 errors in empty disjunction` comes with one error per alternative on every CUE release
    (v0.4 interleaves those of several paths; v0.9 and later list them right after their head). For the
    usual `*default | type` declaration the first alternative is the clash with the default, which says
    nothing about what is wrong: keep the alternative that does (the type or bound the value fails), or,
    when every alternative is a literal (an enum), all of them."""
    out: list[Diagnostic] = []
    used: set[int] = set()
    for index, diag in enumerate(diags):
        if index in used:
            continue
        head = _DISJUNCTION.match(diag.message)
        if head is not None:
            count, prefix = int(head.group("count")), head.group("path") + ": "
            picks = [
                j
                for j in range(index + 1, len(diags))
                if j not in used
                and diags[j].message.startswith(prefix)
                and not _DISJUNCTION.match(diags[j].message)
            ][:count]
            if len(picks) == count:
                used.update(picks)
                alternatives = [diags[j] for j in picks]
                telling = [d for d in alternatives if not _LITERAL_CONFLICT.match(d.message[len(prefix) :])]
                if telling:
                    out.append(telling[0])
                else:
                    merged = " / ".join(d.message[len(prefix) :] for d in alternatives)
                    positions = tuple(dict.fromkeys(p for d in alternatives for p in d.positions))
                    out.append(Diagnostic(f"{prefix}none of the allowed values: {merged}", positions))
                continue
        out.append(diag)
    return out


def _map_position(match: re.Match[str], by_name: dict[str, CueFile], folder_prefix: str) -> Position | None:
    name = match.group("path")
    if name.startswith(folder_prefix):
        name = name[len(folder_prefix) :]
    name = name.removeprefix("./")
    f = by_name.get(name)
    if f is None:
        return None
    shown = f.origin or f.label or f.name
    return Position(shown, int(match.group("line")), int(match.group("col")), f.role, f.origin is None)


def _scrub(text: str, by_name: dict[str, CueFile], folder_prefix: str) -> str:
    """Replace temporary paths inside a message with what the user knows."""

    def repl(match: re.Match[str]) -> str:
        pos = _map_position(match, by_name, folder_prefix)
        return f"{pos.file}:{pos.line}:{pos.col}" if pos else match.group(0)

    text = _POS.sub(repl, text)
    return text.replace(folder_prefix, "")


_default: Evaluator | None = None
_by_path: dict[str, Evaluator] = {}


def default_evaluator(cue_path: str | None = None) -> Evaluator:
    """The process-wide evaluator (one WASM worker per process, started on first use); `--cue PATH`
    gets its own."""
    global _default
    if cue_path is not None:
        if cue_path not in _by_path:
            _by_path[cue_path] = Evaluator(cue_path=cue_path)
        return _by_path[cue_path]
    if _default is None:
        _default = Evaluator()
    return _default


__all__ = [
    "CueError",
    "CueFile",
    "Diagnostic",
    "Evaluator",
    "Position",
    "default_evaluator",
]
