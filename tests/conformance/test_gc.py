"""Garbage collection end to end: what an Application owns disappears after the Application."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient

from tests.kubeapi.fixtures import KubeTarget, as_body, kubevela_crd, wait_for

from .conftest import gone

pytestmark = pytest.mark.conformance


def test_objects_owned_by_an_application_are_collected(kube: KubeTarget, dyn: DynamicClient, ns: str) -> None:
    # A real cluster may already have KubeVela's CRDs; install_kubevela() refuses one with vela-core running.
    kube.install_kubevela()
    apps = dyn.resources.get(api_version="core.oam.dev/v1beta1", kind="Application")
    traits = dyn.resources.get(api_version="core.oam.dev/v1beta1", kind="TraitDefinition")
    app = apps.create(
        namespace=ns,
        body={
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": {"name": "addon-demo"},
            "spec": {"components": []},
        },
    )
    ref = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "name": "addon-demo",
        "uid": app.metadata.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    core = k8s.CoreV1Api(kube.api_client())
    core.create_namespaced_config_map(
        ns,
        as_body(
            k8s.V1ConfigMap,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "owned", "ownerReferences": [ref]},
            },
        ),
    )
    traits.create(
        namespace=ns,
        body={
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "TraitDefinition",
            "metadata": {"name": "owned-trait", "ownerReferences": [ref]},
            "spec": {},
        },
    )
    apps.delete(name="addon-demo", namespace=ns)
    wait_for(
        lambda: gone(lambda: core.read_namespaced_config_map("owned", ns)), 30, what="ConfigMap collected"
    )
    wait_for(
        lambda: gone(lambda: traits.get(name="owned-trait", namespace=ns)),
        30,
        what="TraitDefinition collected",
    )


def test_kubevela_helper_crds_are_namespaced_with_status() -> None:
    crd = kubevela_crd("Application", "applications")
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["versions"][0]["subresources"] == {"status": {}}
