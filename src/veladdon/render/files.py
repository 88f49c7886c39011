"""Reading the addon's YAML and CUE files with errors that name the file and line."""

from __future__ import annotations

import json
from typing import Any

from veladdon.addon.model import SourceFile
from veladdon.addon.yamlutil import YamlError, load_yaml
from veladdon.cue.source import CueSyntaxError, read_header, top_level_fields, unused_imports, with_package
from veladdon.errors import InputError


def go_json(value: Any) -> str:
    """Go's json.Marshal: compact, map keys sorted, and `<`, `>`, `&` escaped for HTML safety."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def parse_yaml(source: SourceFile, what: str) -> Any:
    """The first YAML document of `source`; `what` prefixes the error (upstream's wording)."""
    try:
        return load_yaml(source.text)
    except YamlError as exc:
        raise InputError(
            f"{what}: invalid YAML: {exc.problem}", path=source.path, line=exc.line, col=exc.col
        ) from exc


class ObjectError(InputError):
    """A rendered object the API server would refuse (no kind, no name...): `enable` would fail on it."""


def parse_object(source: SourceFile, what: str) -> dict[str, Any]:
    """A Kubernetes object (a mapping with `kind`)."""
    obj = parse_yaml(source, what)
    if not isinstance(obj, dict) or not obj.get("kind"):
        raise InputError(f"{what}: not a Kubernetes object (no `kind`)", path=source.path, line=1)
    return obj


def parse_applied_object(source: SourceFile, what: str) -> dict[str, Any]:
    """A Kubernetes object that is applied as it is: it must be one the API server accepts."""
    obj = parse_object(source, what)
    problem = object_problem(obj)
    if problem is not None:
        raise ObjectError(
            f"{what}: the object {problem}, so the API server would refuse it",
            path=source.path,
            line=1,
            hint="give it apiVersion, kind and metadata.name",
        )
    return obj


def syntax_error(source: SourceFile, exc: CueSyntaxError, what: str = "CUE syntax error") -> InputError:
    return InputError(f"{what}: {exc.message}", path=source.path, line=exc.line, col=exc.col)


def imports_vela(text: str) -> bool:
    """Whether the file imports KubeVela-only packages (`vela/op`, `vela/ql`…) no plain cue resolves."""
    return any(imp.path == "vela" or imp.path.startswith("vela/") for imp in read_header(text).imports)


def nested(source: SourceFile, key: str, package: str, *, prelude: str = "") -> str:
    """The file's declarations nested under `key` (imports stay at file level); lines unchanged."""
    text = with_package(source.text, package)
    try:
        decls = [d for d in top_level_fields(text) if d.kind not in ("package", "import")]
    except CueSyntaxError as exc:
        raise syntax_error(source, exc) from exc
    start = decls[0].span.start if decls else len(text)
    # `prelude` goes last, so that every line of the file keeps its number.
    return f"{text[:start]}{key}: {{{text[start:]}\n{prelude}}}\n"


def blank(chars: list[str], start: int, end: int) -> None:
    for pos in range(start, end):
        if chars[pos] != "\n":
            chars[pos] = " "


def drop_unused_imports(text: str) -> str:
    """Blank imports only the (removed) header used: CUE rejects unused imports."""
    unused = unused_imports(text)
    if not unused:
        return text
    chars = list(text)
    decls = [d for d in top_level_fields(text) if d.kind == "import"]
    imports = read_header(text).imports
    for imp in unused:
        decl = next((d for d in decls if d.span.start <= imp.span.start < d.span.end), None)
        if decl is None:
            continue
        inside = [i for i in imports if decl.span.start <= i.span.start < decl.span.end]
        if len(inside) == 1:
            blank(chars, decl.span.start, decl.span.end)
        else:
            blank(chars, imp.span.start, imp.span.end)
    return "".join(chars)


def object_problem(obj: Any) -> str | None:
    """Why the API server would refuse `obj` as a Kubernetes object (what `vela addon enable` then
    fails on), or None: it needs a string `apiVersion` and `kind`, a `metadata` mapping with a string
    `name`, and string `namespace`, label and annotation values where they are set."""
    if not isinstance(obj, dict):
        return "is not an object"
    missing = [key for key in ("apiVersion", "kind") if not obj.get(key)]
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        return "has a `metadata` that is not a mapping"
    meta = meta or {}
    if not meta.get("name"):
        missing.append("metadata.name")
    if missing:
        return f"has no {', no '.join(missing)}"
    for key in ("apiVersion", "kind"):
        if not isinstance(obj[key], str):
            return f"has a `{key}` that is not a string"
    for key in ("name", "namespace"):
        if key in meta and not isinstance(meta[key], str):
            return f"has a `metadata.{key}` that is not a string"
    for key in ("labels", "annotations"):
        values = meta.get(key)
        if values is None:
            continue
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return f"has `metadata.{key}` that are not a mapping of strings"
    return None
