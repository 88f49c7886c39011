"""`diff`: what `enable` would change, object by object, without changing anything.

Each object is sent as a server-side dry-run apply (so defaulting, admission and field ownership are
the server's, as for the real apply) and the answer is compared with the live object; managed
fields, status and server-set metadata are left out, and Secret values are masked.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from veladdon.addon.yamlutil import dump_yaml
from veladdon.cue.evaluator import Evaluator
from veladdon.jsonable import Jsonable, json_field
from veladdon.kube.cluster import Cluster
from veladdon.kube.enable import EnableOptions, enable
from veladdon.kube.live import LiveObjects, without_volatile
from veladdon.kube.records import ObjectRef, find_app
from veladdon.kube.writes import owner_reference, planned_writes, with_owner
from veladdon.wire import PUBLISH_VERSION

MASK = "***"


class Change(StrEnum):
    """What enable would do to one object."""

    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ObjectDiff(Jsonable):
    ref: ObjectRef = field(metadata=json_field(inline=True))
    action: Change
    diff: str  # a unified diff ("" when unchanged)


def diff_addon(
    cluster: Cluster,
    path: str | Path,
    options: EnableOptions,
    *,
    evaluator: Evaluator,
    show_secrets: bool = False,
) -> list[ObjectDiff]:
    """The per-object differences `enable` would make (all local and cluster-side checks included)."""
    options.dry_run = "client"
    report = enable(cluster, path, options, evaluator=evaluator)
    assert report.rendered is not None
    ns = options.system_namespace
    existing = find_app(cluster, report.addon, ns)
    live = LiveObjects(cluster)
    todo = planned_writes(
        live, report.rendered, existing, addon=report.addon, namespace=ns, notes=report.notes
    )
    results: list[ObjectDiff] = []
    app_ref = ObjectRef.of(todo.app)
    results.append(_compare(cluster, app_ref, existing, todo.app, show_secrets, ignore=(PUBLISH_VERSION,)))
    uid = (existing or {}).get("metadata", {}).get("uid", "")
    owner = owner_reference(todo.app, uid)
    for ref, obj in todo.items:
        body = with_owner(cluster, obj, ref, owner, ns) if uid else obj
        results.append(_compare(cluster, ref, live.get(ObjectRef.of(body)), body, show_secrets))
    for ref in todo.prune:
        before = live.get(ref)
        if before is not None:
            results.append(ObjectDiff(ref, Change.DELETE, _unified(ref, _masked(before, show_secrets), {})))
    return results


def _compare(
    cluster: Cluster,
    ref: ObjectRef,
    before: dict[str, Any] | None,
    desired: dict[str, Any],
    show_secrets: bool,
    ignore: tuple[str, ...] = (),
) -> ObjectDiff:
    if before is None:
        return ObjectDiff(ref, Change.CREATE, _unified(ref, {}, _masked(desired, show_secrets)))
    after = cluster.apply(desired, dry_run=True)
    old, new = without_volatile(before, ignore), without_volatile(after, ignore)
    if old == new:
        return ObjectDiff(ref, Change.UNCHANGED, "")
    old, new = _mask_pair(old, new, show_secrets)
    return ObjectDiff(ref, Change.CHANGE, _unified(ref, old, new))


def _masked(obj: dict[str, Any], show: bool) -> dict[str, Any]:
    data = without_volatile(obj)
    if show or data.get("kind") != "Secret":
        return data
    for key in ("data", "stringData"):
        if isinstance(data.get(key), dict):
            data[key] = dict.fromkeys(data[key], MASK)
    return data


def _mask_pair(old: dict[str, Any], new: dict[str, Any], show: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Secrets: `***` where a value is unchanged, `*** (before)`/`*** (after)` where it changed."""
    if show or new.get("kind") != "Secret":
        return old, new
    for key in ("data", "stringData"):
        a, b = old.get(key), new.get(key)
        if not isinstance(a, dict) and not isinstance(b, dict):
            continue
        a, b = dict(a or {}), dict(b or {})
        for k in set(a) | set(b):
            same = a.get(k) == b.get(k)
            if k in a:
                a[k] = MASK if same else f"{MASK} (before)"
            if k in b:
                b[k] = MASK if same else f"{MASK} (after)"
        old[key], new[key] = a, b
    return old, new


def _unified(ref: ObjectRef, old: dict[str, Any], new: dict[str, Any]) -> str:
    name = ref.path()
    before = dump_yaml(old).splitlines(keepends=True) if old else []
    after = dump_yaml(new).splitlines(keepends=True) if new else []
    return "".join(difflib.unified_diff(before, after, fromfile=f"live/{name}", tofile=f"enable/{name}"))
