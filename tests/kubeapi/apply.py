"""Server-side apply and `managedFields` bookkeeping.

Field sets are sets of paths (tuples of map keys). Lists are atomic: a manager owns a whole list,
never single items (the documented "list-type-granular apply" gap), except the two lists of
metadata every object has: `ownerReferences`, a map list keyed by uid whose items are atomic, and
`finalizers`, a set. Their items are path components of their own, `k:{"uid":"..."}` and
`v:"..."`, exactly as they appear in `fieldsV1`.
"""

from __future__ import annotations

import copy
import json
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

# Lists whose items are owned one by one: the key fields of a map list, or None for a set.
GRANULAR: dict[Path, tuple[str, ...] | None] = {
    ("metadata", "ownerReferences"): ("uid",),
    ("metadata", "finalizers"): None,
}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def item_key(list_path: Path, item: Any) -> str | None:
    """The path component of one item of a granular list (None when it has no usable key)."""
    keys = GRANULAR[list_path]
    if keys is None:
        return None if isinstance(item, (dict, list)) else "v:" + _compact(item)
    if not isinstance(item, dict) or any(k not in item for k in keys):
        return None
    return "k:" + _compact({k: item[k] for k in keys})


def _item_keys(list_path: Path, items: list[Any]) -> list[str] | None:
    keys = [item_key(list_path, item) for item in items]
    if None in keys or len(set(keys)) != len(keys):
        return None  # not a valid map list or set: treated as atomic
    return [k for k in keys if k is not None]


def _is_item(path: Path, index: int) -> bool:
    return path[:index] in GRANULAR and path[index][:2] in ("k:", "v:")


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


def ordered_leaf_paths(obj: Any, ignore_status: bool = False) -> list[Path]:
    """The leaf paths of `obj` in document order (the order applied list items are added in)."""
    paths: list[Path] = []

    def walk(value: Any, prefix: Path) -> None:
        if isinstance(value, dict) and (value or not prefix):
            for key, child in value.items():
                walk(child, (*prefix, key))
        elif (
            isinstance(value, list)
            and value
            and prefix in GRANULAR
            and (keys := _item_keys(prefix, value)) is not None
        ):
            paths.extend((*prefix, k) for k in keys)
        elif prefix not in _SERVER_FIELDS:
            paths.append(prefix)

    walk(obj, ())
    if ignore_status:
        paths = [p for p in paths if p[0] != "status"]
    return paths


def leaf_paths(obj: Any, ignore_status: bool = False) -> set[Path]:
    return set(ordered_leaf_paths(obj, ignore_status))


def _find_item(list_path: Path, items: list[Any], key: str) -> int | None:
    return next((i for i, item in enumerate(items) if item_key(list_path, item) == key), None)


def get_path(obj: Any, path: Path) -> Any:
    for index, key in enumerate(path):
        if isinstance(obj, list) and _is_item(path, index):
            found = _find_item(path[:index], obj, key)
            if found is None:
                return _MISSING
            obj = obj[found]
            continue
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _set_path(obj: dict[str, Any], path: Path, value: Any) -> None:
    item = _is_item(path, len(path) - 1)
    parents = path[:-2] if item else path[:-1]
    for key in parents:
        child = obj.get(key)
        if not isinstance(child, dict):
            child = obj[key] = {}
        obj = child
    if not item:
        obj[path[-1]] = copy.deepcopy(value)
        return
    items = obj.get(path[-2])
    if not isinstance(items, list):
        items = obj[path[-2]] = []
    found = _find_item(path[:-1], items, path[-1])
    if found is None:
        items.append(copy.deepcopy(value))
    else:
        items[found] = copy.deepcopy(value)


def _delete_path(obj: dict[str, Any], path: Path) -> None:
    if _is_item(path, len(path) - 1):
        items = get_path(obj, path[:-1])
        if isinstance(items, list):
            found = _find_item(path[:-1], items, path[-1])
            if found is not None:
                del items[found]
            if items:
                return
        path = path[:-1]  # the last item went: the list goes too
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
        for index, key in enumerate(path):
            node = node.setdefault(key if _is_item(path, index) else f"f:{key}", {})
    return root


def fields_from_v1(doc: Any, prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    if not isinstance(doc, dict):
        return paths
    items = [k for k in doc if k[:2] in ("k:", "v:")] if prefix in GRANULAR else []
    children = [k for k in doc if k.startswith("f:")]
    if not children and not items and prefix:
        paths.add(prefix)
    for key in children:
        paths |= fields_from_v1(doc[key], (*prefix, key[2:]))
    paths |= {(*prefix, key) for key in items}  # list items are atomic: whatever is below is theirs
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
    """A path as the API server prints it: `.metadata.ownerReferences[uid="..."]`, `.finalizers[="..."]`."""
    out = ""
    for index, key in enumerate(path):
        if not _is_item(path, index):
            out += "." + key
        elif key.startswith("v:"):
            out += f"[={key[2:]}]"
        else:
            fields = json.loads(key[2:])
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in fields.items()) + "]"
    return out


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
    ordered = ordered_leaf_paths(applied, ignore_status)
    new_paths = set(ordered)
    entries = read_entries(live)
    key = (manager, "Apply", subresource)
    mine = next((e for e in entries if e.key == key), None)
    old_paths = set(mine.fields) if mine else set()

    conflicts: list[tuple[Entry, Path]] = []
    for e in entries:
        if e.key == key:
            continue
        for p in sorted(new_paths & e.fields):
            if get_path(live, p) != get_path(applied, p):
                conflicts.append((e, p))
    if conflicts and not force:
        raise _conflict_error(conflicts)
    if force:
        taken = {p for _, p in conflicts}
        for e in entries:
            if e.key != key:
                e.fields -= taken

    result = copy.deepcopy(live) if live is not None else {}
    for p in ordered:
        value = get_path(applied, p)
        if value == {} and isinstance(get_path(result, p), dict):
            continue  # an empty map merges into the live one; it does not clear it
        if value == [] and p in GRANULAR and isinstance(get_path(result, p), list):
            continue  # nor does an empty granular list clear the items others own
        _set_path(result, p, value)
    others = set().union(*(e.fields for e in entries if e.key != key)) if entries else set()
    for p in old_paths - new_paths:
        if p in GRANULAR and _item_keys(p, get_path(result, p) or []):
            continue  # the list's items have owners of their own
        if p not in others:
            _delete_path(result, p)
    _entry(entries, key, api_version, now).fields = new_paths
    write_entries(result, entries)
    return result


def _manager(e: Entry) -> str:
    """How the API server names a conflicting manager: Update managers with version and time."""
    name = f'"{e.manager}"'
    if e.subresource:
        name += f' with subresource "{e.subresource}"'
    if e.operation == "Update":
        name += f" using {e.api_version}" + (f" at {e.time}" if e.time else "")
    return name


def _conflict_error(conflicts: list[tuple[Entry, Path]]) -> APIError:
    count = len(conflicts)
    if count == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {_manager(entry)}: {dotted(path)}"
    else:
        by_manager: dict[str, list[Path]] = {}
        for e, p in conflicts:
            by_manager.setdefault(_manager(e), []).append(p)
        parts = sorted(
            f"conflicts with {who}" + "".join(f"\n- {dotted(p)}" for p in paths)
            for who, paths in by_manager.items()
        )
        message = f"Apply failed with {count} conflicts: " + "\n".join(parts)
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {_manager(e)}", "field": dotted(p)}
        for e, p in conflicts
    ]
    return APIError(409, message, "Conflict", {"causes": causes})
