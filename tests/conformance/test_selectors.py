"""Label and field selectors on namespaced and all-namespace lists."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tests.kubeapi.fixtures import KubeTarget, meta

pytestmark = pytest.mark.conformance


@pytest.fixture
def labelled(core: k8s.CoreV1Api, ns: str) -> str:
    for name, labels in [
        ("a", {"app": "web", "tier": "front"}),
        ("b", {"app": "web", "tier": "back"}),
        ("c", {"app": "db"}),
        ("d", {"other": "x"}),
    ]:
        core.create_namespaced_config_map(
            ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name, labels=labels))
        )
    return ns


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", {"a", "b"}),
        ("app==web", {"a", "b"}),
        ("app!=web", {"c", "d"}),
        ("app in (web,db)", {"a", "b", "c"}),
        ("app notin (web)", {"c", "d"}),
        ("tier", {"a", "b"}),
        ("!tier", {"c", "d"}),
        ("app=web,tier!=back", {"a"}),
        ("app,!tier", {"c"}),
    ],
)
def test_label_selector(core: k8s.CoreV1Api, labelled: str, selector: str, expected: set[str]) -> None:
    listed = core.list_namespaced_config_map(labelled, label_selector=selector)
    # kube-root-ca.crt, created in every namespace by a real cluster, has none of these labels.
    names = {meta(i).name for i in listed.items} - {"kube-root-ca.crt"}
    assert names == expected


def test_invalid_label_selector_is_a_bad_request(core: k8s.CoreV1Api, labelled: str) -> None:
    with pytest.raises(k8s.exceptions.ApiException) as err:
        core.list_namespaced_config_map(labelled, label_selector="app in web")
    assert err.value.status == 400


def test_field_selectors_and_all_namespace_lists(kube: KubeTarget, core: k8s.CoreV1Api) -> None:
    first, second = kube.namespace(), kube.namespace()
    for namespace in (first, second):
        metadata = k8s.V1ObjectMeta(name="shared", labels={"run": kube.run_id})
        core.create_namespaced_config_map(namespace, k8s.V1ConfigMap(metadata=metadata))
    everywhere = core.list_config_map_for_all_namespaces(label_selector=f"run={kube.run_id}")
    assert {(meta(i).namespace, meta(i).name) for i in everywhere.items} == {
        (first, "shared"),
        (second, "shared"),
    }
    by_namespace = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={second}")
    assert {meta(i).namespace for i in by_namespace.items} == {second}
    by_name = core.list_namespaced_config_map(first, field_selector="metadata.name=shared")
    assert [meta(i).name for i in by_name.items] == ["shared"]
    not_name = core.list_namespaced_config_map(first, field_selector="metadata.name!=shared")
    assert "shared" not in {meta(i).name for i in not_name.items}
    with pytest.raises(k8s.exceptions.ApiException) as err:
        core.list_namespaced_config_map(first, field_selector="data.k=v")
    assert err.value.status == 400
