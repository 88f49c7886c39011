"""The controllers a real control plane runs beside the API server, reduced to what the tests need:
garbage collection by owner uid, foreground/orphan deletion, namespace and CRD cleanup.

They run on their own thread and react shortly after a change, never inside the request, so tests
must poll for their effects exactly as they would against a real cluster.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from .api import API, CRD_FINALIZER, FOREGROUND, ORPHAN, now
from .apply import track_update
from .discovery import ResourceType
from .store import StoreKey

CONTROLLER_MANAGER = "kube-controller-manager"
# How the collector classifies an owner reference.
SOLID, DANGLING, WAITING = "solid", "dangling", "waiting"


class Controllers:
    DELAY = 0.02  # seconds between a change and the controllers' reaction
    MAX_PASSES = 50  # cascades settle in a few passes; the bound keeps a bug from spinning forever

    def __init__(self, api: API) -> None:
        self.api = api
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kubeapi-controllers", daemon=True)
        api.wake_controllers = self._wake.set

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            if self._stop.wait(self.DELAY):
                return
            self._wake.clear()
            for _ in range(self.MAX_PASSES):
                if self._stop.is_set() or not self.reconcile_once():
                    break

    # ------------------------------------------------------------------

    def _rt(self, key: StoreKey) -> ResourceType | None:
        types = self.api.registry.by_store_key(key)
        return types[0] if types else None

    def _current(self, key: StoreKey, obj: dict[str, Any]) -> dict[str, Any] | None:
        meta = obj["metadata"]
        current = self.api.store.get(key, meta.get("namespace", ""), meta["name"])
        if current is None or current["metadata"].get("uid") != meta.get("uid"):
            return None
        return current

    def _delete(self, key: StoreKey, obj: dict[str, Any], policy: str = "Background") -> None:
        rt = self._rt(key)
        if rt is None:
            self.api.store.remove(key, obj)
        else:
            self.api.delete_object(rt, obj, policy)

    def _drop_finalizer(self, key: StoreKey, obj: dict[str, Any], finalizer: str) -> None:
        new = copy.deepcopy(obj)
        meta = new["metadata"]
        meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != finalizer]
        if not meta["finalizers"]:
            del meta["finalizers"]
            if meta.get("deletionTimestamp"):
                gone = self.api.store.remove(key, new)
                rt = self._rt(key)
                if rt is not None:
                    self.api._after_delete(rt, gone)
                return
        self.api.store.put(key, new, "MODIFIED")

    def reconcile_once(self) -> bool:
        """One pass over every object; True when something changed (so another pass may be due)."""
        changed = False
        with self.api.lock:
            objects = list(self.api.store.all_objects())
            dependents: dict[str, list[tuple[StoreKey, dict[str, Any]]]] = {}
            for key, obj in objects:
                for ref in obj["metadata"].get("ownerReferences") or []:
                    dependents.setdefault(ref.get("uid", ""), []).append((key, obj))

            for key, obj in objects:
                obj = self._current(key, obj) or {}
                if not obj:
                    continue
                meta = obj["metadata"]
                finalizers = meta.get("finalizers") or []
                if meta.get("deletionTimestamp"):
                    if key == ("", "namespaces"):
                        changed |= self._terminate_namespace(meta["name"], obj, objects)
                    if (
                        key == ("apiextensions.k8s.io", "customresourcedefinitions")
                        and CRD_FINALIZER in finalizers
                    ):
                        changed |= self._cleanup_crd(key, obj, objects)
                    if FOREGROUND in finalizers:
                        changed |= self._foreground(key, obj, dependents.get(meta["uid"], []))
                    elif ORPHAN in finalizers:
                        changed |= self._orphan(key, obj, dependents.get(meta["uid"], []))
                    continue
                if meta.get("ownerReferences"):
                    changed |= self._collect(key, obj, bool(dependents.get(meta["uid"])))
        return changed

    def _classify(self, dependent: dict[str, Any], ref: dict[str, Any]) -> str | None:
        """What the collector makes of one owner reference (its isDangling): the owner is looked up by
        kind and name in the dependent's namespace (cluster-scoped owners by name alone) and must have
        the reference's uid. None: unresolvable (an unknown kind, or a namespaced owner of a
        cluster-scoped object), so the collector leaves the object alone."""
        namespace = dependent["metadata"].get("namespace", "")
        group, _, version = str(ref.get("apiVersion", "")).rpartition("/")
        rt = self.api.registry.by_kind(group, version, str(ref.get("kind", "")))
        if rt is None or (rt.namespaced and not namespace):
            return None
        owner = self.api.store.get(rt.store_key, namespace if rt.namespaced else "", str(ref.get("name", "")))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return DANGLING
        meta = owner["metadata"]
        if meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or []):
            return WAITING
        return SOLID

    def _collect(self, key: StoreKey, obj: dict[str, Any], has_dependents: bool) -> bool:
        """The collector's attemptToDeleteItem for an object that is not being deleted."""
        refs = obj["metadata"]["ownerReferences"]
        states = [self._classify(obj, ref) for ref in refs]
        if None in states:
            return False
        if SOLID in states:
            # A live owner keeps the object; references to gone or foreground-deleting owners are dropped.
            keep = [ref for ref, state in zip(refs, states, strict=True) if state == SOLID]
            if len(keep) == len(refs):
                return False
            new = copy.deepcopy(obj)
            new["metadata"]["ownerReferences"] = keep
            self._put(key, obj, new)
            return True
        finalizers = obj["metadata"].get("finalizers") or []
        if WAITING in states and has_dependents:
            policy = "Foreground"
        elif ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        self._delete(key, obj, policy)
        return True

    def _put(self, key: StoreKey, old: dict[str, Any], new: dict[str, Any], subresource: str = "") -> None:
        """A controller's write: recorded in managedFields as the controller manager's."""
        rt = self._rt(key)
        track_update(old, new, CONTROLLER_MANAGER, rt.api_version if rt else "v1", now(), subresource)
        self.api.store.put(key, new, "MODIFIED")

    def _terminate_namespace(
        self, name: str, ns: dict[str, Any], objects: list[tuple[StoreKey, dict[str, Any]]]
    ) -> bool:
        """The namespace controller: delete the content, report what is left (and which finalizers
        hold it) in the namespace's conditions, and remove the namespace once nothing is left."""
        changed = False
        remaining: dict[StoreKey, int] = {}
        held_by: dict[str, int] = {}
        for key, obj in objects:
            if key == ("", "namespaces") or obj["metadata"].get("namespace") != name:
                continue
            current = self._current(key, obj)
            if current is not None and not current["metadata"].get("deletionTimestamp"):
                self._delete(key, current)
                changed = True
                current = self._current(key, current)
            if current is None:
                continue
            remaining[key] = remaining.get(key, 0) + 1
            for finalizer in current["metadata"].get("finalizers") or []:
                held_by[finalizer] = held_by.get(finalizer, 0) + 1
        if not remaining:
            self.api.store.remove(("", "namespaces"), ns)
            return True
        return self._namespace_conditions(ns, remaining, held_by) or changed

    def _namespace_conditions(
        self, ns: dict[str, Any], remaining: dict[StoreKey, int], held_by: dict[str, int]
    ) -> bool:
        resources = sorted(
            f"{plural}.{group} has {n} resource instances" for (group, plural), n in remaining.items()
        )
        finalizers = sorted(f"{f} in {n} resource instances" for f, n in held_by.items())
        wanted = [
            (
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered",
            ),
            (
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
            ),
            (
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            ),
            (
                (
                    "NamespaceContentRemaining",
                    "True",
                    "SomeResourcesRemain",
                    "Some resources are remaining: " + ", ".join(resources),
                )
                if resources
                else (
                    "NamespaceContentRemaining",
                    "False",
                    "ContentRemoved",
                    "All content successfully removed",
                )
            ),
            (
                (
                    "NamespaceFinalizersRemaining",
                    "True",
                    "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: " + ", ".join(finalizers),
                )
                if finalizers
                else (
                    "NamespaceFinalizersRemaining",
                    "False",
                    "ContentHasNoFinalizers",
                    "All content-preserving finalizers finished",
                )
            ),
        ]
        status = ns.get("status") or {}
        old = {c.get("type"): c for c in status.get("conditions") or []}
        stamp = now()
        conditions = []
        for kind, state, reason, message in wanted:
            previous = old.get(kind) or {}
            same = (previous.get("status"), previous.get("reason"), previous.get("message")) == (
                state,
                reason,
                message,
            )
            conditions.append(
                {
                    "type": kind,
                    "status": state,
                    "lastTransitionTime": previous.get("lastTransitionTime", stamp) if same else stamp,
                    "reason": reason,
                    "message": message,
                }
            )
        if conditions == status.get("conditions"):
            return False
        new = copy.deepcopy(ns)
        new["status"] = {**status, "conditions": conditions}
        self._put(("", "namespaces"), ns, new, "status")
        return True

    def _cleanup_crd(
        self, key: StoreKey, crd: dict[str, Any], objects: list[tuple[StoreKey, dict[str, Any]]]
    ) -> bool:
        spec = crd.get("spec", {})
        target = (spec.get("group", ""), spec.get("names", {}).get("plural", ""))
        instances = [(k, o) for k, o in objects if k == target]
        return self._release_after(key, crd, instances, CRD_FINALIZER, "Background")

    def _foreground(
        self, key: StoreKey, owner: dict[str, Any], deps: list[tuple[StoreKey, dict[str, Any]]]
    ) -> bool:
        """Foreground deletion: the dependents are deleted by `_collect` (their owner is waiting for
        them); the owner keeps its finalizer only while a dependent with blockOwnerDeletion exists."""
        uid = owner["metadata"]["uid"]
        for k, o in deps:
            dep = self._current(k, o)
            if dep is not None and any(
                r.get("uid") == uid and r.get("blockOwnerDeletion")
                for r in dep["metadata"].get("ownerReferences") or []
            ):
                return False
        self._drop_finalizer(key, owner, FOREGROUND)
        return True

    def _release_after(
        self,
        key: StoreKey,
        owner: dict[str, Any],
        deps: list[tuple[StoreKey, dict[str, Any]]],
        finalizer: str,
        policy: str,
    ) -> bool:
        """Delete what still depends on `owner`; drop its finalizer once all of it is gone."""
        live = [(k, c) for k, o in deps if (c := self._current(k, o)) is not None]
        issued = False
        for k, dep in live:
            if not dep["metadata"].get("deletionTimestamp"):
                self._delete(k, dep, policy)
                issued = True
        if any(self._current(k, o) for k, o in live):
            return issued
        self._drop_finalizer(key, owner, finalizer)
        return True

    def _orphan(
        self, key: StoreKey, owner: dict[str, Any], deps: list[tuple[StoreKey, dict[str, Any]]]
    ) -> bool:
        uid = owner["metadata"]["uid"]
        for k, o in deps:
            dep = self._current(k, o)
            if dep is None:
                continue
            new = copy.deepcopy(dep)
            refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            self.api.store.put(k, new, "MODIFIED")
        self._drop_finalizer(key, owner, ORPHAN)
        return True
