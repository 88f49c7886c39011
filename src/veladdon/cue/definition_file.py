"""Splitting a KubeVela CUE definition file (``vela def`` format) without evaluating it.

Mirrors upstream KubeVela ``pkg/definition/definition.go`` ``FromCUEString``/``FromCUE``: top-level
imports, exactly one metadata field and the ``template:`` field whose value must be a struct literal.
The header's ``attributes.status.healthPolicy|customStatus|details`` may be written as CUE structs;
``pkg/definition/ast/transformer.go`` (``EncodeMetadata``) validates them and replaces each with a CUE
string literal built by ``pkg/definition/ast/utils.go`` ``StringifyStructLitAsCueString``:

* an empty struct becomes ``"{}"``;
* otherwise the struct is printed by CUE's formatter (``format.Node``), trimmed, its outer braces and
  surrounding newlines removed, wrapped as ``#\"\"\"`` + newline + content + newline + ``\"\"\"#``, and
  every tab of that literal replaced by two spaces. The closing delimiter is at column 0, so the
  string's value is exactly the content (nested lines indented by two spaces per level).

Nothing here imitates the formatter: a status struct is handed back as a :class:`StatusStruct` and
stands in the header text as a placeholder string. The caller runs the real ``cue fmt`` over
:attr:`StatusStruct.fmt_text` (render batches it with the template texts, in one round trip) and puts
:func:`status_value` of the result where the placeholder is (:func:`fill_status`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from veladdon.cue.lexer import (
    BOTTOM,
    IDENT,
    NUMBER,
    STRING,
    CueSyntaxError,
    Decl,
    ParsedSource,
    Span,
    Token,
    parse,
)

__all__ = [
    "DefinitionError",
    "DefinitionSource",
    "StatusStruct",
    "fill_status",
    "split_definition",
    "status_structs",
    "status_value",
    "with_status_literals",
]

_STATUS_KEYS = ("healthPolicy", "customStatus", "details")


class DefinitionError(Exception):
    """A definition file that upstream would reject; ``message`` is upstream's text."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"{line}:{col}: {message}")
        self.message = message
        self.line = line
        self.col = col


@dataclass(frozen=True)
class StatusStruct:
    """A status struct of a header (``attributes.status.healthPolicy: {...}``): KubeVela stores the
    string ``format.Node`` prints of it. In the header text a placeholder string stands for it."""

    key: str  # healthPolicy, customStatus or details
    text: str  # the struct literal as written, ``{`` through ``}``
    placeholder: str  # the placeholder's value; its literal is in the header text

    @property
    def fmt_text(self) -> str:
        """A file for ``cue fmt``: the struct as the value of a field (what the formatter prints of the
        struct there is what ``format.Node`` prints of it)."""
        return f"{_FMT_LABEL}{self.text}\n"

    def value(self, formatted: str) -> str:
        """The stored string, from what ``cue fmt`` made of :attr:`fmt_text`."""
        return status_value(formatted.rstrip("\n").removeprefix(_FMT_LABEL))


_FMT_LABEL = "x: "


@dataclass(frozen=True)
class DefinitionSource:
    name: str  # the metadata field label, unquoted
    name_span: Span
    imports_text: str  # the import declarations as written, one per line ("" if none)
    header_text: str  # the metadata value; status structs stand there as placeholder strings
    header_span: Span
    template_body: str  # inside the template braces, dedented, ending with "\n"
    template_span: Span  # the template field's value
    template_line: int = 1  # file line of template_body's first line (body line k = template_line+k-1)
    status_structs: tuple[StatusStruct, ...] = ()  # what the placeholders in header_text stand for

    def header_with(self, formatted: Sequence[str]) -> str:
        """The header text as KubeVela stores it: each placeholder replaced by the string literal of
        its struct, given what ``cue fmt`` made of each :attr:`StatusStruct.fmt_text`."""
        return with_status_literals(self.header_text, self.status_structs, formatted)


# -- expression shapes ---------------------------------------------------------------------------------

_BINARY_OPS = frozenset(
    {"|", "&", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "=~", "!~", "+", "-", "*", "/"}
)
_UNARY_OPS = frozenset({"!", "-", "+", "<", "<=", ">", ">=", "!=", "=~", "!~", "*"})


def _ends_operand(tok: Token) -> bool:
    if tok.kind in (IDENT, NUMBER, STRING, BOTTOM):
        return True
    return tok.kind == "punct" and tok.text in (")", "]", "}")


