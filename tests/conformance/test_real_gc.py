"""Owner references, blockOwnerDeletion, namespace finalization and apply of ownerReferences and
finalizers, as a real kube-apiserver and kube-controller-manager handle them."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError

from tests.kubeapi.fixtures import KubeTarget, as_body, meta, must, status_of, wait_for

from .conftest import create_crd, gone

pytestmark = pytest.mark.conformance

HOLD = "veladdon.test/hold"


def ref(owner: k8s.V1ConfigMap, block: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": meta(owner).name,
        "uid": meta(owner).uid,
    }
    if block is not None:
        out["blockOwnerDeletion"] = block
    return out


def manifest(
    name: str, refs: list[dict[str, Any]] | None = None, finalizers: list[str] | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if refs:
        metadata["ownerReferences"] = refs
    if finalizers:
        metadata["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}


def config_map(
    name: str, refs: list[dict[str, Any]] | None = None, finalizers: list[str] | None = None
) -> k8s.V1ConfigMap:
    """`manifest(...)` as the typed client's body (sent as the dict it is)."""
    return as_body(k8s.V1ConfigMap, manifest(name, refs, finalizers))


def make_owner(core: k8s.CoreV1Api, ns: str, name: str) -> k8s.V1ConfigMap:
    return core.create_namespaced_config_map(ns, config_map(name))


def config_map_gone(core: k8s.CoreV1Api, ns: str, name: str) -> bool:
    return gone(lambda: core.read_namespaced_config_map(name, ns))


def config_map_deleting(core: k8s.CoreV1Api, ns: str, name: str) -> bool:
    return meta(core.read_namespaced_config_map(name, ns)).deletion_timestamp is not None


def release(core: k8s.CoreV1Api, ns: str, *names: str) -> None:
    """Drop the test's finalizers, so nothing stays terminating on a shared control plane."""
    for name in names:
        if not config_map_gone(core, ns, name):
            core.patch_namespaced_config_map(name, ns, {"metadata": {"finalizers": None}})


def stays(predicate: Callable[[], Any], seconds: float = 2.0) -> bool:
    """True when `predicate()` holds throughout `seconds` (for what a controller must NOT do)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(0.1)
    return True


def test_owner_in_another_namespace_is_no_owner(core: k8s.CoreV1Api, kube: KubeTarget) -> None:
    """Owners are looked up in the dependent's namespace: a uid from elsewhere resolves to nothing."""
    here, there = kube.namespace(), kube.namespace()
    owner = make_owner(core, here, "owner")
    core.create_namespaced_config_map(here, config_map("same-ns", [ref(owner)]))
    core.create_namespaced_config_map(there, config_map("cross-ns", [ref(owner)]))
    wait_for(
        lambda: gone(lambda: core.read_namespaced_config_map("cross-ns", there)),
        30,
        what="the dependent with a cross-namespace owner collected",
    )
    # The owner is alive, and still owns what shares its namespace.
    assert meta(core.read_namespaced_config_map("owner", here)).deletion_timestamp is None
    assert meta(core.read_namespaced_config_map("same-ns", here)).deletion_timestamp is None


def test_cluster_scoped_dependent_of_a_namespaced_owner_is_kept(
    core: k8s.CoreV1Api, dyn: DynamicClient, kube: KubeTarget, ns: str
) -> None:
    """A cluster-scoped object cannot be owned by a namespaced one: the reference never resolves, and
    the collector leaves the object alone (Kubernetes >= 1.20)."""
    crd = create_crd(kube, "Gadget", scope="Cluster", status=False)
    gadgets = dyn.resources.get(api_version=crd.api_version, kind="Gadget")
    owner = make_owner(core, ns, "owner")
    name = f"gadget-{kube.run_id}"
    body = crd.obj(name)
    body["metadata"]["ownerReferences"] = [ref(owner)]
    gadgets.create(body=body)
    core.create_namespaced_config_map(ns, config_map("control", [ref(owner)]))
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Background")
    wait_for(
        lambda: gone(lambda: core.read_namespaced_config_map("control", ns)), 30, what="control collected"
    )
    assert stays(lambda: not gone(lambda: gadgets.get(name=name)))
    kept = gadgets.get(name=name)
    assert kept.metadata.deletionTimestamp is None
    assert [r.uid for r in kept.metadata.ownerReferences] == [meta(owner).uid]
    gadgets.delete(name=name)
    wait_for(lambda: gone(lambda: gadgets.get(name=name)), 30, what="gadget deleted")


