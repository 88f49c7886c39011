"""Server-side apply: field managers, ownership, removal of unapplied fields, conflicts, force."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError

from tests.kubeapi.fixtures import KubeTarget

from .conftest import create_crd, raw_request

pytestmark = pytest.mark.conformance


def config(name: str, ns: str, data: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def managers(obj: Any) -> dict[tuple[str, str], dict[str, Any]]:
    entries = obj.to_dict()["metadata"]["managedFields"]
    return {(m["manager"], m["operation"]): m["fieldsV1"] for m in entries}


def test_apply_without_field_manager_is_422(api: k8s.ApiClient, ns: str) -> None:
    answer = raw_request(
        api,
        "PATCH",
        f"/api/v1/namespaces/{ns}/configmaps/x",
        config("x", ns, {"a": "1"}),
        content_type="application/apply-patch+yaml",
    )
    assert answer.status == 422 and answer.body["reason"] == "Invalid"


def test_apply_creates_and_shows_managed_fields(dyn: DynamicClient, ns: str) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    applied = cms.server_side_apply(
        body=config("ssa", ns, {"a": "1"}, {"l": "v"}), name="ssa", namespace=ns, field_manager="veladdon"
    )
    assert applied.data.to_dict() == {"a": "1"}
    fields = managers(applied)[("veladdon", "Apply")]
    assert "f:a" in fields["f:data"]
    assert "f:l" in fields["f:metadata"]["f:labels"]


def test_apply_removes_fields_the_manager_stops_applying(dyn: DynamicClient, ns: str) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.server_side_apply(
        body=config("rm", ns, {"a": "1", "b": "2"}), name="rm", namespace=ns, field_manager="one"
    )
    cms.server_side_apply(body=config("rm", ns, {"c": "3"}), name="rm", namespace=ns, field_manager="two")
    # "one" stops applying b; "c" belongs to "two" and stays.
    result = cms.server_side_apply(
        body=config("rm", ns, {"a": "1"}), name="rm", namespace=ns, field_manager="one"
    )
    assert result.data.to_dict() == {"a": "1", "c": "3"}


def test_apply_conflicts_with_another_manager_unless_forced(dyn: DynamicClient, ns: str) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.server_side_apply(body=config("c", ns, {"a": "1"}), name="c", namespace=ns, field_manager="one")
    # Same value: shared ownership, no conflict.
    cms.server_side_apply(body=config("c", ns, {"a": "1"}), name="c", namespace=ns, field_manager="two")
    with pytest.raises(ConflictError) as err:
        cms.server_side_apply(body=config("c", ns, {"a": "2"}), name="c", namespace=ns, field_manager="two")
    assert "conflict" in str(err.value.body).lower()
    forced = cms.server_side_apply(
        body=config("c", ns, {"a": "2"}), name="c", namespace=ns, field_manager="two", force_conflicts=True
    )
    assert forced.data.to_dict() == {"a": "2"}
    owners = managers(forced)
    assert ("one", "Apply") not in owners or "f:a" not in owners[("one", "Apply")].get("f:data", {})


def test_apply_conflicts_with_an_update_manager(core: k8s.CoreV1Api, dyn: DynamicClient, ns: str) -> None:
    core.create_namespaced_config_map(
        ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="u"), data={"a": "1"}), field_manager="editor"
    )
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    with pytest.raises(ConflictError):
        cms.server_side_apply(
            body=config("u", ns, {"a": "2"}), name="u", namespace=ns, field_manager="veladdon"
        )


def test_noop_apply_keeps_resource_version(dyn: DynamicClient, ns: str) -> None:
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    first = cms.server_side_apply(body=config("n", ns, {"a": "1"}), name="n", namespace=ns, field_manager="m")
    again = cms.server_side_apply(body=config("n", ns, {"a": "1"}), name="n", namespace=ns, field_manager="m")
    assert again.metadata.resourceVersion == first.metadata.resourceVersion


def test_apply_to_custom_resources_and_dry_run(kube: KubeTarget, dyn: DynamicClient, ns: str) -> None:
    crd = create_crd(kube, "Contraption")
    res = dyn.resources.get(api_version=crd.api_version, kind="Contraption")
    body = crd.obj("c", ns, spec={"parts": ["a", "b"], "size": 1})
    dry = res.server_side_apply(body=body, name="c", namespace=ns, field_manager="veladdon", dry_run="All")
    assert dry.spec.size == 1
    assert (
        raw_request(kube.api_client(), "GET", f"/apis/{crd.group}/v1/namespaces/{ns}/contraptions/c").status
        == 404
    )
    created = res.server_side_apply(body=body, name="c", namespace=ns, field_manager="veladdon")
    assert created.spec.parts == ["a", "b"] and created.metadata.generation == 1
    body["spec"] = {"parts": ["c"]}
    updated = res.server_side_apply(body=body, name="c", namespace=ns, field_manager="veladdon")
    assert updated.spec.parts == ["c"]
    assert "size" not in updated.spec.to_dict()
    assert updated.metadata.generation == 2