def _expr_type(ps: ParsedSource, first: int, last: int) -> tuple[str, str]:
    """The Go ``cuelang.org/go/cue/ast`` node type of the expression ``[first, last)`` and, for a
    ``*ast.BasicLit``, its token kind as Go prints it (``STRING``, ``INT``, ``true``, ``null``...)."""
    toks, match = ps.tokens, ps.match
    if last <= first:
        return "*ast.BadExpr", ""
    head = toks[first]
    if head.kind == IDENT and head.text in ("for", "if") and ps.starts_comprehension(first, last):
        return "*ast.Comprehension", ""
    if not head.is_punct("{") and ps.struct_elements(first, last) is not None:
        return "*ast.StructLit", ""  # a label chain `a: b: c`
    k = first
    while k < last:
        tok = toks[k]
        if tok.kind == "punct" and tok.text in _BINARY_OPS and k > first and _ends_operand(toks[k - 1]):
            return "*ast.BinaryExpr", ""
        k = match[k] + 1 if tok.kind == "punct" and tok.text in "([{" else k + 1
    if head.kind == "punct" and head.text in _UNARY_OPS:
        return "*ast.UnaryExpr", ""
    shape = ""
    k = first
    if head.kind == "punct" and head.text in "([{":
        shape = {"(": "*ast.ParenExpr", "[": "*ast.ListLit", "{": "*ast.StructLit"}[head.text]
        k = match[k] + 1
    else:
        k += 1
    while k < last:
        tok = toks[k]
        if tok.is_punct("."):
            shape, k = "*ast.SelectorExpr", k + 2
        elif tok.is_punct("("):
            shape, k = "*ast.CallExpr", match[k] + 1
        elif tok.is_punct("["):
            inner = range(k + 1, match[k])
            shape = "*ast.SliceExpr" if any(toks[i].is_punct(":") for i in inner) else "*ast.IndexExpr"
            k = match[k] + 1
        else:
            break
    if shape:
        return shape, ""
    if head.kind == IDENT:
        if head.text in ("true", "false", "null"):
            return "*ast.BasicLit", head.text
        return "*ast.Ident", ""
    if head.kind == NUMBER:
        is_float = "." in head.text or ("e" in head.text.lower() and not head.text.lower().startswith("0x"))
        return "*ast.BasicLit", "FLOAT" if is_float else "INT"
    if head.kind == STRING:
        return ("*ast.Interpolation", "") if head.parts else ("*ast.BasicLit", "STRING")
    if head.kind == BOTTOM:
        return "*ast.BottomLit", ""
    return "*ast.BadExpr", ""


# -- upstream validators (transformer.go) -------------------------------------------------------------


def _field_label(ps: ParsedSource, decl: Decl) -> str:
    """``GetFieldLabel``: identifier name, or a string label's text with ``"`` trimmed; else ""."""
    if decl.label_kind == "ident":
        return decl.label or ""
    if decl.label_kind == "string":
        return ps.tokens[decl.label_first].text.strip('"')
    return ""


def _find_and_validate(
    ps: ParsedSource, elts: list[Decl], name: str, validator: Callable[[ParsedSource, Decl], str | None]
) -> tuple[bool, str | None]:
    """``FindAndValidateField``: a top-level field, else one inside a top-level ``if`` comprehension."""
    for decl in elts:
        if decl.kind == "field" and _field_label(ps, decl) == name:
            return True, validator(ps, decl)
    for decl in elts:
        if decl.kind != "comprehension" or not ps.tokens[decl.last - 1].is_punct("}"):
            continue
        body = ps.match[decl.last - 1]
        if not any(ps.tokens[i].kind == IDENT and ps.tokens[i].text == "if" for i in range(decl.first, body)):
            continue
        found, err = _find_and_validate(ps, ps.split(body + 1, decl.last - 1), name, validator)
        if found:
            return True, err
    return False, None


def _check_is_health(ps: ParsedSource, decl: Decl) -> str | None:
    shape, kind = _expr_type(ps, decl.value_first, decl.value_last)
    if shape == "*ast.BasicLit":
        if kind not in ("true", "false"):
            return f"healthPolicy field 'isHealth' must be a boolean literal (true/false), got {kind}"
        return None
    ok = (
        "*ast.Ident",
        "*ast.BinaryExpr",
        "*ast.UnaryExpr",
        "*ast.CallExpr",
        "*ast.SelectorExpr",
        "*ast.ParenExpr",
    )
    if shape not in ok:
        return f"healthPolicy field 'isHealth' must be a boolean expression, got {shape}"
    return None


