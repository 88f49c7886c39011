"""enable / upgrade / diff end to end against the API emulator (or a disposable real cluster)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE
from tests.kubeapi.fixtures import KubeTarget, wait_for
from veladdon.cli.main import run
from veladdon.cue.evaluator import Evaluator
from veladdon.kube.cluster import Cluster
from veladdon.kube.diff import diff_addon
from veladdon.kube.enable import (
    DefinitionConflict,
    DependencyMissing,
    EnableOptions,
    PartialApply,
    RequirementError,
    WaitFailed,
    WaitTimeout,
    enable,
    wait_running,
)
from veladdon.kube.records import AddonNotEnabled

# Also against KubeVela's real controller (the `controller` target), where it is built.
pytestmark = pytest.mark.with_controller

Capture = pytest.CaptureFixture[str]
APP = ("core.oam.dev", "v1beta1", "applications")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def get(cluster: Cluster, api_version: str, kind: str, name: str, ns: str = "vela-system") -> dict[str, Any]:
    obj = cluster.get(api_version, kind, name, ns)
    assert obj is not None, f"{kind}/{name} missing"
    return obj


def real_writes(kube: KubeTarget) -> list[str]:
    return [
        f"{r.method} {r.path}" for r in kube.requests if r.method in WRITES and r.query.get("dryRun") != "All"
    ]


def test_enable_example(cluster: Cluster, evaluator: Evaluator) -> None:
    report = enable(cluster, EXAMPLE, EnableOptions(args={"image": "my/op:v2"}), evaluator=evaluator)
    assert [str(o) for o in report.outcomes] == [
        "Application/addon-redis-operator created",
        "ConfigMap/redis-operator-topology created",
        "ComponentDefinition/redis-failover created",
        "Secret/addon-secret-redis-operator created",
    ]
    app = get(cluster, "core.oam.dev/v1beta1", "Application", "addon-redis-operator")
    meta = app["metadata"]
    assert meta["labels"] == {
        "addons.oam.dev/name": "redis-operator",
        "addons.oam.dev/version": "0.0.1",
        "addons.oam.dev/registry": "local",
    }
    assert meta["annotations"]["addon.oam.dev/componentDefinitions"] == "redis-failover"
    assert meta["annotations"]["app.oam.dev/publishVersion"].startswith("addon-")
    assert app["spec"]["components"][0]["properties"]["image"] == "my/op:v2"
    owner = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "name": "addon-redis-operator",
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    for api_version, kind, name in [
        ("core.oam.dev/v1beta1", "ComponentDefinition", "redis-failover"),
        ("v1", "ConfigMap", "redis-operator-topology"),
        ("v1", "Secret", "addon-secret-redis-operator"),
    ]:
        obj = get(cluster, api_version, kind, name)
        assert obj["metadata"]["ownerReferences"] == [owner], kind
    secret = get(cluster, "v1", "Secret", "addon-secret-redis-operator")
    stored = json.loads(base64.b64decode(secret["data"]["addonParameterDataKey"]))
    assert stored == {"image": "my/op:v2"}
    definition = get(cluster, "core.oam.dev/v1beta1", "ComponentDefinition", "redis-failover")
    assert "RedisFailover" in definition["spec"]["schematic"]["cue"]["template"]


def test_enable_again_changes_nothing(cluster: Cluster, evaluator: Evaluator, kube: KubeTarget) -> None:
    enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    app = get(cluster, "core.oam.dev/v1beta1", "Application", "addon-redis-operator")
    again = enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    assert {o.action for o in again.outcomes} == {"unchanged"}
    after = get(cluster, "core.oam.dev/v1beta1", "Application", "addon-redis-operator")
    assert after["metadata"]["generation"] == app["metadata"]["generation"]
    if not kube.controller:  # KubeVela's controller writes the status meanwhile: a new resourceVersion
        assert after["metadata"]["resourceVersion"] == app["metadata"]["resourceVersion"]


def test_upgrade_merges_stored_parameters(cluster: Cluster, evaluator: Evaluator) -> None:
    enable(
        cluster, EXAMPLE, EnableOptions(args={"image": "my/op:v1", "namespace": "redis"}), evaluator=evaluator
    )
    first = get(cluster, "core.oam.dev/v1beta1", "Application", "addon-redis-operator")
    report = enable(
        cluster, EXAMPLE, EnableOptions(args={"image": "my/op:v2"}, upgrade=True), evaluator=evaluator
    )
    assert report.args == {"image": "my/op:v2", "namespace": "redis"}
    actions = {str(o.ref): o.action for o in report.outcomes}
    assert actions["Application/addon-redis-operator"] == "configured"
    assert actions["Secret/addon-secret-redis-operator"] == "configured"
    assert actions["ComponentDefinition/redis-failover"] == "unchanged"
    app = get(cluster, "core.oam.dev/v1beta1", "Application", "addon-redis-operator")
    assert app["spec"]["components"][0]["properties"]["image"] == "my/op:v2"
    topology = next(p for p in app["spec"]["policies"] if p["type"] == "topology")
    assert topology["properties"]["namespace"] == "redis"
    old = first["metadata"]["annotations"]["app.oam.dev/publishVersion"]
    assert app["metadata"]["annotations"]["app.oam.dev/publishVersion"] >= old
    reset = enable(cluster, EXAMPLE, EnableOptions(upgrade=True, reset_values=True), evaluator=evaluator)
    assert reset.args == {}
    assert cluster.get("v1", "Secret", "addon-secret-redis-operator", "vela-system") is None


def test_upgrade_of_an_addon_not_enabled(cluster: Cluster, evaluator: Evaluator) -> None:
    with pytest.raises(AddonNotEnabled) as info:
        enable(cluster, EXAMPLE, EnableOptions(upgrade=True), evaluator=evaluator)
    assert info.value.exit_code == 1
    assert info.value.one_line() == (
        "addon 'redis-operator' is not enabled: no Application addon-redis-operator in namespace "
        f"vela-system; enable it first: `veladdon enable {EXAMPLE}`"
    )


def test_diff_before_and_after(cluster: Cluster, evaluator: Evaluator) -> None:
    before = diff_addon(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    assert {d.action for d in before} == {"create"}
    assert "+kind: Application" in before[0].diff
    enable(cluster, EXAMPLE, EnableOptions(args={"image": "a"}), evaluator=evaluator)
    same = diff_addon(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    assert {d.action for d in same} == {"unchanged"}
    changed = diff_addon(cluster, EXAMPLE, EnableOptions(args={"image": "b"}), evaluator=evaluator)
    by_ref = {str(d.ref): d for d in changed}
    assert by_ref["Application/addon-redis-operator"].action == "change"
    assert "-      image: a" in by_ref["Application/addon-redis-operator"].diff
    assert "+      image: b" in by_ref["Application/addon-redis-operator"].diff
    secret = by_ref["Secret/addon-secret-redis-operator"]
    assert secret.action == "change"
    assert "*** (before)" in secret.diff and "*** (after)" in secret.diff
    assert "managedFields" not in by_ref["Application/addon-redis-operator"].diff


def test_dry_runs_write_nothing(cluster: Cluster, evaluator: Evaluator, kube: KubeTarget) -> None:
    start = len(kube.requests)
    client = enable(cluster, EXAMPLE, EnableOptions(dry_run="client"), evaluator=evaluator)
    assert client.rendered is not None and client.outcomes == []
    server = enable(
        cluster, EXAMPLE, EnableOptions(dry_run="server", args={"image": "x"}), evaluator=evaluator
    )
    assert {o.action for o in server.outcomes} == {"created"}
    diff_addon(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    assert [w for w in real_writes(kube)[start:]] == []
    assert cluster.get("core.oam.dev/v1beta1", "Application", "addon-redis-operator", "vela-system") is None


def test_version_requirement_refused_then_skipped(
    kube: KubeTarget, tmp_path: Path, evaluator: Evaluator
) -> None:
    kube.install_kubevela("v1.4.2")
    with Cluster.connect(str(kube.kubeconfig), kube.context) as cluster:
        with pytest.raises(RequirementError) as err:
            enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
        assert "requires KubeVela >=v1.5.0, but the cluster runs v1.4.2" in str(err.value)
        report = enable(cluster, EXAMPLE, EnableOptions(skip_version_check=True), evaluator=evaluator)
        assert report.outcomes[0].action == "created"


def _catalog(tmp_path: Path) -> Path:
    """A local catalog: app needs dep-a and dep-b, both sibling folders."""
    catalog = tmp_path / "catalog"
    for name in ("dep-a", "dep-b"):
        folder = catalog / name
        folder.mkdir(parents=True)
        (folder / "metadata.yaml").write_text(f"name: {name}\nversion: 1.0.0\n")
        (folder / "template.cue").write_text(
            'output: {apiVersion: "core.oam.dev/v1beta1", kind: "Application", spec: components: []}\n'
        )
    app = catalog / "app"
    shutil.copytree(EXAMPLE, app)
    meta = (app / "metadata.yaml").read_text().replace("name: redis-operator", "name: app")
    meta = meta.replace(
        "dependencies: []", "dependencies:\n  - name: dep-a\n  - name: dep-b\n    version: '>=1.0.0'"
    )
    (app / "metadata.yaml").write_text(meta)
    return catalog


def test_dependencies_enabled_from_sibling_folders(
    cluster: Cluster, evaluator: Evaluator, tmp_path: Path
) -> None:
    catalog = _catalog(tmp_path)
    report = enable(cluster, catalog / "app", EnableOptions(), evaluator=evaluator)
    assert [d.addon for d in report.dependencies] == ["dep-a", "dep-b"]
    for name in ("dep-a", "dep-b", "app"):
        assert cluster.get("core.oam.dev/v1beta1", "Application", f"addon-{name}", "vela-system") is not None


def test_missing_dependencies_are_all_listed(cluster: Cluster, evaluator: Evaluator, tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    shutil.rmtree(catalog / "dep-a")
    shutil.rmtree(catalog / "dep-b")
    with pytest.raises(DependencyMissing) as err:
        enable(cluster, catalog / "app", EnableOptions(), evaluator=evaluator)
    assert "dep-a" in str(err.value) and "dep-b >=1.0.0" in str(err.value)
    assert cluster.get("core.oam.dev/v1beta1", "Application", "addon-app", "vela-system") is None


def test_definition_conflict(cluster: Cluster, evaluator: Evaluator) -> None:
    cluster.apply(
        {
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "ComponentDefinition",
            "metadata": {"name": "redis-failover", "namespace": "vela-system"},
            "spec": {"workload": {"type": "autodetects.core.oam.dev"}},
        }
    )
    with pytest.raises(DefinitionConflict) as err:
        enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    assert "definition: redis-failover already exist and not belong to any addon" in str(err.value)
    report = enable(cluster, EXAMPLE, EnableOptions(override_definitions=True), evaluator=evaluator)
    assert "ComponentDefinition/redis-failover configured" in [str(o) for o in report.outcomes]


def test_removed_output_is_pruned(cluster: Cluster, evaluator: Evaluator, tmp_path: Path) -> None:
    addon = tmp_path / "redis-operator"
    shutil.copytree(EXAMPLE, addon)
    enable(cluster, addon, EnableOptions(), evaluator=evaluator)
    (addon / "template.cue").write_text(
        (addon / "template.cue").read_text().replace("outputs: topology: redisTopology", "")
    )
    report = enable(cluster, addon, EnableOptions(), evaluator=evaluator)
    assert "ConfigMap/redis-operator-topology deleted" in [str(o) for o in report.outcomes]
    assert cluster.get("v1", "ConfigMap", "redis-operator-topology", "vela-system") is None


def test_fault_midway_then_repair(cluster: Cluster, evaluator: Evaluator, kube: KubeTarget) -> None:
    kube.inject_fault(
        method="PATCH", path_contains="componentdefinitions", status=422, times=1, reason="Invalid"
    )
    with pytest.raises(PartialApply) as err:
        enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    text = str(err.value)
    assert "applied: Application/addon-redis-operator, ConfigMap/redis-operator-topology" in text
    assert "not applied: ComponentDefinition/redis-failover" in text
    report = enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    actions = {str(o.ref): o.action for o in report.outcomes}
    assert actions["ComponentDefinition/redis-failover"] == "created"
    assert actions["ConfigMap/redis-operator-topology"] == "unchanged"


def test_5xx_once_is_retried(cluster: Cluster, evaluator: Evaluator, kube: KubeTarget) -> None:
    kube.inject_fault(method="PATCH", path_contains="configmaps", status=503, times=1)
    report = enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    assert all(o.action == "created" for o in report.outcomes)
    assert cluster.stats.retries >= 1


def _set_phase(kube: KubeTarget, status: dict[str, Any]) -> None:
    kube.set_status(*APP, "vela-system", "addon-redis-operator", status)


def test_wait_outcomes(cluster: Cluster, evaluator: Evaluator, kube: KubeTarget) -> None:
    enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    _set_phase(kube, {"status": "running", "observedGeneration": 1})
    assert wait_running(cluster, "addon-redis-operator", "vela-system", timeout=2).phase == "running"
    _set_phase(
        kube,
        {
            "status": "workflowFailed",
            "workflow": {
                "steps": [{"name": "deploy-redis-operator", "phase": "failed", "message": "quota exceeded"}]
            },
        },
    )
    with pytest.raises(WaitFailed) as failed:
        wait_running(cluster, "addon-redis-operator", "vela-system", timeout=2)
    assert "workflow step deploy-redis-operator: quota exceeded" in str(failed.value)
    _set_phase(kube, {"status": "runningWorkflow"})
    with pytest.raises(WaitTimeout) as timeout:
        wait_running(cluster, "addon-redis-operator", "vela-system", timeout=0.3, interval=0.1)
    assert "phase runningWorkflow" in str(timeout.value)
    assert timeout.value.exit_code == 4


# --- the CLI, as a user runs it -------------------------------------------------------------


def veladdon(capsys: Capture, kube: KubeTarget, *args: str) -> tuple[int, str, str]:
    code = run([*args, "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("cue_release")
def test_cli_enable_then_diff(capsys: Capture, cluster: Cluster, kube: KubeTarget) -> None:
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--no-wait")
    assert code == 0, err
    lines = out.splitlines()
    assert "ComponentDefinition/redis-failover created" in lines
    assert lines[-1] == "Addon redis-operator enabled successfully."
    code, out, _ = veladdon(capsys, kube, "diff", str(EXAMPLE))
    assert (code, out) == (0, "")
    code, out, _ = veladdon(capsys, kube, "diff", str(EXAMPLE), "image=other")
    assert code == 3
    assert "+      image: other" in out


@pytest.mark.usefixtures("cue_release")
def test_cli_enable_waits_for_running(capsys: Capture, cluster: Cluster, kube: KubeTarget) -> None:
    kube.without_controller("the Application becomes running on its own (tests/kube/test_controller.py)")
    code, _, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--timeout", "1s")
    assert code == 4
    assert "timed out after 1s waiting for vela-system/addon-redis-operator" in err
    _set_phase(kube, {"status": "running", "observedGeneration": 1})
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--timeout", "5s")
    assert code == 0, err
    assert out.splitlines()[-1] == "Addon redis-operator enabled successfully."


@pytest.mark.usefixtures("cue_release")
def test_cli_dry_run_client_prints_the_stream(capsys: Capture, cluster: Cluster, kube: KubeTarget) -> None:
    code, out, _ = veladdon(capsys, kube, "enable", str(EXAMPLE), "--dry-run")
    assert code == 0
    assert out.startswith("apiVersion: core.oam.dev/v1beta1\n")
    assert out.count("---\n") == 2


def test_cli_kubevela_missing(
    capsys: Capture, kube: KubeTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube.without_kubevela()
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / "cache"))
    code, _, err = veladdon(capsys, kube, "enable", str(EXAMPLE))
    assert code == 1
    assert "KubeVela is not installed in this cluster (no core.oam.dev/v1beta1 Application)" in err


def test_cli_unreachable(capsys: Capture, tmp_path: Path) -> None:
    from tests.kubeapi.fixtures import write_kubeconfig

    config = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9", "gone")
    code = run(["enable", str(EXAMPLE), "--kubeconfig", str(config), "--context", "gone"])
    _, err = capsys.readouterr()
    assert code == 5
    assert err.startswith("Error: cannot reach the cluster gone (http://127.0.0.1:9)")
    assert len(err.strip().splitlines()) == 1


def test_cli_unauthorised(capsys: Capture, cluster: Cluster, kube: KubeTarget) -> None:
    kube.inject_fault(path_contains="/apis", status=401, times=5, reason="Unauthorized")
    code = run(["enable", str(EXAMPLE), "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    _, err = capsys.readouterr()
    assert code == 5
    assert "unauthorised by the cluster" in err


def test_garbage_collection_after_app_deleted(cluster: Cluster, evaluator: Evaluator) -> None:
    enable(cluster, EXAMPLE, EnableOptions(args={"image": "x"}), evaluator=evaluator)
    cluster.delete("core.oam.dev/v1beta1", "Application", "addon-redis-operator", "vela-system")
    wait_for(
        lambda: (
            cluster.get("core.oam.dev/v1beta1", "ComponentDefinition", "redis-failover", "vela-system")
            is None
            and cluster.get("v1", "Secret", "addon-secret-redis-operator", "vela-system") is None
        ),
        10,
        what="owned objects garbage-collected",
    )


def test_conflict_on_status_update_is_retried_with_a_fresh_read(
    cluster: Cluster, evaluator: Evaluator, kube: KubeTarget
) -> None:
    enable(cluster, EXAMPLE, EnableOptions(), evaluator=evaluator)
    _set_phase(kube, {"status": "running", "workflow": {"appRevision": "v1", "finished": True}})
    kube.inject_fault(method="PATCH", path_contains="addon-redis-operator/status", status=409, times=1)
    enable(cluster, EXAMPLE, EnableOptions(args={"image": "new"}, upgrade=True), evaluator=evaluator)
    assert cluster.stats.retries >= 1
    app = get(cluster, "core.oam.dev/v1beta1", "Application", "addon-redis-operator")
    assert "workflow" not in app.get("status", {})  # the workflow restarts for the new revision
