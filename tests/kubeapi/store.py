"""The in-memory object store: one global resourceVersion counter and an event log for watches.

Stored objects are never mutated: every write stores a fresh dict, so readers may serialise them
without holding the lock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

StoreKey = tuple[str, str]  # (group, plural)
ObjKey = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    store_key: StoreKey
    obj: dict[str, Any]


class Store:
    EVENT_HISTORY = 20_000

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects: dict[StoreKey, dict[ObjKey, dict[str, Any]]] = {}
        self._rv = 1000
        self._events: deque[Event] = deque(maxlen=self.EVENT_HISTORY)
        self.closed = False

    @property
    def resource_version(self) -> int:
        return self._rv

    def next_rv(self) -> int:
        with self.lock:
            self._rv += 1
            return self._rv

    def get(self, key: StoreKey, namespace: str, name: str) -> dict[str, Any] | None:
        return self._objects.get(key, {}).get((namespace, name))

    def list_objects(self, key: StoreKey, namespace: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            bucket = self._objects.get(key, {})
            if namespace is None:
                return [bucket[k] for k in sorted(bucket)]
            return [obj for (ns, _), obj in sorted(bucket.items()) if ns == namespace]

    def keys(self) -> list[StoreKey]:
        with self.lock:
            return list(self._objects)

    def all_objects(self) -> Iterator[tuple[StoreKey, dict[str, Any]]]:
        with self.lock:
            snapshot = [(k, list(b.values())) for k, b in self._objects.items()]
        for key, objs in snapshot:
            for obj in objs:
                yield key, obj

    def put(self, key: StoreKey, obj: dict[str, Any], event: str) -> dict[str, Any]:
        """Store `obj` with a new resourceVersion (the caller holds the lock for read-modify-write)."""
        with self.lock:
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            meta = obj["metadata"]
            self._objects.setdefault(key, {})[(meta.get("namespace", ""), meta["name"])] = obj
            self._events.append(Event(rv, event, key, obj))
            self.changed.notify_all()
            return obj

    def remove(self, key: StoreKey, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            meta = obj["metadata"]
            self._objects.get(key, {}).pop((meta.get("namespace", ""), meta["name"]), None)
            rv = self.next_rv()
            gone = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
            self._events.append(Event(rv, "DELETED", key, gone))
            self.changed.notify_all()
            return gone

    def events_since(self, rv: int) -> list[Event] | None:
        """Events newer than `rv`, or None when `rv` is older than the history kept (410 Expired)."""
        with self.lock:
            if self._events and rv < self._events[0].rv - 1 and len(self._events) == self.EVENT_HISTORY:
                return None
            newer: list[Event] = []
            for event in reversed(self._events):
                if event.rv <= rv:
                    break
                newer.append(event)
            newer.reverse()
            return newer

    def wait(self, after_rv: int, timeout: float) -> None:
        with self.changed:
            if self._rv <= after_rv and not self.closed:
                self.changed.wait(timeout)

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()