def _check_message(ps: ParsedSource, decl: Decl) -> str | None:
    shape, kind = _expr_type(ps, decl.value_first, decl.value_last)
    if shape == "*ast.BasicLit":
        if kind != "STRING":
            return f"customStatus field 'message' must be a string, got {kind}"
        return None
    ok = (
        "*ast.Interpolation",
        "*ast.CallExpr",
        "*ast.SelectorExpr",
        "*ast.Ident",
        "*ast.BinaryExpr",
        "*ast.ParenExpr",
        "*ast.ListLit",
        "*ast.IndexExpr",
        "*ast.SliceExpr",
        "*ast.Comprehension",
    )
    if shape not in ok:
        return f"customStatus field 'message' must be a string expression, got {shape}"
    return None


def _validate_health_policy(ps: ParsedSource, elts: list[Decl]) -> str | None:
    found, err = _find_and_validate(ps, elts, "isHealth", _check_is_health)
    if err:
        return err
    return None if found else "healthPolicy must contain an 'isHealth' field"


def _validate_custom_status(ps: ParsedSource, elts: list[Decl]) -> str | None:
    found, err = _find_and_validate(ps, elts, "message", _check_message)
    if err:
        return err
    return None if found else "customStatus must contain a 'message' field"


def _validate_details(ps: ParsedSource, elts: list[Decl]) -> str | None:
    for decl in elts:
        if decl.kind != "field":
            return "status.details contains non-field element"
        label = _field_label(ps, decl)
        if label.startswith("$"):
            continue  # local helper fields are not written to the status
        shape, _ = _expr_type(ps, decl.value_first, decl.value_last)
        if shape not in (
            "*ast.BasicLit",
            "*ast.Ident",
            "*ast.SelectorExpr",
            "*ast.CallExpr",
            "*ast.BinaryExpr",
        ):
            return f"status.details field {json.dumps(label)} contains unsupported expression type {shape}"
    return None


_VALIDATORS: dict[str, Callable[[ParsedSource, list[Decl]], str | None]] = {
    "healthPolicy": _validate_health_policy,
    "customStatus": _validate_custom_status,
    "details": _validate_details,
}


def _trim_cue_raw_string(literal: str) -> str:
    """``TrimCueRawString``: the text of a status string literal as upstream re-parses it."""
    s = literal.strip()
    if s.startswith('#"""') and s.endswith('"""#') and len(s) >= 8:
        s = s[4:-4]
    elif s.startswith('"""') and s.endswith('"""') and len(s) >= 6:
        s = s[3:-3]
    elif s.startswith('"') and s.endswith('"') and len(s) >= 2:
        try:
            value = json.loads(s)  # Go strconv.Unquote for the common escapes
        except ValueError:
            value = None
        if isinstance(value, str):
            s = value
    return s.replace("\t", "  ").replace("\\t", "  ").replace("\\\\", "\\")


def _validate_string_content(
    content: str, validator: Callable[[ParsedSource, list[Decl]], str | None]
) -> str | None:
    """``ValidateCueStringLiteral`` with ``ParseCueContent``: parse as a file, drop imports/package."""
    if content == "":
        return None
    try:
        inner = parse(content)
    except CueSyntaxError as exc:
        return f"invalid cue content in string literal: {exc.message}"
    elts = [d for d in inner.decls if d.kind not in ("import", "package")]
    return validator(inner, elts)


# -- the strings KubeVela stores -------------------------------------------------------------------------


def _content(formatted: str) -> str:
    """``StringifyStructLitAsCueString`` after ``format.Node``: trimmed, outer braces and the newlines
    inside them removed."""
    content = formatted.strip()
    if content.startswith("{") and content.endswith("}"):
        content = content[1:-1].strip("\n")
    return content


def _to_cue_string(formatted: str) -> str:
    """The string literal ``StringifyStructLitAsCueString`` builds of a formatted struct."""
    content = _content(formatted)
    if content == "":
        return '"{}"'
    return ('#"""\n' + content + '\n"""#').replace("\t", "  ")


def status_value(formatted: str) -> str:
    """The value of the string literal ``StringifyStructLitAsCueString`` builds of a formatted struct:
    ``{}`` for an empty one, else the content, two spaces per tab (the raw multi-line literal's
    closing delimiter is at column 0, so nothing is stripped)."""
    content = _content(formatted)
    return "{}" if content == "" else content.replace("\t", "  ")


