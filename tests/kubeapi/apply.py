"""Server-side apply and `managedFields` bookkeeping.

Field sets are sets of paths (tuples of map keys). Lists are atomic: a manager owns a whole list,
never single items (the documented "list-type-granular apply" gap).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .errors import APIError

Path = tuple[str, ...]

# Fields the server owns; they never appear in a manager's field set.
_SERVER_FIELDS: set[Path] = {
    ("apiVersion",),
    ("kind",),
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("metadata", "uid"),
    ("metadata", "resourceVersion"),
    ("metadata", "generation"),
    ("metadata", "creationTimestamp"),
    ("metadata", "deletionTimestamp"),
    ("metadata", "deletionGracePeriodSeconds"),
    ("metadata", "managedFields"),
    ("metadata", "selfLink"),
}

_MISSING = object()


@dataclass
class Entry:
    manager: str
    operation: str
    api_version: str
    time: str
    subresource: str = ""
    fields: set[Path] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.manager, self.operation, self.subresource)


def leaf_paths(obj: Any, ignore_status: bool = False) -> set[Path]:
    paths: set[Path] = set()

    def walk(value: Any, prefix: Path) -> None:
        if isinstance(value, dict) and (value or not prefix):
            for key, child in value.items():
                walk(child, (*prefix, key))
        elif prefix not in _SERVER_FIELDS:
            paths.add(prefix)

    walk(obj, ())
    if ignore_status:
        paths = {p for p in paths if p[0] != "status"}
    return paths


def get_path(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _set_path(obj: dict[str, Any], path: Path, value: Any) -> None:
    for key in path[:-1]:
        child = obj.get(key)
        if not isinstance(child, dict):
            child = obj[key] = {}
        obj = child
    obj[path[-1]] = copy.deepcopy(value)


def _delete_path(obj: dict[str, Any], path: Path) -> None:
    parents: list[tuple[dict[str, Any], str]] = []
    node: Any = obj
    for key in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return
        parents.append((node, key))
        node = node[key]
    node.pop(path[-1], None)
    # Prune maps that only existed to hold the removed field (but never metadata itself).
    for parent, key in reversed(parents):
        if parent[key] or (parent is obj and key == "metadata"):
            break
        del parent[key]


def fields_to_v1(paths: set[Path]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return root


def fields_from_v1(doc: Any, prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    if not isinstance(doc, dict):
        return paths
    children = [k for k in doc if k.startswith("f:")]
    if not children and prefix:
        paths.add(prefix)
    for key in children:
        paths |= fields_from_v1(doc[key], (*prefix, key[2:]))
    return paths


def read_entries(obj: dict[str, Any] | None) -> list[Entry]:
    if not obj:
        return []
    entries = []
    for raw in obj.get("metadata", {}).get("managedFields") or []:
        entries.append(
            Entry(
                manager=raw.get("manager", ""),
                operation=raw.get("operation", "Update"),
                api_version=raw.get("apiVersion", ""),
                time=raw.get("time", ""),
                subresource=raw.get("subresource", ""),
                fields=fields_from_v1(raw.get("fieldsV1")),
            )
        )
    return entries


def write_entries(obj: dict[str, Any], entries: list[Entry]) -> None:
    out = []
    for e in entries:
        if not e.fields:
            continue
        raw: dict[str, Any] = {
            "manager": e.manager,
            "operation": e.operation,
            "apiVersion": e.api_version,
            "time": e.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": fields_to_v1(e.fields),
        }
        if e.subresource:
            raw["subresource"] = e.subresource
        out.append(raw)
    meta = obj.setdefault("metadata", {})
    if out:
        meta["managedFields"] = out
    else:
        meta.pop("managedFields", None)


def _entry(entries: list[Entry], key: tuple[str, str, str], api_version: str, now: str) -> Entry:
    for e in entries:
        if e.key == key:
            e.time, e.api_version = now, api_version
            return e
    e = Entry(key[0], key[1], api_version, now, key[2])
    entries.append(e)
    return e


def dotted(path: Path) -> str:
    return "." + ".".join(path)


def track_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    api_version: str,
    now: str,
    subresource: str = "",
    ignore_status: bool = False,
) -> None:
    """Record a non-apply write (create, update, patch): the writer takes every field it changed."""
    entries = read_entries(old)
    new_paths = leaf_paths(new, ignore_status)
    if old is None:
        changed, removed = new_paths, set()
    else:
        old_paths = leaf_paths(old, ignore_status)
        changed = {p for p in new_paths if p not in old_paths or get_path(old, p) != get_path(new, p)}
        removed = old_paths - new_paths
    if changed or removed:
        for e in entries:
            e.fields -= changed | removed
        if changed:
            _entry(entries, (manager, "Update", subresource), api_version, now).fields |= changed
    write_entries(new, entries)


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    manager: str,
    force: bool,
    api_version: str,
    now: str,
    subresource: str = "",
    ignore_status: bool = False,
) -> dict[str, Any]:
    """Merge `applied` into `live` the way structured-merge-diff does for atomic lists.

    Returns the new object (server fields still to be set by the caller); raises 409 on conflicts.
    """
    applied = copy.deepcopy(applied)
    applied.get("metadata", {}).pop("managedFields", None)
    new_paths = leaf_paths(applied, ignore_status)
    entries = read_entries(live)
    key = (manager, "Apply", subresource)
    mine = next((e for e in entries if e.key == key), None)
    old_paths = set(mine.fields) if mine else set()

    conflicts: list[tuple[str, Path]] = []
    for e in entries:
        if e.key == key:
            continue
        for p in sorted(new_paths & e.fields):
            if get_path(live, p) != get_path(applied, p):
                conflicts.append((e.manager, p))
    if conflicts and not force:
        raise _conflict_error(conflicts, api_version)
    if force:
        taken = {p for _, p in conflicts}
        for e in entries:
            if e.key != key:
                e.fields -= taken

    result = copy.deepcopy(live) if live is not None else {}
    for p in new_paths:
        value = get_path(applied, p)
        if value == {} and isinstance(get_path(result, p), dict):
            continue  # an empty map merges into the live one; it does not clear it
        _set_path(result, p, value)
    others = set().union(*(e.fields for e in entries if e.key != key)) if entries else set()
    for p in old_paths - new_paths:
        if p not in others:
            _delete_path(result, p)
    _entry(entries, key, api_version, now).fields = new_paths
    write_entries(result, entries)
    return result


def _conflict_error(conflicts: list[tuple[str, Path]], api_version: str) -> APIError:
    count = len(conflicts)
    managers = sorted({m for m, _ in conflicts})
    if count == 1:
        manager, path = conflicts[0]
        message = (
            f'Apply failed with 1 conflict: conflict with "{manager}" using {api_version}: {dotted(path)}'
        )
    else:
        lines = "\n".join(f"- {dotted(p)}" for _, p in conflicts)
        who = ", ".join(f'"{m}"' for m in managers)
        message = f"Apply failed with {count} conflicts: conflicts with {who} using {api_version}:\n{lines}"
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{m}" using {api_version}',
            "field": dotted(p),
        }
        for m, p in conflicts
    ]
    return APIError(409, message, "Conflict", {"causes": causes})
