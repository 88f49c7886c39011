"""The parameter schemas KubeVela stores: `cue def --out openapi` with its `$ref`s expanded, and the
one rule for a parameter's `+usage=` text (upstream §5.9, §5.11).

A field's doc comment reaches CUE's OpenAPI output as its `description`; the same text is what
:func:`veladdon.cue.source.field_info` reads off the source. :func:`usage_text` is how KubeVela's
FixOpenAPISchema turns it into the stored description; :func:`usage` is the same text as veladdon
shows it (only what a `+usage=` tag gives, on one line). Everything that shows or stores usage text
goes through these two.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

USAGE_TAG = "+usage="
SHORT_TAG = "+short="


def usage_text(description: str) -> str:
    """KubeVela's rule (pkg/utils/common/common.go: FixOpenAPISchema): the text after `+usage=` (the
    whole description without one), cut at `+short=` and then stripped."""
    if USAGE_TAG in description:
        description = description.split(USAGE_TAG, 1)[1]
    if SHORT_TAG in description:
        description = description.split(SHORT_TAG, 1)[0].strip()
    return description


def usage(doc: str) -> str:
    """The usage veladdon shows for a field with doc comment (or OpenAPI description) `doc`: the
    stored text on one line, and nothing for a plain comment (that stays the author's note, though
    upstream would show it as the description)."""
    return " ".join(usage_text(doc).split()) if USAGE_TAG in doc else ""


def resolve_openapi(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The schema `name` of `cue def --out openapi` with every `$ref` expanded (as KubeVela expands them).

    CUE refers to values inside other schemas by dotted paths (`#/components/schemas/_c0.template.x`),
    which are not schemas of their own: walk `properties` to find them.
    """
    schemas = document.get("components", {}).get("schemas", {})

    def target(ref: str, depth: int) -> Any:
        """The raw node a `$ref` points at (its own `$ref`s not yet expanded)."""
        path = ref.removeprefix("#/components/schemas/")
        if path in schemas:
            return schemas[path]
        head, *rest = path.split(".")
        node: Any = schemas.get(head, {})
        for part in rest:
            node = deref(node, depth + 1)
            node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
        return node

    def deref(node: Any, depth: int) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 50:
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target(node["$ref"], depth + 1), **extra}
            depth += 1
        return node

    def expand(node: Any, depth: int) -> Any:
        if depth > 50:
            return {}
        node = deref(node, depth)
        if isinstance(node, dict):
            return {k: expand(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [expand(v, depth + 1) for v in node]
        return node

    expanded = expand(schemas.get(name, {}), 0)
    return copy.deepcopy(expanded) if isinstance(expanded, dict) else {}


def fix_openapi_schema(name: str, schema: dict[str, Any]) -> None:
    """KubeVela's FixOpenAPISchema: each property titled by its name, `+usage=` text as description."""
    kind = schema.get("type")
    if kind == "object":
        for key, value in (schema.get("properties") or {}).items():
            if isinstance(value, dict):
                fix_openapi_schema(key, value)
    elif kind == "array" and isinstance(schema.get("items"), dict):
        fix_openapi_schema("", schema["items"])
    if name:
        schema["title"] = name
    description = usage_text(str(schema.get("description", "")))
    if description:
        schema["description"] = description
    else:
        schema.pop("description", None)


__all__ = ["SHORT_TAG", "USAGE_TAG", "fix_openapi_schema", "resolve_openapi", "usage", "usage_text"]
