"""Dataclasses as JSON: the one mechanism behind every documented JSON shape (`-o json|yaml` of
`list`, `status`, `params`, `disable --dry-run` and `diff`, the lint report and cache, the registry
ConfigMap, the objects annotation).

A dataclass that inherits `Jsonable` has `to_json()`: each field under its JSON name, in declaration
order. The name is the field name in camelCase (`has_default` → `hasDefault`) unless its metadata
says otherwise; `json_field(...)` in a field's metadata can rename it (a dotted name nests it:
`application.name`), leave it out (`skip`), leave it out when empty (`omitempty`, Go's word), or merge
a nested object's keys into this one (`inline`, without the keys in `omit`). Values: dataclasses
recursively, enums as their values, tuples and lists as lists, mappings as dicts; the rest as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any

_KEY = "veladdon.json"


def json_field(
    name: str | None = None,
    *,
    skip: bool = False,
    omitempty: bool = False,
    inline: bool = False,
    omit: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Field metadata saying how the field is written: `field(default=..., metadata=json_field(...))`."""
    return {_KEY: {"name": name, "skip": skip, "omitempty": omitempty, "inline": inline, "omit": omit}}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def to_json(value: Any) -> Any:
    """`value` as plain JSON data (see the module docstring)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            how = f.metadata.get(_KEY, {})
            item = getattr(value, f.name)
            if how.get("skip") or (how.get("omitempty") and not item):
                continue
            data = to_json(item)
            if how.get("inline"):
                out.update((k, v) for k, v in data.items() if k not in how["omit"])
                continue
            *parents, last = (how.get("name") or camel(f.name)).split(".")
            target = out
            for parent in parents:
                target = target.setdefault(parent, {})
            target[last] = data
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    return value


class Jsonable:
    """Mixin for dataclasses: `to_json()` is `veladdon.jsonable.to_json(self)`."""

    def to_json(self) -> dict[str, Any]:
        data = to_json(self)
        assert isinstance(data, dict)
        return data


__all__ = ["Jsonable", "camel", "json_field", "to_json"]