def test_foreground_deletion_waits_only_for_blocking_dependents(
    core: k8s.CoreV1Api, dyn: DynamicClient, ns: str
) -> None:
    """Foreground deletion deletes every dependent, but only those with blockOwnerDeletion=true keep
    the owner (deletionTimestamp, finalizer foregroundDeletion) until they are gone."""
    free_owner = make_owner(core, ns, "free-owner")
    held_owner = make_owner(core, ns, "held-owner")
    core.create_namespaced_config_map(ns, config_map("free", [ref(free_owner, block=False)], [HOLD]))
    core.create_namespaced_config_map(ns, config_map("blocking", [ref(held_owner, block=True)], [HOLD]))
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    try:
        for owner in ("free-owner", "held-owner"):
            cms.delete(name=owner, namespace=ns, body={"propagationPolicy": "Foreground"})
        wait_for(
            lambda: gone(lambda: core.read_namespaced_config_map("free-owner", ns)),
            30,
            what="the owner of a non-blocking dependent deleted",
        )
        for dep in ("free", "blocking"):
            wait_for(
                functools.partial(config_map_deleting, core, ns, dep),
                30,
                what=f"dependent {dep} deleting",
            )
        assert meta(core.read_namespaced_config_map("free", ns)).finalizers == [HOLD]
        held = core.read_namespaced_config_map("held-owner", ns)
        assert meta(held).deletion_timestamp is not None
        assert meta(held).finalizers == ["foregroundDeletion"]
        release(core, ns, "blocking")
        wait_for(
            lambda: gone(lambda: core.read_namespaced_config_map("held-owner", ns)),
            30,
            what="the owner deleted after its blocking dependent",
        )
    finally:
        release(core, ns, "free", "blocking")
    for dep in ("free", "blocking"):
        wait_for(functools.partial(config_map_gone, core, ns, dep), 30, what=f"{dep} gone")


def test_namespace_stays_terminating_while_content_has_finalizers(
    core: k8s.CoreV1Api, kube: KubeTarget
) -> None:
    """The namespace controller deletes the content, reports what is left and only then finalizes."""
    ns = kube.namespace()
    core.create_namespaced_config_map(ns, config_map("held", finalizers=[HOLD]))
    core.create_namespaced_config_map(ns, config_map("plain"))
    core.delete_namespace(ns)
    try:
        wait_for(
            lambda: gone(lambda: core.read_namespaced_config_map("plain", ns)), 30, what="plain content gone"
        )
        wait_for(
            lambda: meta(core.read_namespaced_config_map("held", ns)).deletion_timestamp,
            30,
            what="held content deleting",
        )

        def finalizers_reported() -> Any:
            conditions = must(core.read_namespace(ns).status).conditions or []
            return next(
                (c for c in conditions if c.type == "NamespaceFinalizersRemaining" and c.status == "True"),
                None,
            )

        condition = wait_for(finalizers_reported, 30, what="NamespaceFinalizersRemaining condition")
        assert HOLD in condition.message
        assert stays(lambda: must(core.read_namespace(ns).status).phase == "Terminating")
        assert must(core.read_namespace(ns).spec).finalizers == ["kubernetes"]
    finally:
        release(core, ns, "held")
    wait_for(lambda: gone(lambda: core.read_namespace(ns)), 30, what="namespace gone")


def test_apply_merges_owner_references_by_uid_and_finalizers_as_a_set(
    core: k8s.CoreV1Api, dyn: DynamicClient, ns: str
) -> None:
    """metadata.ownerReferences is a map list keyed by uid and metadata.finalizers a set, so two
    managers each own their own items, and dropping one removes only that manager's item."""
    first, second = make_owner(core, ns, "first"), make_owner(core, ns, "second")
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")

    def apply(manager: str, refs: list[dict[str, Any]], finalizers: list[str]) -> Any:
        body = manifest("dep", refs, finalizers)
        body["metadata"]["namespace"] = ns
        return cms.server_side_apply(body=body, name="dep", namespace=ns, field_manager=manager)

    try:
        apply("one", [ref(first)], ["veladdon.test/one"])
        both = apply("two", [ref(second)], ["veladdon.test/two"])
        assert {r.uid for r in both.metadata.ownerReferences} == {meta(first).uid, meta(second).uid}
        assert sorted(both.metadata.finalizers) == ["veladdon.test/one", "veladdon.test/two"]
        # The items are atomic: changing another manager's reference conflicts on that item.
        with pytest.raises(ConflictError) as err:
            apply("two", [{**ref(first), "controller": True}], ["veladdon.test/two"])
        cause = status_of(err.value)["details"]["causes"][0]
        assert cause["field"] == f'.metadata.ownerReferences[uid="{meta(first).uid}"]'
        assert cause["message"] == 'conflict with "one"'
        left = apply("one", [], [])
        assert [r.uid for r in left.metadata.ownerReferences] == [meta(second).uid]
        assert left.metadata.finalizers == ["veladdon.test/two"]
    finally:
        release(core, ns, "dep")
