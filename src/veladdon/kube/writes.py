"""What an enable writes, in order (upstream §6.8): the Application with veladdon's bookkeeping
annotations, then every auxiliary object with a controller owner reference to it, then the parameter
Secret; and what the previous enable applied that is not rendered any more (to delete). Reads only:
`diff` shows these writes, `apply` makes them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from veladdon.kube.cluster import Cluster
from veladdon.kube.live import LiveObjects
from veladdon.kube.records import ObjectRef, encode_objects, recorded_objects, secret_name
from veladdon.kube.workflow import publish_version
from veladdon.render import RenderResult
from veladdon.wire import APP_API_VERSION, NOTES_ANNOTATION, OBJECTS_ANNOTATION, PUBLISH_VERSION


@dataclass
class Writes:
    """What an enable writes, in order, before any owner uid is known."""

    app: dict[str, Any]  # the Application with veladdon's bookkeeping annotations
    items: list[tuple[ObjectRef, dict[str, Any]]]  # auxiliary objects, then the Secret
    prune: list[ObjectRef]  # applied by the previous enable, not rendered any more
    old_publish: str | None


def planned_writes(
    live: LiveObjects,
    rendered: RenderResult,
    existing: dict[str, Any] | None,
    *,
    addon: str,
    namespace: str,
    notes: str | None,
) -> Writes:
    previous = {r: r for r in recorded_objects(existing)}
    aux = rendered.auxiliary()
    adopted = _adopted(live, aux, previous)
    items = [(ObjectRef.of(o, adopted=ObjectRef.of(o) in adopted), o) for o in aux]
    if rendered.secret is not None:
        items.append((ObjectRef.of(rendered.secret), rendered.secret))
    refs = [ref for ref, _ in items]
    app = copy.deepcopy(rendered.application)
    annotations = app["metadata"].setdefault("annotations", {})
    annotations[OBJECTS_ANNOTATION] = encode_objects(refs)
    if notes:
        annotations[NOTES_ANNOTATION] = notes
    old_publish = (existing or {}).get("metadata", {}).get("annotations", {}).get(PUBLISH_VERSION)
    annotations[PUBLISH_VERSION] = old_publish or publish_version()
    current = set(refs)
    prune = [ref for ref in sorted(previous, key=ObjectRef.key) if ref not in current and not ref.adopted]
    secret = ObjectRef("v1", "Secret", secret_name(addon), namespace)
    if rendered.secret is None and secret not in previous and live.get(secret) is not None:
        prune.append(secret)  # enabled without parameters now: the stored ones go (upstream §6.7)
    return Writes(app, items, prune, old_publish)


def owner_reference(app: dict[str, Any], uid: str) -> dict[str, Any]:
    return {
        "apiVersion": APP_API_VERSION,
        "kind": "Application",
        "name": app["metadata"]["name"],
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def with_owner(
    cluster: Cluster, obj: dict[str, Any], ref: ObjectRef, owner: dict[str, Any], namespace: str
) -> dict[str, Any]:
    """The object as applied: namespaced objects default to the system namespace, and get a controller
    owner reference where Kubernetes allows one (same namespace as the Application). Cluster-scoped
    and other-namespace objects cannot be garbage-collected through it; `disable` deletes them."""
    body = copy.deepcopy(obj)
    meta = body.setdefault("metadata", {})
    namespaced = cluster.namespaced(body["apiVersion"], body["kind"])
    if namespaced and not meta.get("namespace"):
        meta["namespace"] = namespace
    if namespaced and meta.get("namespace") == namespace and not ref.adopted:
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != owner["uid"]]
        meta["ownerReferences"] = [*refs, owner]
    return body


def _adopted(
    live: LiveObjects, aux: list[dict[str, Any]], previous: dict[ObjectRef, ObjectRef]
) -> set[ObjectRef]:
    """Cluster-scoped Namespaces that exist without having been created by this addon: veladdon
    manages them but never deletes them."""
    refs = set()
    for obj in aux:
        ref = ObjectRef.of(obj)
        if obj["kind"] != "Namespace" or obj["apiVersion"] != "v1":
            continue
        if ref in previous:
            if previous[ref].adopted:
                refs.add(ref)
            continue
        if live.get(ref) is not None:
            refs.add(ref)
    return refs
