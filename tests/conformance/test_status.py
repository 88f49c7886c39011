"""Status answers for what is unsupported, and the /status subresource of custom resources."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient

from tests.kubeapi.fixtures import KubeTarget

from .conftest import create_crd, raw_request

pytestmark = pytest.mark.conformance


def test_unknown_resource_is_404_status(api: k8s.ApiClient, ns: str) -> None:
    answer = raw_request(api, "GET", f"/api/v1/namespaces/{ns}/nosuchthings")
    assert answer.status == 404
    assert answer.body["kind"] == "Status" and answer.body["reason"] == "NotFound"


def test_unsupported_verb_is_405_status(api: k8s.ApiClient, ns: str) -> None:
    answer = raw_request(
        api, "POST", f"/api/v1/namespaces/{ns}/configmaps/named", {"apiVersion": "v1", "kind": "ConfigMap"}
    )
    assert answer.status == 405
    assert answer.body["kind"] == "Status" and answer.body["reason"] == "MethodNotAllowed"


def test_unsupported_content_type_is_415_status(api: k8s.ApiClient, ns: str) -> None:
    answer = raw_request(
        api,
        "PATCH",
        f"/api/v1/namespaces/{ns}/configmaps/x",
        b"data",
        content_type="text/plain",
    )
    assert answer.status == 415
    assert answer.body["reason"] == "UnsupportedMediaType"


def test_status_subresource_of_custom_resources(kube: KubeTarget, dyn: DynamicClient, ns: str) -> None:
    crd = create_crd(kube, "Machine")
    res = dyn.resources.get(api_version=crd.api_version, kind="Machine")
    created = res.create(body=crd.obj("m", ns, spec={"a": 1}, status={"phase": "ignored"}), namespace=ns)
    assert not created.to_dict().get("status")  # status is reset on create
    # A write to the main resource ignores status ...
    res.patch(
        name="m",
        namespace=ns,
        body={"status": {"phase": "nope"}},
        content_type="application/merge-patch+json",
    )
    assert not res.get(name="m", namespace=ns).to_dict().get("status")
    # ... and a write to /status changes only status, without a new generation.
    kube.set_status(
        crd.group, "v1", crd.plural, ns, "m", {"phase": "running", "services": [{"healthy": True}]}
    )
    got = res.get(name="m", namespace=ns)
    assert got.status.phase == "running"
    assert got.spec.a == 1 and got.metadata.generation == 1
    kube.set_status(crd.group, "v1", crd.plural, ns, "m", {"phase": "done"})
    assert res.get(name="m", namespace=ns).status.to_dict() == {"phase": "done"}


def test_unsupported_subresource_is_404(kube: KubeTarget, ns: str) -> None:
    crd = create_crd(kube, "Thingamajig")
    api = kube.api_client()
    raw_request(api, "POST", f"/apis/{crd.group}/v1/namespaces/{ns}/thingamajigs", crd.obj("t", ns))
    answer = raw_request(api, "GET", f"/apis/{crd.group}/v1/namespaces/{ns}/thingamajigs/t/scale")
    assert answer.status == 404 and answer.body["kind"] == "Status"
