"""`list` and `status` on the emulator: phases driven by `set_status` as the KubeVela controller would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.kube.test_disable import install_addon
from tests.kubeapi.fixtures import KubeTarget
from veladdon.kube.cluster import Cluster
from veladdon.kube.records import AddonNotEnabled
from veladdon.kube.status import (
    addon_status,
    list_addons,
    mask_values,
    workflow_of,
)
from veladdon.wire import APP_API_VERSION

# Also against KubeVela's real controller (the `controller` target), where it is built.
pytestmark = pytest.mark.with_controller

NS = "vela-system"
RUNNING: dict[str, Any] = {
    "status": "running",
    "appliedResources": [
        {"kind": "Deployment", "name": "a", "cluster": ""},
        {"kind": "Deployment", "name": "a", "cluster": "prod"},
    ],
    "services": [
        {"name": "web", "namespace": "default", "healthy": True},
        {"name": "db", "namespace": "default", "cluster": "prod", "healthy": False, "message": "0/1 ready"},
    ],
    "workflow": {
        "status": "succeeded",
        "finished": True,
        "steps": [{"name": "deploy", "phase": "succeeded"}],
    },
}


@pytest.fixture
def cluster(kube: KubeTarget) -> Iterator[Cluster]:
    kube.install_kubevela()
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


def set_app_status(kube: KubeTarget, name: str, status: dict[str, Any]) -> None:
    kube.set_status("core.oam.dev", "v1beta1", "applications", NS, f"addon-{name}", status)


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        ({"status": "running"}, "enabled"),
        ({"status": "runningWorkflow", "workflow": {"suspend": True}}, "suspend"),
        ({"status": "deleting"}, "disabling"),
        ({}, "enabling"),
        ({"status": "workflowFailed"}, "enabling"),
    ],
)
def test_phases(kube: KubeTarget, cluster: Cluster, status: dict[str, Any], phase: str) -> None:
    install_addon(cluster)
    if status:
        set_app_status(kube, "example", status)
    assert addon_status(cluster, "example", NS).phase == phase
    assert list_addons(cluster, NS).addons[0].phase == phase


def test_list_shows_the_real_phase_of_local_addons(kube: KubeTarget, cluster: Cluster) -> None:
    """Upstream prints `enabled` for every locally installed addon; veladdon prints the phase."""
    install_addon(cluster, name="zeta", version="2.0.0", registry="KubeVela")
    install_addon(cluster, name="alpha", registry="local")
    set_app_status(kube, "zeta", {"status": "running"})
    # An Application without the addon label is not an addon.
    cluster.apply(
        {"apiVersion": APP_API_VERSION, "kind": "Application", "metadata": {"name": "plain", "namespace": NS}}
    )
    result = list_addons(cluster, NS)
    assert result.namespace == NS
    assert [(a.name, a.version, a.registry, a.phase) for a in result.addons] == [
        ("alpha", "1.0.0", "local", "enabling"),
        ("zeta", "2.0.0", "KubeVela", "enabled"),
    ]
    assert result.addons[0].definitions == {
        "ComponentDefinition": ["alpha-comp"],
        "TraitDefinition": ["alpha-trait"],
    }
    assert result.to_json()["addons"][1] == {
        "name": "zeta",
        "version": "2.0.0",
        "registry": "KubeVela",
        "phase": "enabled",
        "application": "addon-zeta",
        "namespace": NS,
        "definitions": {"ComponentDefinition": ["zeta-comp"], "TraitDefinition": ["zeta-trait"]},
    }


def test_list_looks_only_in_the_system_namespace(kube: KubeTarget, cluster: Cluster) -> None:
    other = kube.namespace()
    install_addon(cluster, name="elsewhere", namespace=other)
    assert list_addons(cluster, NS).addons == []
    assert [a.name for a in list_addons(cluster, other).addons] == ["elsewhere"]


def test_status_in_full(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster, args={"image": {"repo": "nginx"}, "password": "s3cret"}, notes="Thanks!\nSee URL.")
    set_app_status(kube, "example", RUNNING)
    st = addon_status(cluster, "example", NS)
    assert (st.phase, st.version, st.registry, st.application_status) == (
        "enabled",
        "1.0.0",
        "local",
        "running",
    )
    assert st.clusters == ["local", "prod"]
    assert st.parameters == {"image": {"repo": "***"}, "password": "***"}
    assert [(c.name, c.cluster, c.healthy, c.message) for c in st.components] == [
        ("db", "prod", False, "0/1 ready"),
        ("web", "local", True, ""),
    ]
    assert st.workflow is not None and st.workflow.status == "succeeded" and st.workflow.failed_step is None
    assert st.notes == "Thanks!\nSee URL."
    shown = addon_status(cluster, "example", NS, show_secrets=True)
    assert shown.parameters == {"image": {"repo": "nginx"}, "password": "s3cret"}
    assert not shown.parameters_masked
    data = st.to_json()
    assert sorted(data) == [
        "application",
        "clusters",
        "components",
        "definitions",
        "name",
        "notes",
        "parameters",
        "parametersMasked",
        "phase",
        "registry",
        "version",
        "workflow",
    ]
    assert data["application"] == {"name": "addon-example", "namespace": NS, "status": "running"}


def test_status_of_a_suspended_addon_keeps_its_parameters(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    set_app_status(kube, "example", {"status": "workflowSuspending", "workflow": {"suspend": True}})
    st = addon_status(cluster, "example", NS)
    assert st.phase == "suspend"
    assert st.parameters == {"image": "***", "password": "***"}
    assert st.workflow is not None and st.workflow.status == "suspending"


def test_failing_step_is_reported(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    workflow = {
        "status": "failed",
        "message": "step apply failed",
        "steps": [
            {"name": "ok", "type": "apply-component", "phase": "succeeded"},
            {
                "name": "group",
                "type": "step-group",
                "phase": "running",
                "subSteps": [
                    {"name": "apply", "type": "apply-component", "phase": "failed", "message": "no such kind"}
                ],
            },
        ],
    }
    set_app_status(kube, "example", {"status": "workflowFailed", "workflow": workflow})
    wf = addon_status(cluster, "example", NS).workflow
    assert wf is not None and wf.failed_step is not None
    assert (wf.status, wf.message) == ("failed", "step apply failed")
    assert (wf.failed_step.name, wf.failed_step.message) == ("group/apply", "no such kind")


def test_old_workflow_status_without_a_status_field() -> None:
    def state(workflow: dict[str, Any]) -> str:
        wf = workflow_of({"status": {"workflow": workflow}})
        assert wf is not None
        return wf.status

    assert state({"terminated": True}) == "terminated"
    assert state({"suspend": True}) == "suspending"
    assert state({"finished": True}) == "succeeded"
    assert state({}) == "executing"
    assert workflow_of({"status": {}}) is None


def test_mask_values_keeps_keys_only() -> None:
    assert mask_values({"a": 1, "b": {"c": [1, 2]}, "d": None}) == {"a": "***", "b": {"c": "***"}, "d": "***"}


def test_unknown_addon(cluster: Cluster) -> None:
    with pytest.raises(AddonNotEnabled) as err:
        addon_status(cluster, "nope", NS)
    assert str(err.value).startswith("addon 'nope' is not enabled")
    assert err.value.exit_code == 1


def test_status_costs_few_requests(cluster: Cluster) -> None:
    install_addon(cluster)
    cluster.require_kubevela()  # discovery is cached per connection
    before = cluster.stats.requests
    addon_status(cluster, "example", NS)
    # the live KubeVela check (never answered from the discovery cache), the Application, the Secret
    assert cluster.stats.requests - before == 3
