"""Finalizers and the Background, Foreground and Orphan propagation policies."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient

from tests.kubeapi.fixtures import meta, must, wait_for

from .conftest import gone

pytestmark = pytest.mark.conformance


def owned(core: k8s.CoreV1Api, ns: str, owner: k8s.V1ConfigMap, name: str, block: bool = False) -> None:
    ref = k8s.V1OwnerReference(
        api_version="v1",
        kind="ConfigMap",
        name=must(meta(owner).name),
        uid=must(meta(owner).uid),
        block_owner_deletion=block,
    )
    core.create_namespaced_config_map(
        ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name, owner_references=[ref]))
    )


def make_owner(core: k8s.CoreV1Api, ns: str, name: str = "owner") -> k8s.V1ConfigMap:
    return core.create_namespaced_config_map(ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name)))


def test_finalizers_hold_an_object_until_removed(core: k8s.CoreV1Api, ns: str) -> None:
    metadata = k8s.V1ObjectMeta(name="f", finalizers=["veladdon.test/hold"])
    core.create_namespaced_config_map(ns, k8s.V1ConfigMap(metadata=metadata))
    core.delete_namespaced_config_map("f", ns)
    held = core.read_namespaced_config_map("f", ns)
    assert meta(held).deletion_timestamp is not None
    assert meta(held).finalizers == ["veladdon.test/hold"]
    core.patch_namespaced_config_map("f", ns, {"metadata": {"finalizers": None}})
    wait_for(lambda: gone(lambda: core.read_namespaced_config_map("f", ns)), 10, what="object gone")


def test_background_propagation_collects_dependents(core: k8s.CoreV1Api, ns: str) -> None:
    owner = make_owner(core, ns)
    owned(core, ns, owner, "dep")
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Background")
    assert gone(lambda: core.read_namespaced_config_map("owner", ns))
    wait_for(lambda: gone(lambda: core.read_namespaced_config_map("dep", ns)), 30, what="dependent collected")


def test_foreground_propagation_deletes_dependents_first(
    core: k8s.CoreV1Api, dyn: DynamicClient, ns: str
) -> None:
    owner = make_owner(core, ns)
    owned(core, ns, owner, "dep", block=True)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    answer: Any = cms.delete(name="owner", namespace=ns, body={"propagationPolicy": "Foreground"})
    # The answer is the owner, still present and waiting for its dependents.
    assert answer.metadata.deletionTimestamp
    assert "foregroundDeletion" in answer.metadata.finalizers
    wait_for(lambda: gone(lambda: core.read_namespaced_config_map("dep", ns)), 30, what="dependent deleted")
    wait_for(lambda: gone(lambda: core.read_namespaced_config_map("owner", ns)), 30, what="owner deleted")


def test_orphan_propagation_keeps_dependents(core: k8s.CoreV1Api, ns: str) -> None:
    owner = make_owner(core, ns)
    owned(core, ns, owner, "dep")
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Orphan")
    wait_for(lambda: gone(lambda: core.read_namespaced_config_map("owner", ns)), 30, what="owner deleted")
    wait_for(
        lambda: not meta(core.read_namespaced_config_map("dep", ns)).owner_references,
        30,
        what="reference dropped",
    )
    assert meta(core.read_namespaced_config_map("dep", ns)).deletion_timestamp is None
