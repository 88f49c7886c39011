"""The cluster connection: kubeconfig loading, typed errors, retries, server-side apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kubeapi.fixtures import KubeTarget, as_body
from veladdon.errors import ClusterError
from veladdon.kube.cluster import Cluster, Conflict, NotInstalled

# Also against KubeVela's real controller (the `controller` target), where it is built.
pytestmark = pytest.mark.with_controller


def connect(kube: KubeTarget) -> Cluster:
    return Cluster.connect(str(kube.kubeconfig), kube.context)


def test_apply_get_list_delete(kube: KubeTarget) -> None:
    ns = kube.namespace()
    with connect(kube) as cluster:
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "one", "namespace": ns, "labels": {"app": "x"}},
            "data": {"a": "1"},
        }
        created = cluster.apply(cm)
        assert created["metadata"]["uid"]
        managers = [m["manager"] for m in created["metadata"]["managedFields"]]
        assert managers == ["veladdon"]
        assert cluster.get("v1", "ConfigMap", "one", ns) is not None
        assert [
            o["metadata"]["name"]
            for o in cluster.list("v1", "ConfigMap", namespace=ns, label_selector="app=x")
        ] == ["one"]
        assert cluster.delete("v1", "ConfigMap", "one", ns) is True
        assert cluster.delete("v1", "ConfigMap", "one", ns) is False
        assert cluster.get("v1", "ConfigMap", "one", ns) is None


def test_dry_run_changes_nothing(kube: KubeTarget) -> None:
    ns = kube.namespace()
    with connect(kube) as cluster:
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry", "namespace": ns}}
        cluster.apply(cm, dry_run=True)
        assert cluster.get("v1", "ConfigMap", "dry", ns) is None


def test_conflict_with_another_manager(kube: KubeTarget) -> None:
    ns = kube.namespace()
    core = kube.api_client()
    from kubernetes import client

    client.CoreV1Api(core).create_namespaced_config_map(
        ns,
        as_body(client.V1ConfigMap, {"metadata": {"name": "theirs"}, "data": {"a": "mine"}}),
        field_manager="kubectl",
    )
    with connect(kube) as cluster:
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "theirs", "namespace": ns},
            "data": {"a": "ours"},
        }
        with pytest.raises(Conflict):
            cluster.apply(cm)
        taken = cluster.apply(cm, force=True)
        assert taken["data"] == {"a": "ours"}


def test_kubevela_missing(kube: KubeTarget) -> None:
    kube.without_kubevela()
    with connect(kube) as cluster, pytest.raises(NotInstalled) as err:
        cluster.require_kubevela()
    assert "KubeVela is not installed in this cluster (no core.oam.dev/v1beta1 Application)" in str(err.value)


def test_5xx_is_retried_once(kube: KubeTarget) -> None:
    ns = kube.namespace()
    with connect(kube) as cluster:
        cluster.resource("v1", "ConfigMap")
        kube.inject_fault(method="PATCH", path_contains="configmaps", status=503, times=1)
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r", "namespace": ns}})
        assert cluster.stats.retries == 1


def test_unreachable_cluster(tmp_path: Path) -> None:
    from tests.kubeapi.fixtures import write_kubeconfig

    config = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9", "dead")
    with Cluster.connect(str(config), "dead") as cluster, pytest.raises(ClusterError) as err:
        cluster.server_version()
    assert "cannot reach the cluster dead (http://127.0.0.1:9)" in str(err.value)
    assert err.value.exit_code == 5


def test_bad_kubeconfig_and_unknown_context(tmp_path: Path, kube: KubeTarget) -> None:
    with pytest.raises(ClusterError) as err:
        Cluster.connect(str(tmp_path / "missing"), None)
    assert "does not exist" in str(err.value)
    bad = tmp_path / "bad"
    bad.write_text("not: [valid")
    with pytest.raises(ClusterError):
        Cluster.connect(str(bad), None)
    with pytest.raises(ClusterError) as err:
        Cluster.connect(str(kube.kubeconfig), "no-such-context")
    assert "no-such-context" in str(err.value)


@pytest.mark.parametrize("drop", [("buildDate",), ("buildDate", "goVersion", "platform", "compiler")])
def test_a_sparse_version_document_is_read_leniently(
    kube_emulator: KubeTarget, monkeypatch: pytest.MonkeyPatch, drop: tuple[str, ...]
) -> None:
    """Proxies and some distributions leave fields out of /version; the typed client model refused them."""
    from tests.kubeapi import discovery

    full = discovery.version_doc()
    monkeypatch.setattr(discovery, "version_doc", lambda: {k: v for k, v in full.items() if k not in drop})
    with connect(kube_emulator) as cluster:
        assert cluster.server_version() == "v1.30.0-veladdon-emulator"


def test_the_server_version_of_the_real_control_plane(kube: KubeTarget) -> None:
    with connect(kube) as cluster:
        version = cluster.server_version()
    assert version == ("v1.30.0-veladdon-emulator" if kube.is_emulator else "v1.36.3")


def test_no_server_response_is_read_into_a_typed_model() -> None:
    """Item 7's audit, kept: a typed `kubernetes` model refuses a response that lacks a field its OpenAPI
    marks required (as /version without buildDate did), so every response is read as plain JSON: through
    the DynamicClient, or `_preload_content=False`. A new typed call fails here until it is made plain."""
    import re

    source = Path(__file__).resolve().parents[2] / "src" / "veladdon"
    typed = re.compile(r"client\.([A-Z][A-Za-z0-9]*Api)\(")
    found = []
    for path in sorted(source.rglob("*.py")):
        text = path.read_text()
        for match in typed.finditer(text):
            call = text[match.start() : text.find("\n\n", match.start())]
            if "_preload_content=False" not in call:
                found.append(f"{path.relative_to(source)}: {match.group(1)}")
    assert found == []
