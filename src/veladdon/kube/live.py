"""The cluster's objects as enable reads them: each read once per run, and compared without what the
server sets (so an apply that changed nothing is told apart from one that did)."""

from __future__ import annotations

import copy
from typing import Any

from veladdon.kube.cluster import Cluster
from veladdon.kube.records import ObjectRef

# Fields the server sets or that say nothing about what an object is: left out when deciding whether
# an apply changed anything (a dry run returns the old resourceVersion, so that cannot tell).
VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink")


def without_volatile(obj: dict[str, Any] | None, ignore_annotations: tuple[str, ...] = ()) -> dict[str, Any]:
    """The object without status and server-set metadata (and the annotations `ignore_annotations`),
    for change detection and diffs."""
    if not obj:
        return {}
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in VOLATILE_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in ignore_annotations:
                annotations.pop(key, None)
    return out


class LiveObjects:
    """Each live object read once per run (the conflict check, adoption and apply share reads)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._seen: dict[ObjectRef, dict[str, Any] | None] = {}

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        if ref not in self._seen:
            self._seen[ref] = self.cluster.get_object(ref)
        return self._seen[ref]
