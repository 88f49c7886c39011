"""Create, get, replace, the three patch types, dry-run, and the Status answers of each."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from tests.kubeapi.fixtures import KubeTarget, as_body, meta, must, status_of

from .conftest import create_crd, raw_request

pytestmark = pytest.mark.conformance


def cm(name: str, data: dict[str, str] | None = None) -> k8s.V1ConfigMap:
    return k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name), data=data or {"k": "v"})


def test_create_returns_201_then_409_already_exists(api: k8s.ApiClient, ns: str) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}}
    first = raw_request(api, "POST", f"/api/v1/namespaces/{ns}/configmaps", body)
    assert first.status == 201
    again = raw_request(api, "POST", f"/api/v1/namespaces/{ns}/configmaps", body)
    assert again.status == 409
    assert again.body["kind"] == "Status" and again.body["reason"] == "AlreadyExists"
    assert again.body["details"] == {"name": "dup", "kind": "configmaps"}


def test_get_missing_is_404_not_found_with_details(core: k8s.CoreV1Api, ns: str) -> None:
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("missing", ns)
    status = status_of(err.value)
    assert err.value.status == 404
    assert status["reason"] == "NotFound" and status["status"] == "Failure"
    assert status["details"]["kind"] == "configmaps" and status["details"]["name"] == "missing"
    assert status["message"] == 'configmaps "missing" not found'


def test_replace_with_stale_resource_version_is_409_conflict(core: k8s.CoreV1Api, ns: str) -> None:
    created = core.create_namespaced_config_map(ns, cm("r"))
    created.data = {"k": "new"}
    replaced = core.replace_namespaced_config_map("r", ns, created)
    assert replaced.data == {"k": "new"}
    created.data = {"k": "stale"}  # still carries the first resourceVersion
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("r", ns, created)
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    assert core.read_namespaced_config_map("r", ns).data == {"k": "new"}


def test_merge_patch(core: k8s.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, cm("m", {"keep": "1", "drop": "2", "change": "3"}))
    patched = core.patch_namespaced_config_map(
        "m",
        ns,
        {"data": {"drop": None, "change": "x", "add": "y"}},
        _content_type="application/merge-patch+json",
    )
    assert patched.data == {"keep": "1", "change": "x", "add": "y"}


def test_json_patch(core: k8s.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, cm("j", {"a": "1"}))
    patched = core.patch_namespaced_config_map(
        "j",
        ns,
        [
            {"op": "test", "path": "/data/a", "value": "1"},
            {"op": "add", "path": "/data/b", "value": "2"},
            {"op": "remove", "path": "/data/a"},
        ],
    )
    assert patched.data == {"b": "2"}
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map("j", ns, [{"op": "test", "path": "/data/b", "value": "nope"}])
    assert err.value.status == 422


def test_strategic_merge_on_builtin_kinds_and_415_on_custom_resources(
    kube: KubeTarget, api: k8s.ApiClient, dyn: DynamicClient, ns: str
) -> None:
    apps = k8s.AppsV1Api(api)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "a", "image": "busybox:1", "env": [{"name": "X", "value": "1"}]},
                        {"name": "b", "image": "busybox:1"},
                    ]
                },
            },
        },
    }
    apps.create_namespaced_deployment(ns, as_body(k8s.V1Deployment, deployment))
    # Containers merge by name: only "b" changes, "a" keeps its env.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "busybox:2"}]}}}}
    patched = apps.patch_namespaced_deployment("web", ns, patch)
    containers = {c.name: c for c in must(must(patched.spec).template.spec).containers}
    assert containers["a"].image == "busybox:1" and must(containers["a"].env)[0].name == "X"
    assert containers["b"].image == "busybox:2"

    crd = create_crd(kube, "Doohickey")
    res = dyn.resources.get(api_version=crd.api_version, kind="Doohickey")
    res.create(body=crd.obj("d", ns, spec={"a": 1}), namespace=ns)
    answer = raw_request(
        api,
        "PATCH",
        f"/apis/{crd.group}/v1/namespaces/{ns}/doohickeys/d",
        {"spec": {"a": 2}},
        content_type="application/strategic-merge-patch+json",
    )
    assert answer.status == 415 and answer.body["reason"] == "UnsupportedMediaType"


def test_dry_run_changes_nothing(core: k8s.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, cm("dry"), dry_run="All")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("dry", ns)
    assert err.value.status == 404
    created = core.create_namespaced_config_map(ns, cm("dry"))
    previewed = core.patch_namespaced_config_map("dry", ns, {"data": {"k": "preview"}}, dry_run="All")
    assert previewed.data == {"k": "preview"}
    current = core.read_namespaced_config_map("dry", ns)
    assert current.data == {"k": "v"}
    assert meta(current).resource_version == meta(created).resource_version
    core.delete_namespaced_config_map("dry", ns, dry_run="All")
    assert meta(core.read_namespaced_config_map("dry", ns)).uid == meta(created).uid
