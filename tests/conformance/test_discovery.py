"""Discovery: /version, legacy discovery documents, CRDs appearing and disappearing at run time."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient

from tests.kubeapi.fixtures import KubeTarget, must, wait_for

from .conftest import create_crd, gone, raw_request

pytestmark = pytest.mark.conformance


def test_version(api: k8s.ApiClient) -> None:
    info = k8s.VersionApi(api).get_code()
    assert info.major == "1"
    assert info.git_version.startswith("v1.")


def test_legacy_discovery_lists_builtin_kinds(api: k8s.ApiClient) -> None:
    versions = raw_request(api, "GET", "/api").body
    assert versions["kind"] == "APIVersions" and "v1" in versions["versions"]
    core = raw_request(api, "GET", "/api/v1").body
    assert core["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in core["resources"]}
    for plural, kind, namespaced in [
        ("namespaces", "Namespace", False),
        ("configmaps", "ConfigMap", True),
        ("secrets", "Secret", True),
        ("serviceaccounts", "ServiceAccount", True),
        ("services", "Service", True),
    ]:
        assert by_name[plural]["kind"] == kind
        assert by_name[plural]["namespaced"] is namespaced
        assert {"create", "get", "list", "patch", "update", "delete", "watch"} <= set(
            by_name[plural]["verbs"]
        )
    groups = {g["name"]: g for g in raw_request(api, "GET", "/apis").body["groups"]}
    assert groups["apps"]["preferredVersion"]["groupVersion"] == "apps/v1"
    assert "apiextensions.k8s.io" in groups
    apps = {r["name"]: r for r in raw_request(api, "GET", "/apis/apps/v1").body["resources"]}
    assert apps["deployments"]["kind"] == "Deployment"


def test_crd_is_discoverable_and_established_at_once(kube: KubeTarget, dyn: DynamicClient) -> None:
    crd = create_crd(kube, "Gadget")
    got = k8s.ApiextensionsV1Api(kube.api_client()).read_custom_resource_definition(crd.name)
    status = must(got.status)
    conditions = {c.type: c.status for c in must(status.conditions)}
    assert conditions["NamesAccepted"] == "True" and conditions["Established"] == "True"
    assert must(status.accepted_names).kind == "Gadget"
    resource = dyn.resources.get(api_version=crd.api_version, kind="Gadget")
    assert resource.namespaced and resource.name == "gadgets"
    doc = raw_request(kube.api_client(), "GET", f"/apis/{crd.group}/v1").body
    names = {r["name"] for r in doc["resources"]}
    assert {"gadgets", "gadgets/status"} <= names


def test_deleting_a_crd_deletes_its_objects_and_discovery(
    kube: KubeTarget, dyn: DynamicClient, ns: str
) -> None:
    crd = create_crd(kube, "Gizmo")
    objects = dyn.resources.get(api_version=crd.api_version, kind="Gizmo")
    objects.create(body=crd.obj("one", ns), namespace=ns)
    ext = k8s.ApiextensionsV1Api(kube.api_client())
    ext.delete_custom_resource_definition(crd.name)
    wait_for(lambda: gone(lambda: ext.read_custom_resource_definition(crd.name)), 30, what="CRD gone")
    api = kube.api_client()

    def undiscoverable() -> bool:
        groups = {g["name"] for g in raw_request(api, "GET", "/apis").body["groups"]}
        return crd.group not in groups

    wait_for(undiscoverable, 30, what="group gone from /apis")
    listed = raw_request(api, "GET", f"/apis/{crd.group}/v1/namespaces/{ns}/gizmos")
    assert listed.status == 404
