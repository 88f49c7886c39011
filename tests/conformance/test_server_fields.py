"""Fields the server sets: uid, resourceVersion, creationTimestamp, generation, kind, list kinds."""

from __future__ import annotations

import base64

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient

from tests.kubeapi.fixtures import KubeTarget, meta, must

from .conftest import create_crd, raw_request

pytestmark = pytest.mark.conformance


def cm(name: str, **labels: str) -> k8s.V1ConfigMap:
    return k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name, labels=labels or None), data={"k": "v"})


def test_server_sets_metadata_on_create(core: k8s.CoreV1Api, ns: str) -> None:
    created = core.create_namespaced_config_map(ns, cm("fields"))
    fields = meta(created)
    assert fields.uid and fields.resource_version and fields.creation_timestamp
    assert fields.namespace == ns
    assert created.kind == "ConfigMap" and created.api_version == "v1"


def test_resource_version_changes_on_every_write(core: k8s.CoreV1Api, ns: str) -> None:
    first = core.create_namespaced_config_map(ns, cm("rv"))
    second = core.patch_namespaced_config_map("rv", ns, {"data": {"k": "w"}})
    third = core.patch_namespaced_config_map("rv", ns, {"data": {"k": "x"}})
    versions = [
        meta(first).resource_version,
        meta(second).resource_version,
        meta(third).resource_version,
    ]
    assert len(set(versions)) == 3
    assert meta(second).uid == meta(first).uid


def test_lists_have_list_kind_and_resource_version(api: k8s.ApiClient, core: k8s.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, cm("listed"))
    listed = raw_request(api, "GET", f"/api/v1/namespaces/{ns}/configmaps").body
    assert listed["kind"] == "ConfigMapList" and listed["apiVersion"] == "v1"
    assert listed["metadata"]["resourceVersion"]
    item = next(i for i in listed["items"] if i["metadata"]["name"] == "listed")
    assert item["metadata"]["namespace"] == ns


def test_generation_bumps_on_spec_changes_of_custom_resources(
    kube: KubeTarget, dyn: DynamicClient, ns: str
) -> None:
    crd = create_crd(kube, "Sprocket")
    res = dyn.resources.get(api_version=crd.api_version, kind="Sprocket")
    created = res.create(body=crd.obj("s", ns, spec={"size": 1}), namespace=ns)
    assert created.metadata.generation == 1
    relabelled = res.patch(
        name="s",
        namespace=ns,
        body={"metadata": {"labels": {"a": "b"}}},
        content_type="application/merge-patch+json",
    )
    assert relabelled.metadata.generation == 1
    resized = res.patch(
        name="s", namespace=ns, body={"spec": {"size": 2}}, content_type="application/merge-patch+json"
    )
    assert resized.metadata.generation == 2
    assert int(resized.metadata.resourceVersion) != int(relabelled.metadata.resourceVersion)


def test_secret_string_data_folds_into_data(core: k8s.CoreV1Api, ns: str) -> None:
    secret = k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="s"), string_data={"password": "hunter2"})
    created = core.create_namespaced_secret(ns, secret)
    assert created.data == {"password": base64.b64encode(b"hunter2").decode()}
    assert not created.string_data
    assert created.type == "Opaque"
    assert (
        must(core.read_namespaced_secret("s", ns).data)["password"] == base64.b64encode(b"hunter2").decode()
    )
