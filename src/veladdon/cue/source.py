"""Lexical reading of CUE source: package clause, imports, top-level declarations, unused imports.

Nothing here evaluates CUE (see :mod:`veladdon.cue.lexer` for how declarations are delimited). This
module is the public entry point: it also re-exports the definition-file API of
:mod:`veladdon.cue.definition_file` (``split_definition``, ``status_structs``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
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
    ATTRIBUTE,
    BOTTOM,
    COMMENT,
    IDENT,
    NUMBER,
    STRING,
    CueSyntaxError,
    Decl,
    ParsedSource,
    Span,
    Token,
    parse,
    tokenize,
    unquote_string,
)

__all__ = [
    "ATTRIBUTE",
    "BOTTOM",
    "COMMENT",
    "IDENT",
    "NUMBER",
    "STRING",
    "CueSyntaxError",
    "Decl",
    "DefinitionError",
    "DefinitionSource",
    "FieldInfo",
    "Import",
    "ParsedSource",
    "SourceHeader",
    "Span",
    "StatusStruct",
    "Token",
    "TopDecl",
    "declared_fields",
    "declares",
    "field_info",
    "field_info_at",
    "field_position",
    "fields_named",
    "fill_status",
    "label_position",
    "parse",
    "read_header",
    "split_definition",
    "status_structs",
    "status_value",
    "string_position",
    "tokenize",
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
    return _header(parse(text))


def with_package(text: str, name: str) -> str:
    """``text`` with the package clause ``package <name>``, every line number unchanged.

    An existing clause gets its identifier replaced. Otherwise ``package <name>,`` is inserted on line 1:
    at its very start (a comment or blank first line is fine: ``package main, // c``), or, when the file
    opens with file attributes (which must precede the package clause), right after the last of them.
    """
    if not _PACKAGE_NAME_RE.match(name):
        raise ValueError(f"invalid package name {name!r}")
    ps = parse(text)
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
    ps = parse(text)
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
    ps = parse(text)
    return _declares_in(ps, ps.decls, label)


def _operands(tokens: Sequence[Token], lo: int, hi: int) -> Iterator[tuple[int, Token, list[str]]]:
    """Every token of ``tokens[lo:hi]`` but brackets and operators, with the stack of brackets it is
    inside (innermost last)."""
    stack: list[str] = []
    for i in range(lo, hi):
        tok = tokens[i]
        if tok.kind != "punct":
            yield i, tok, stack
        elif tok.text in _OPENERS:
            stack.append(tok.text)
        elif tok.text in _CLOSERS and stack:
            stack.pop()


def _is_label(tokens: Sequence[Token], i: int, stack: list[str]) -> bool:
    """Whether token ``i`` is a field label: followed by ``:`` (after an optional ``?``/``!``)
    directly inside a struct or at the top level."""
    k = i + 1
    if k < len(tokens) and tokens[k].kind == "punct" and tokens[k].text in ("?", "!"):
        k += 1
    return k < len(tokens) and tokens[k].is_punct(":") and (not stack or stack[-1] == "{")


def _references(tokens: Sequence[Token], out: set[str]) -> None:
    """Adds the identifiers of ``tokens`` used as references (not labels, not selectors)."""
    for i, tok, stack in _operands(tokens, 0, len(tokens)):
        if tok.kind == STRING:
            for part in tok.parts:
                _references(part, out)
            continue
        if tok.kind != IDENT:
            continue
        if i > 0 and tokens[i - 1].is_punct("."):
            continue  # a selector: `x.json` does not refer to an import `json`
        if _is_label(tokens, i, stack):
            continue  # a label
        out.add(tok.text)


def unused_imports(text: str) -> tuple[Import, ...]:
    """Imports never referred to outside the import declarations (strings and comments ignored;
    identifiers inside ``\\(...)`` interpolations count as uses)."""
    ps = parse(text)
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


def _label_text(tok: Token) -> str | None:
    if tok.kind == IDENT:
        return tok.text
    if tok.kind == STRING and not tok.multiline and not tok.parts:
        return unquote_string(tok.text)
    return None


def _labels(ps: ParsedSource, lo: int, hi: int) -> Iterator[tuple[int, str]]:
    """``(token index, label)`` of every field label in the token range ``[lo, hi)``, at any depth,
    in source order (comments and string contents are never labels)."""
    for i, tok, stack in _operands(ps.tokens, lo, hi):
        label = _label_text(tok)
        if label is not None and _is_label(ps.tokens, i, stack):
            yield i, label


def _field_in(ps: ParsedSource, decls: list[Decl], label: str) -> Decl | None:
    """The first field ``label`` among ``decls``, looking into comprehension bodies and embedded
    struct literals (CUE places their fields in the enclosing struct)."""
    for decl in decls:
        if decl.kind == "field" and decl.label == label:
            return decl
        inner: list[Decl] | None = None
        if decl.kind == "comprehension" and ps.tokens[decl.last - 1].is_punct("}"):
            inner = ps.split(ps.match[decl.last - 1] + 1, decl.last - 1)
        elif decl.kind == "embed":
            inner = ps.struct_elements(decl.first, decl.last)
        found = _field_in(ps, inner, label) if inner is not None else None
        if found is not None:
            return found
    return None


def field_position(text: str, path: Sequence[str]) -> Span | None:
    """Where the field at ``path`` is declared (the span of its label), else ``None``.

    The first label is looked up among the top-level declarations, each further one in the value of
    the field before it: as a field of its struct literal (comprehension bodies and embedded structs
    included), else as the first label anywhere inside that value (a list element's field, a field
    under a conditional). Raises ``CueSyntaxError`` when ``text`` does not scan.
    """
    ps = parse(text)
    found: Span | None = None
    decls: list[Decl] | None = ps.decls
    lo, hi = 0, len(ps.tokens)
    for depth, label in enumerate(path):
        decl = _field_in(ps, decls, label) if decls is not None else None
        if decl is not None:
            first, value_first, value_last = decl.label_first, decl.value_first, decl.value_last
        else:
            nested = next((i for i, name in _labels(ps, lo, hi) if name == label), None) if depth else None
            if nested is None:
                return None
            first = nested
            value_first = nested + 1
            while not ps.tokens[value_first].is_punct(":"):
                value_first += 1
            value_first += 1
            value_last = _value_end(ps, value_first, hi)
        found = ps.span(first, first + 1)
        decls = ps.struct_elements(value_first, value_last)
        lo, hi = value_first, value_last
    return found


def label_position(text: str, label: str) -> Span | None:
    """The first field label ``label`` anywhere in ``text`` (at any depth; never in a comment or a
    string), else ``None``."""
    ps = parse(text)
    first = next((i for i, name in _labels(ps, 0, len(ps.tokens)) if name == label), None)
    return ps.span(first, first + 1) if first is not None else None


def _value_end(ps: ParsedSource, first: int, hi: int) -> int:
    """The end of the value starting at token ``first`` (a field found inside a nested value): the
    declaration that holds it ends at a comma, an inserted comma or a closing bracket."""
    ranges = ps.ranges(first, _enclosing_end(ps, first, hi))
    return ranges[0][1] if ranges else first


def _enclosing_end(ps: ParsedSource, first: int, hi: int) -> int:
    """The index of the closing bracket enclosing token ``first`` within ``[.., hi)``, else ``hi``."""
    depth = 0
    for i in range(first, hi):
        tok = ps.tokens[i]
        if tok.kind == "punct" and tok.text in _OPENERS:
            depth += 1
        elif tok.kind == "punct" and tok.text in _CLOSERS:
            if depth == 0:
                return i
            depth -= 1
    return hi


@dataclass(frozen=True)
class FieldInfo:
    """A field as written: its label, the value on the label's line, and its doc comment."""

    label: str
    label_span: Span
    value: str  # the value's text on the label's line (the first line of a multi-line value)
    doc: str  # the doc comment as CUE reads it: the `//` and one space removed, lines joined by "\n"


def _info(ps: ParsedSource, label_index: int) -> FieldInfo:
    toks = ps.tokens
    k = label_index + 1
    while not toks[k].is_punct(":"):
        k += 1
    hi = _value_end(ps, k + 1, len(toks))
    while hi > k + 1 and toks[hi - 1].kind == ATTRIBUTE:
        hi -= 1
    value = ps.source(k + 1, hi).split("\n", 1)[0].strip() if hi > k + 1 else ""
    label = _label_text(toks[label_index]) or toks[label_index].text
    return FieldInfo(label, ps.span(label_index, label_index + 1), value, _doc(ps, label_index))


def _doc(ps: ParsedSource, first: int) -> str:
    """The comment lines right above token ``first``'s line (alone on their lines, no blank line
    between), as CUE's doc comment text."""
    line = ps.tokens[first].line
    code_lines = {t.line for t in ps.tokens}
    by_line = {c.line: c for c in ps.comments if c.line not in code_lines}
    lines: list[str] = []
    while line - 1 in by_line:
        line -= 1
        body = by_line[line].text[2:]
        lines.append(body[1:] if body.startswith(" ") else body)
    return "\n".join(reversed(lines))


def field_info(text: str, path: Sequence[str]) -> FieldInfo | None:
    """The field at ``path`` (as :func:`field_position` finds it), else ``None``."""
    span = field_position(text, path)
    if span is None:
        return None
    ps = parse(text)
    return _info(ps, next(i for i, t in enumerate(ps.tokens) if t.start == span.start))


def field_info_at(text: str, line: int) -> FieldInfo | None:
    """The first field whose label is on ``line``, else ``None``."""
    ps = parse(text)
    first = next((i for i, _ in _labels(ps, 0, len(ps.tokens)) if ps.tokens[i].line == line), None)
    return _info(ps, first) if first is not None else None


def fields_named(text: str, label: str) -> list[FieldInfo]:
    """Every field labelled ``label`` in ``text``, at any depth, in source order."""
    ps = parse(text)
    return [_info(ps, i) for i, name in _labels(ps, 0, len(ps.tokens)) if name == label]


def string_position(text: str, value: str, within: Sequence[str] = ()) -> Span | None:
    """The first single-line string literal whose value is ``value``, inside the value of the field
    at ``within`` when given (as :func:`field_position` finds it); never inside a comment."""
    ps = parse(text)
    lo, hi = 0, len(ps.tokens)
    if within:
        span = field_position(text, within)
        if span is None:
            return None
        lo = next(i for i, tok in enumerate(ps.tokens) if tok.start == span.start)
        hi = _value_end(ps, lo, hi)
    for tok in ps.tokens[lo:hi]:
        if tok.kind == STRING and not tok.multiline and not tok.parts and unquote_string(tok.text) == value:
            return ps.index.span(tok.start, tok.end)
    return None


def declared_fields(text: str, label: str) -> set[str] | None:
    """The field names a top-level struct `label` declares across the file (`parameter: {a: ..., b?: ...}`),
    or None when that cannot be known lexically (an embedding, a comprehension, `...`, a non-literal
    value): callers then assume anything may be declared."""
    ps = parse(text)
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
