"""Shared helpers for the conformance suite: typed and dynamic clients, raw requests, test CRDs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError

from tests.kubeapi.fixtures import KubeTarget, as_body, must, wait_for


@dataclass
class Raw:
    status: int
    body: Any
    content_type: str


def raw_request(
    api: k8s.ApiClient,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
    accept: str = "application/json",
    query: list[tuple[str, str]] | None = None,
) -> Raw:
    """A request through the official client's transport (so its auth applies) without a typed model."""
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = content_type
    _, url, headers, _, _ = api.param_serialize(
        method, path, query_params=query or [], header_params=headers, auth_settings=["BearerToken"]
    )
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    response = api.rest_client.pool_manager.request(method, url, headers=headers, body=data, timeout=10)
    text = response.data
    ctype = response.headers.get("Content-Type", "")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text.decode("utf-8", "replace")
    return Raw(response.status, parsed, ctype)


@pytest.fixture
def api(kube: KubeTarget) -> k8s.ApiClient:
    return kube.api_client()


@pytest.fixture
def core(api: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(api)


@pytest.fixture
def dyn(kube: KubeTarget) -> DynamicClient:
    return kube.dynamic()


@pytest.fixture
def ns(kube: KubeTarget) -> str:
    return kube.namespace()


@dataclass
class CRDInfo:
    group: str
    version: str
    kind: str
    plural: str
    name: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    def obj(self, name: str, namespace: str | None = None, **fields: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": meta, **fields}


def create_crd(
    kube: KubeTarget, kind: str = "Widget", scope: str = "Namespaced", status: bool = True
) -> CRDInfo:
    """A CRD in a group unique to this test, so runs on a real cluster never collide."""
    group = f"t{kube.run_id}.conformance.veladdon.io"
    plural = kind.lower() + "s"
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    if status:
        version["subresources"] = {"status": {}}
    crd: dict[str, Any] = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "versions": [version],
        },
    }
    ext = k8s.ApiextensionsV1Api(kube.api_client())
    ext.create_custom_resource_definition(as_body(k8s.V1CustomResourceDefinition, crd))
    kube.track(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        None,
        crd["metadata"]["name"],
    )

    def established() -> bool:
        got = ext.read_custom_resource_definition(crd["metadata"]["name"])
        return any(
            c.type == "Established" and c.status == "True" for c in (must(got.status).conditions or [])
        )

    wait_for(established, 30, what="CRD Established")
    return CRDInfo(group, "v1", kind, plural, crd["metadata"]["name"])


def gone(getter: Any) -> bool:
    """True once `getter()` answers 404."""
    try:
        getter()
    except NotFoundError:
        return True
    except k8s.exceptions.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False
