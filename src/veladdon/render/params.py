"""What an addon accepts: every parameter of `parameter.cue` with its type, default, whether it must be
given, and its `//+usage=` text. Pure and offline.

The parameters are read from the schema CUE itself generates (`cue def --out openapi`, as upstream
generates the schema `vela addon status` and VelaUX show), never from a regex over the text, so
anything CUE accepts (definitions, disjunctions, constraints, imports) reads correctly. Parameters
keep their declaration order; nested struct fields follow their parent as `parent.child`, which is
also the key `--set parent.child=value` takes.

The README block that `veladdon params --markdown`, `--check-readme` and `--write-readme` work on sits
between `README_START` and `README_END` (docs/params.md).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from veladdon.addon.model import Addon, SourceFile
from veladdon.cue.evaluator import CueError, CueFile, Evaluator
from veladdon.cue.source import CueSyntaxError, declares
from veladdon.errors import InputError
from veladdon.jsonable import Jsonable, json_field
from veladdon.render.files import nested
from veladdon.render.openapi import fix_openapi_schema, resolve_openapi, usage

README_START = "<!-- veladdon:params:start -->"
README_END = "<!-- veladdon:params:end -->"
_SCHEMA = "veladdon_parameter"
_HOLDER = "#_veladdon_p"
_BLOCK = re.compile(re.escape(README_START) + r"(?P<body>.*?)" + re.escape(README_END), re.DOTALL)


@dataclass(frozen=True)
class Parameter(Jsonable):
    """One parameter. `name` is its dotted path (`image`, `resources.cpu`), the key `--set` takes.

    `required`: the addon cannot render unless the user gives it (no default, not optional, and not
    a list or struct that is complete without it). `optional`: declared `name?:`, so it may stay unset.
    """

    name: str
    type: str
    required: bool
    optional: bool
    has_default: bool
    default: Any = None
    usage: str = ""
    enum: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class ParameterSchema(Jsonable):
    """The parameters of an addon; `schema` is the OpenAPI schema upstream would store for it. Its JSON
    is the documented shape (docs/params.md), every key of a parameter always present."""

    addon: str
    file: str | None
    parameters: tuple[Parameter, ...]
    schema: Mapping[str, Any] = field(metadata=json_field(skip=True))


def read_parameters(addon: Addon, evaluator: Evaluator) -> ParameterSchema:
    """The addon's parameters, from CUE's own OpenAPI generator (one evaluator round trip).

    Raises InputError (a CueError for CUE's own complaints) naming parameter.cue and the line.
    """
    source = addon.parameter_file
    if source is None:
        return ParameterSchema(addon.name, None, (), {})
    raw = parameter_openapi(source, evaluator)
    return ParameterSchema(addon.name, source.rel, tuple(parameters_from_schema(raw)), upstream_schema(raw))


def parameter_openapi(source: SourceFile, evaluator: Evaluator) -> dict[str, Any]:
    """The OpenAPI schema of `parameter` as CUE generates it, `$ref`s expanded, doc comments kept whole.

    CUE's generator refuses top-level regular fields and only emits definitions, so the file's
    declarations are nested under a hidden definition (lines unchanged, so errors point at the
    user's own lines) and `#veladdon_parameter` refers to its `parameter`.
    """
    try:
        has_parameter = declares(source.text, "parameter")
    except CueSyntaxError as exc:
        raise InputError(
            f"CUE syntax error: {exc.message}", path=source.path, line=exc.line, col=exc.col
        ) from exc
    if not has_parameter:
        raise InputError(
            f"{source.rel} declares no `parameter` field",
            path=source.path,
            line=1,
            hint="write the parameters as `parameter: { name: *default | type }`",
        )
    files = [
        CueFile(
            source.rel,
            nested(source, _HOLDER, "main"),
            origin=str(source.path),
            role="parameter",
            holders=((_HOLDER, ""),),
        ),
        CueFile(
            "_veladdon/parameter-schema.cue",
            f"package main\n#{_SCHEMA}: {_HOLDER}.parameter\n",
            label="the parameter schema",
            holders=((f"#{_SCHEMA}", "parameter"),),
        ),
    ]
    try:
        document = evaluator.openapi(files)
    except CueError as exc:
        # CUE often leads with a summary without a position ("2 errors in empty disjunction"): lead
        # with the first error that points into the user's file, then every other one.
        first = next((d for d in exc.diagnostics if d.primary is not None and not d.primary.generated), None)
        raise exc.reworded(
            f"parameter schema does not compile: {first.message if first else exc.message}",
            lead=first,
            details=[d.detail() for d in exc.diagnostics if d is not first],
            default_path=str(source.path),
        ) from exc
    return resolve_openapi(document, _SCHEMA)


def upstream_schema(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as KubeVela stores it for `vela addon status` and VelaUX (FixOpenAPISchema)."""
    schema = copy.deepcopy(dict(raw))
    fix_openapi_schema("", schema)
    return schema


def parameters_from_schema(schema: Mapping[str, Any]) -> list[Parameter]:
    """Flatten a raw (not yet FixOpenAPISchema'd) object schema into parameters: declaration order,
    nested structs as `a.b`."""
    return list(_walk(schema, ""))


def _walk(schema: Mapping[str, Any], prefix: str) -> Iterator[Parameter]:
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return
    required = set(schema.get("required") or ())
    for key, prop in props.items():
        if not isinstance(prop, Mapping):
            continue
        name = f"{prefix}{key}"
        optional = key not in required
        known, default = implicit_default(prop) if not optional else ("default" in prop, prop.get("default"))
        yield Parameter(
            name=name,
            type=type_of(prop),
            required=not optional and not has_value(prop),
            optional=optional,
            has_default=known,
            default=default,
            usage=usage_of(prop),
            enum=tuple(prop["enum"]) if isinstance(prop.get("enum"), list) else None,
        )
        if _kind(prop) == "object":
            yield from _walk(prop, f"{name}.")


def usage_of(prop: Mapping[str, Any]) -> str:
    """The usage text of a parameter's schema (render.openapi.usage of its description)."""
    return usage(str(prop.get("description", "")))


def implicit_default(prop: Mapping[str, Any]) -> tuple[bool, Any]:
    """What an unset, non-optional parameter exports as, when that is a value of its own: the
    default; `[]` for a list CUE leaves open (CUE's generator drops an empty-list default); `{}` for
    a map; the constant itself for a single-valued field. A struct with fields has none: its fields
    show theirs."""
    if "default" in prop:
        return True, prop["default"]
    enum = prop.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return True, enum[0]
    kind = _kind(prop)
    if kind == "array" and not prop.get("minItems"):
        return True, []
    if kind == "object" and not prop.get("properties"):
        return True, {}
    return False, None


def has_value(prop: Mapping[str, Any]) -> bool:
    """Whether an unset parameter of this schema still exports concretely (a default, an open list,
    a constant, or a struct whose required fields all have values): the user need not give it."""
    if implicit_default(prop)[0]:
        return True
    if _kind(prop) == "object":
        props = prop.get("properties") or {}
        required = prop.get("required") or []
        return all(isinstance(props.get(r), Mapping) and has_value(props[r]) for r in required)
    return False


def _kind(prop: Mapping[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, str):
        return kind
    if "properties" in prop or "additionalProperties" in prop:
        return "object"
    return None


def type_of(prop: Mapping[str, Any]) -> str:
    """The parameter's type in the CUE notation authors write: `string`, `int`, `[...string]`,
    `{[string]: string}`, `"a" | "b"` for an enum, `_` for anything."""
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        return " | ".join(json.dumps(v, sort_keys=True) for v in enum)
    for key in ("oneOf", "anyOf"):
        options = prop.get(key)
        if isinstance(options, list) and options:
            base = {k: v for k, v in prop.items() if k not in (key, "default", "description", "title")}
            names: list[str] = []
            for option in options:
                if isinstance(option, Mapping):
                    name = type_of({**base, **option})
                    if name not in names:
                        names.append(name)
            return " | ".join(names)
    kind = _kind(prop)
    if prop.get("nullable") is True:
        return "null | " + type_of({k: v for k, v in prop.items() if k != "nullable"})
    if kind == "string":
        return "string"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "bool"
    if kind == "null":
        return "null"
    if kind == "array":
        items = prop.get("items")
        return f"[...{type_of(items)}]" if isinstance(items, Mapping) else "[...]"
    if kind == "object":
        if prop.get("properties"):
            return "struct"
        extra = prop.get("additionalProperties")
        if isinstance(extra, Mapping):
            return f"{{[string]: {type_of(extra)}}}"
        return "{...}"
    return "_"


def format_default(param: Parameter) -> str:
    """What an unset parameter becomes: its default as a JSON literal (a value a user could pass back),
    `unset` for an optional field without one, else empty."""
    if param.has_default:
        return json.dumps(param.default, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)
    return "unset" if param.optional else ""


def text_table(parameters: Sequence[Parameter]) -> str:
    """Aligned columns for a terminal (`veladdon params -o table`); the last column is not padded."""
    header = ("NAME", "TYPE", "DEFAULT", "REQUIRED", "USAGE")
    rows = [header] + [
        (p.name, p.type, format_default(p), "yes" if p.required else "no", " ".join(p.usage.split()))
        for p in parameters
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def markdown_table(parameters: Sequence[Parameter]) -> str:
    """The parameter table for an addon's README (GitHub-flavoured Markdown, one row per parameter)."""
    lines = ["| name | type | default | required | description |", "|---|---|---|---|---|"]
    for p in parameters:
        default = format_default(p)
        cells = [
            _code(p.name),
            _code(p.type),
            _code(default) if p.has_default else default,
            "yes" if p.required else "no",
            _md(p.usage),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if not parameters:
        lines.append("| | | | | This addon takes no parameters. |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    text = _md(text)
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def readme_block(table: str) -> str:
    """The table between the markers, as `--write-readme` writes it."""
    return f"{README_START}\n{table.rstrip()}\n{README_END}"


def readme_table(text: str) -> str | None:
    """The table currently between the README's markers; None when the markers are missing."""
    match = _BLOCK.search(text)
    return match.group("body").strip() + "\n" if match else None


def update_readme(text: str, table: str) -> str:
    """`text` with the marked block replaced by `table`; a `## Parameters` section is appended when
    the README has no markers yet."""
    block = readme_block(table)
    if _BLOCK.search(text):
        return _BLOCK.sub(lambda _: block, text, count=1)
    base = text.rstrip("\n")
    return (base + "\n\n" if base else "") + f"## Parameters\n\n{block}\n"


__all__ = [
    "README_END",
    "README_START",
    "Parameter",
    "ParameterSchema",
    "format_default",
    "has_value",
    "markdown_table",
    "parameter_openapi",
    "parameters_from_schema",
    "read_parameters",
    "readme_block",
    "readme_table",
    "text_table",
    "type_of",
    "update_readme",
    "upstream_schema",
    "usage_of",
]
