"""The controllers a real control plane runs beside the API server, reduced to what the tests need:
garbage collection by owner uid, foreground/orphan deletion, namespace and CRD cleanup.

They run on their own thread and react shortly after a change, never inside the request, so tests
must poll for their effects exactly as they would against a real cluster.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from .api import API, CRD_FINALIZER, FOREGROUND, ORPHAN
from .discovery import ResourceType
from .store import StoreKey


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
            uids = {o["metadata"].get("uid") for _, o in objects}
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
                refs = meta.get("ownerReferences") or []
                if refs and not any(ref.get("uid") in uids for ref in refs):
                    self._delete(key, obj)
                    changed = True
        return changed

    def _terminate_namespace(
        self, name: str, ns: dict[str, Any], objects: list[tuple[StoreKey, dict[str, Any]]]
    ) -> bool:
        changed = False
        remaining = 0
        for key, obj in objects:
            if key == ("", "namespaces") or obj["metadata"].get("namespace") != name:
                continue
            current = self._current(key, obj)
            if current is None:
                continue
            remaining += 1
            if not current["metadata"].get("deletionTimestamp"):
                self._delete(key, current)
                changed = True
        if remaining == 0 or not any(
            self._current(k, o) for k, o in objects if o["metadata"].get("namespace") == name
        ):
            self.api.store.remove(("", "namespaces"), ns)
            return True
        return changed

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
        return self._release_after(key, owner, deps, FOREGROUND, "Foreground")

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
