"""Name validation and namespace rules: missing, terminating, and deleting a namespace's content."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from tests.kubeapi.fixtures import KubeTarget, meta, must, status_of, wait_for

from .conftest import gone

pytestmark = pytest.mark.conformance


def cm(name: str, finalizers: list[str] | None = None) -> k8s.V1ConfigMap:
    return k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name, finalizers=finalizers))


def test_invalid_name_is_422_invalid(core: k8s.CoreV1Api, ns: str) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(ns, cm("Bad_Name"))
    status = status_of(err.value)
    assert err.value.status == 422 and status["reason"] == "Invalid"
    assert status["details"]["kind"] == "ConfigMap"
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_write_into_missing_namespace_is_404(core: k8s.CoreV1Api, kube: KubeTarget) -> None:
    missing = f"missing-{kube.run_id}"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(missing, cm("x"))
    status = status_of(err.value)
    assert err.value.status == 404 and status["reason"] == "NotFound"
    assert status["details"] == {"name": missing, "kind": "namespaces"}


def test_terminating_namespace_refuses_creates(core: k8s.CoreV1Api, kube: KubeTarget) -> None:
    ns = kube.namespace()
    core.create_namespaced_config_map(ns, cm("held", ["veladdon.test/hold"]))
    core.delete_namespace(ns)
    wait_for(
        lambda: meta(core.read_namespaced_config_map("held", ns)).deletion_timestamp,
        30,
        what="content deleting",
    )
    assert must(core.read_namespace(ns).status).phase == "Terminating"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(ns, cm("late"))
    assert err.value.status == 403 and status_of(err.value)["reason"] == "Forbidden"
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    wait_for(lambda: gone(lambda: core.read_namespace(ns)), 60, what="namespace gone")


def test_deleting_a_namespace_deletes_its_content(core: k8s.CoreV1Api, kube: KubeTarget) -> None:
    ns = kube.namespace()
    core.create_namespaced_config_map(ns, cm("content"))
    core.create_namespaced_secret(ns, k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="secret")))
    core.delete_namespace(ns)
    wait_for(lambda: gone(lambda: core.read_namespace(ns)), 60, what="namespace gone")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("content", ns)
    assert err.value.status == 404
