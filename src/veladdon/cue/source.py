"""Lexical reading of CUE source: package clause, imports, top-level declarations, unused imports.

Nothing here evaluates CUE (see :mod:`veladdon.cue.lexer` for how declarations are delimited). This
module is the public entry point: it also re-exports the definition-file API of
:mod:`veladdon.cue.definition_file` (``split_definition``, ``status_structs``...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from veladdon.cue.definition_file import (
    DefinitionError,
    DefinitionSource,
    StatusStruct,
    fill_status,
    split_definition,
    status_structs,
    status_value,
)
from veladdon.cue.lexer import (
    IDENT,
    STRING,
    CueSyntaxError,
    Decl,
    ParsedSource,
    Span,
    Token,
    unquote_string,
)

__all__ = [
    "CueSyntaxError",
    "DefinitionError",
    "DefinitionSource",
    "Import",
    "ParsedSource",
    "SourceHeader",
    "Span",
    "StatusStruct",
    "TopDecl",
    "declared_fields",
    "declares",
    "fill_status",
    "read_header",
    "split_definition",
    "status_structs",
    "status_value",
    "top_level_fields",
    "unquote_string",
    "unused_imports",
    "with_package",
]

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}

_PACKAGE_NAME_RE = re.compile(r"^[^\W\d_][\w$]*$")  # a letter first; `_x` and `#x` are not package names


@dataclass(frozen=True)
class Import:
    """One import spec. ``name`` is the alias, else the package name implied by the path."""

    path: str
    alias: str | None
    name: str
    span: Span  # the whole spec: alias (if any) through the path literal
    path_span: Span  # the path literal; where `cue` reports "imported and not used"


@dataclass(frozen=True)
class SourceHeader:
    package: str | None
    package_span: Span | None  # the package name identifier
    imports: tuple[Import, ...]
    package_clause_span: Span | None = None  # ``package name``


@dataclass(frozen=True)
class TopDecl:
    """A top-level declaration.

    ``kind`` is one of "field", "embed", "let", "comprehension", "attribute", "import", "package",
    "ellipsis". For fields, ``label`` is the unquoted static label (``None`` for ``(expr):`` and
    ``[pattern]:`` labels, and for interpolated string labels), ``label_kind`` is "ident", "string",
    "dynamic" or "pattern", ``constraint`` is "?", "!" or "", and ``value_span`` covers the text after
    the first ``:`` (trailing field attributes excluded). For ``let`` and ``package`` the label is the
    declared name.
    """

    kind: str
    label: str | None
    span: Span
    value_span: Span | None
    label_span: Span | None
    label_kind: str = ""
    constraint: str = ""


def _import_name(path: str) -> str:
    """The package name an import path implies: an explicit ``:qualifier``, else the last path element
    without a ``@version`` suffix (``k8s.io/api/core/v1`` -> ``v1``, ``x.io/y:z`` -> ``z``)."""
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return last.split("@", 1)[0]


def _imports_of(ps: ParsedSource, decl: Decl) -> list[Import]:
    toks = ps.tokens
    lo, hi = decl.first + 1, decl.last
    ranges = ps.ranges(lo + 1, ps.match[lo]) if toks[lo].is_punct("(") else [(lo, hi)]
    out: list[Import] = []
    for a, b in ranges:
        alias: str | None = None
        k = a
        if toks[k].kind == IDENT and k + 1 < b:
            alias = toks[k].text
            k += 1
        path_tok = toks[k]
        path = unquote_string(path_tok.text) if path_tok.kind == STRING else None
        if path is None or k + 1 != b:
            raise CueSyntaxError('invalid import spec: expected [name] "path"', toks[a].line, toks[a].col)
        out.append(Import(path, alias, alias or _import_name(path), ps.span(a, b), ps.span(k, k + 1)))
    return out


def _header(ps: ParsedSource) -> SourceHeader:
    package: str | None = None
    package_span: Span | None = None
    clause_span: Span | None = None
    imports: list[Import] = []
    for decl in ps.decls:
        if decl.kind == "package" and package is None:
            package = decl.label
            package_span = ps.span(decl.label_first, decl.label_last)
            clause_span = ps.span(decl.first, decl.last)
        elif decl.kind == "import":
            imports.extend(_imports_of(ps, decl))
    return SourceHeader(package, package_span, tuple(imports), clause_span)


def _top_decl(ps: ParsedSource, decl: Decl) -> TopDecl:
    value_span = ps.span(decl.value_first, decl.value_last) if decl.value_first >= 0 else None
    label_span = ps.span(decl.label_first, decl.label_last) if decl.label_first >= 0 else None
    return TopDecl(
        decl.kind,
        decl.label,
        ps.span(decl.first, decl.last),
        value_span,
        label_span,
        decl.label_kind,
        decl.constraint,
    )


def read_header(text: str) -> SourceHeader:
    """The package clause and the imports of a CUE file."""
    return _header(ParsedSource(text))


def with_package(text: str, name: str) -> str:
    """``text`` with the package clause ``package <name>``, every line number unchanged.

    An existing clause gets its identifier replaced. Otherwise ``package <name>,`` is inserted on line 1:
    at its very start (a comment or blank first line is fine: ``package main, // c``), or, when the file
    opens with file attributes (which must precede the package clause), right after the last of them.
    """
    if not _PACKAGE_NAME_RE.match(name):
        raise ValueError(f"invalid package name {name!r}")
    ps = ParsedSource(text)
    header = _header(ps)
    if header.package_span is not None:
        span = header.package_span
        return text[: span.start] + name + text[span.end :]
    last_attr = -1
    for decl in ps.decls:
        if decl.kind != "attribute":
            break
        last_attr = decl.last - 1
    if last_attr >= 0:
        after = last_attr + 1
        if after < len(ps.tokens) and ps.tokens[after].is_punct(",") and not ps.tokens[after].nl_before:
            offset = ps.tokens[after].end
            return text[:offset] + f" package {name}," + text[offset:]
        offset = ps.tokens[last_attr].end
        return text[:offset] + f", package {name}," + text[offset:]
    offset = 1 if text.startswith("\ufeff") else 0
    first_line = text[offset:].split("\n", 1)[0]
    clause = f"package {name}" if not first_line.strip() else f"package {name}, "
    return text[:offset] + clause + text[offset:]


def top_level_fields(text: str) -> tuple[TopDecl, ...]:
    """All top-level declarations of ``text`` (fields and every other kind), in source order."""
    ps = ParsedSource(text)
    return tuple(_top_decl(ps, d) for d in ps.decls)


def _declares_in(ps: ParsedSource, decls: list[Decl], label: str) -> bool:
    for decl in decls:
        if decl.kind == "field" and decl.label == label:
            return True
        if decl.kind == "comprehension" and ps.tokens[decl.last - 1].is_punct("}"):
            body = ps.match[decl.last - 1]
            if _declares_in(ps, ps.split(body + 1, decl.last - 1), label):
                return True
        if decl.kind == "embed":
            inner = ps.struct_elements(decl.first, decl.last)
            if inner is not None and _declares_in(ps, inner, label):
                return True
    return False


def declares(text: str, label: str) -> bool:
    """Whether ``label`` is a top-level field of ``text``.

    Fields produced at the top level by a comprehension (``if x { outputs: ... }``) or an embedded
    struct literal count too, since CUE places them in the file's struct.
    """
    ps = ParsedSource(text)
    return _declares_in(ps, ps.decls, label)


def _references(tokens: tuple[Token, ...] | list[Token], out: set[str]) -> None:
    """Adds the identifiers of ``tokens`` used as references (not labels, not selectors)."""
    stack: list[str] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        if tok.kind == "punct":
            if tok.text in _OPENERS:
                stack.append(tok.text)
            elif tok.text in _CLOSERS and stack:
                stack.pop()
            continue
        if tok.kind == STRING:
            for part in tok.parts:
                _references(part, out)
            continue
        if tok.kind != IDENT:
            continue
        if i > 0 and tokens[i - 1].is_punct("."):
            continue  # a selector: `x.json` does not refer to an import `json`
        k = i + 1
        if k < n and tokens[k].kind == "punct" and tokens[k].text in ("?", "!"):
            k += 1
        if k < n and tokens[k].is_punct(":") and (not stack or stack[-1] == "{"):
            continue  # a label
        out.add(tok.text)


def unused_imports(text: str) -> tuple[Import, ...]:
    """Imports never referred to outside the import declarations (strings and comments ignored;
    identifiers inside ``\\(...)`` interpolations count as uses)."""
    ps = ParsedSource(text)
    header = _header(ps)
    if not header.imports:
        return ()
    used: set[str] = set()
    skip = [(d.first, d.last) for d in ps.decls if d.kind in ("import", "package")]
    lo = 0
    for a, b in [*skip, (len(ps.tokens), len(ps.tokens))]:
        _references(ps.tokens[lo:a], used)
        lo = b
    return tuple(imp for imp in header.imports if imp.name not in used)


def declared_fields(text: str, label: str) -> set[str] | None:
    """The field names a top-level struct `label` declares across the file (`parameter: {a: ..., b?: ...}`),
    or None when that cannot be known lexically (an embedding, a comprehension, `...`, a non-literal
    value): callers then assume anything may be declared."""
    ps = ParsedSource(text)
    names: set[str] = set()
    found = False
    for decl in ps.decls:
        if decl.kind != "field" or decl.label != label:
            continue
        found = True
        elements = ps.struct_elements(decl.value_first, decl.value_last)
        if elements is None:
            return None
        for element in elements:
            if (
                element.kind != "field"
                or element.label is None
                or element.label_kind not in ("ident", "string")
            ):
                return None
            names.add(element.label)
    return names if found else None