def with_status_literals(text: str, structs: Sequence[StatusStruct], formatted: Sequence[str]) -> str:
    """``text`` with the placeholder of each struct replaced by its string literal, given what
    ``cue fmt`` made of each :attr:`StatusStruct.fmt_text`."""
    for struct, out in zip(structs, formatted, strict=True):
        literal = _to_cue_string(out.rstrip("\n").removeprefix(_FMT_LABEL))
        text = text.replace(json.dumps(struct.placeholder), literal)
    return text


def fill_status(value: object, values: Mapping[str, str]) -> object:
    """``value`` (an exported header) with every placeholder string replaced by its status text."""
    if isinstance(value, str):
        return values.get(value, value)
    if isinstance(value, dict):
        return {k: fill_status(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_status(v, values) for v in value]
    return value


# -- status conversion ---------------------------------------------------------------------------------


def _lookup(ps: ParsedSource, elts: list[Decl], label: str) -> Decl | None:
    for decl in elts:
        if decl.kind == "field" and _field_label(ps, decl) == label:
            return decl
    return None


def _status_replacements(
    ps: ParsedSource, first: int, last: int, structs: dict[str, StatusStruct]
) -> list[tuple[int, int, str]]:
    """Text replacements (file offsets) turning the status structs of the header value into strings:
    literals where no formatter is needed, else placeholders (recorded in ``structs``, one per distinct
    struct text)."""
    elts = ps.struct_elements(first, last)
    for part in ("attributes", "status"):
        decl = _lookup(ps, elts, part) if elts is not None else None
        if decl is None:
            return []
        elts = ps.struct_elements(decl.value_first, decl.value_last)
    if elts is None:
        return []
    out: list[tuple[int, int, str]] = []
    for key in _STATUS_KEYS:
        decl = _lookup(ps, elts, key)
        if decl is None:
            continue
        path = f"attributes.status.{key}"
        where = ps.tokens[decl.first]
        shape, kind = _expr_type(ps, decl.value_first, decl.value_last)
        validator = _VALIDATORS[key]
        if shape == "*ast.BasicLit":
            if kind != "STRING":
                raise DefinitionError(
                    f"expected {path} field to be string, got {kind}", where.line, where.col
                )
            content = _trim_cue_raw_string(ps.tokens[decl.value_first].text)
            err = _validate_string_content(content, validator)
            if err:
                raise DefinitionError(f"{path} field failed validation: {err}", where.line, where.col)
            continue
        if shape != "*ast.StructLit":
            raise DefinitionError(f"unexpected type for {path} field: {shape}", where.line, where.col)
        inner = ps.struct_elements(decl.value_first, decl.value_last) or []
        err = validator(ps, inner)
        if err:
            raise DefinitionError(err, where.line, where.col)
        span = ps.span(decl.value_first, decl.value_last)
        text = ps.text[span.start : span.end]
        if not inner:
            literal = '"{}"'
        elif not ps.tokens[decl.value_first].is_punct("{"):
            literal = _to_cue_string(text)  # a label chain: printed without braces
        else:
            struct = structs.get(text)
            if struct is None:
                struct = StatusStruct(key, text, f"_veladdon_status_{len(structs)}")
                structs[text] = struct
            literal = json.dumps(struct.placeholder)
        out.append((span.start, span.end, literal))
    return out


def _apply(text: str, base: int, replacements: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(replacements, reverse=True):
        text = text[: start - base] + new + text[end - base :]
    return text


def status_structs(header_text: str) -> tuple[str, tuple[StatusStruct, ...]]:
    """``header_text`` (a definition's metadata value) with ``attributes.status.healthPolicy``,
    ``customStatus`` and ``details`` written as CUE structs replaced: by their string literal where
    that needs no formatter (an empty struct, a label chain), else by a placeholder string for the
    :class:`StatusStruct` returned beside it.

    Structs are validated as upstream does (``isHealth``/``message`` required, restricted ``details``
    values) and string literals are validated too; failures raise :class:`DefinitionError` with
    upstream's message at the status field.
    """
    ps = parse(header_text)
    structs: dict[str, StatusStruct] = {}
    text = _apply(header_text, 0, _status_replacements(ps, 0, len(ps.tokens), structs))
    return text, tuple(structs.values())


# -- splitting -----------------------------------------------------------------------------------------


def _dedent_body(ps: ParsedSource, lb: int, rb: int) -> tuple[str, int]:
    """The text strictly inside braces ``lb``..``rb``, dedented; and the file line it starts on."""
    text = ps.text
    inner = text[ps.tokens[lb].end : ps.tokens[rb].start]
    line = ps.tokens[lb].line
    lines = inner.split("\n")
    head = lines[0].strip()
    rest = lines[1:]
    if rest and not rest[-1].strip():
        rest = rest[:-1]
    indents = [ln[: len(ln) - len(ln.lstrip())] for ln in rest if ln.strip()]
    common = indents[0] if indents else ""
    for ind in indents[1:]:
        while not ind.startswith(common):
            common = common[:-1]
    body = [ln[len(common) :] if ln.strip() else "" for ln in rest]
    if head:
        body.insert(0, head)
    else:
        line += 1
    while body and not body[0]:
        body.pop(0)
        line += 1
    while body and not body[-1]:
        body.pop()
    return ("\n".join(body) + "\n" if body else ""), line


def split_definition(text: str) -> DefinitionSource:
    """Splits a CUE definition file into imports, its one metadata field and its template body.

    Raises :class:`DefinitionError` with upstream's messages (``no metadata found, invalid``,
    ``no template found, invalid``, ``duplicated definition name found, <a> and <b>``,
    ``unexpected decl found in template: <decl>``) and :class:`CueSyntaxError` for lexical errors.
    Other top-level declarations (package clause, ``let``, embeddings) are ignored, as upstream does.
    """
    ps = parse(text)
    toks = ps.tokens
    imports: list[Decl] = []
    metadata: list[Decl] = []
    templates: list[Decl] = []
    for decl in ps.decls:
        if decl.kind == "import":
            imports.append(decl)
        elif decl.kind == "field":
            where = toks[decl.first]
            if decl.label_kind not in ("ident", "string"):
                raise DefinitionError("found unexpected decl when parsing cue: ", where.line, where.col)
            # Upstream compares a string label's quoted text, so only an identifier `template` counts.
            if decl.label_kind == "ident" and decl.label == "template":
                if ps.struct_elements(decl.value_first, decl.value_last) is None:
                    raise DefinitionError(
                        f"unexpected decl found in template: {ps.source(decl.first, decl.last)}",
                        where.line,
                        where.col,
                    )
                templates.append(decl)
            else:
                metadata.append(decl)
    if not metadata:
        raise DefinitionError("no metadata found, invalid", 1, 1)
    elements = [ps.struct_elements(d.value_first, d.value_last) for d in templates]
    if not any(elements):
        at = toks[templates[0].first] if templates else None
        raise DefinitionError("no template found, invalid", at.line if at else 1, at.col if at else 1)
    # Only regular fields name a definition (CUE's Value.Fields skips #definitions, _hidden and a?: x).
    regular = [
        d
        for d in metadata
        if d.constraint != "?" and not (d.label_kind == "ident" and (d.label or "").startswith(("#", "_")))
    ]
    names: list[str] = []
    for d in regular:
        if d.label is not None and d.label not in names:
            names.append(d.label)
            if len(names) == 2:
                where = toks[d.first]
                raise DefinitionError(
                    f"duplicated definition name found, {names[0]} and {names[1]}", where.line, where.col
                )
    if not names:
        raise DefinitionError("no metadata found, invalid", 1, 1)
    headers = [d for d in regular if d.label == names[0]]
    values: list[str] = []
    structs: dict[str, StatusStruct] = {}
    for d in headers:
        span = ps.span(d.value_first, d.value_last)
        value = _apply(
            ps.text[span.start : span.end],
            span.start,
            _status_replacements(ps, d.value_first, d.value_last, structs),
        )
        if not toks[d.value_first].is_punct("{") and ps.struct_elements(d.value_first, d.value_last):
            value = "{" + value + "}"  # `"name": attributes: ...` is a struct with one field
        values.append(value)
    bodies: list[str] = []
    template_line = 0
    for d in templates:
        if toks[d.value_first].is_punct("{"):
            body, line = _dedent_body(ps, d.value_first, d.value_last - 1)
        else:
            body, line = ps.source(d.value_first, d.value_last) + "\n", toks[d.value_first].line
        if body:
            bodies.append(body)
            template_line = template_line or line
    first = headers[0]
    return DefinitionSource(
        name=names[0],
        name_span=ps.span(first.label_first, first.label_last),
        imports_text="\n".join(ps.source(d.first, d.last) for d in imports),
        header_text=" & ".join(values),
        header_span=ps.span(first.value_first, first.value_last),
        template_body="".join(bodies),
        template_span=ps.span(templates[0].value_first, templates[0].value_last),
        template_line=template_line,
        status_structs=tuple(structs.values()),
    )
