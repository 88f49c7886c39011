"""What `veladdon enable` and `upgrade` print, and on which stream (issue 13, items 2, 14 and 15): one line
per object on stdout, progress and warnings on stderr; Ctrl-C says what was and was not applied; a KubeVela
controller that is not running is said at the start, and the timeout says where the Application stands."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from tests.conftest import EXAMPLE
from tests.kube.test_enable import _catalog
from tests.kubeapi.fixtures import KubeTarget
from tests.slowcue import slow_addon, start_evaluating
from veladdon.cli.main import run
from veladdon.kube import enable as enable_mod
from veladdon.kube.cluster import Cluster

pytestmark = [pytest.mark.usefixtures("cue_release"), pytest.mark.with_controller]

Capture = pytest.CaptureFixture[str]
APP = ("core.oam.dev", "v1beta1", "applications")
NS = "vela-system"
OBJECTS = [
    "Application/addon-redis-operator",
    "ConfigMap/redis-operator-topology",
    "ComponentDefinition/redis-failover",
]
NOT_RUNNING = (
    "KubeVela's controller is not running (Deployment vela-system/kubevela-vela-core has 0 ready replicas)"
)


def veladdon(capsys: Capture, kube: KubeTarget, *args: str) -> tuple[int, str, str]:
    code = run([*args, "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    out, err = capsys.readouterr()
    return code, out, err


def object_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.split(" ", 1)[0].count("/") == 1]


# --- item 2: one line per object, on stdout -------------------------------------------------------


def test_enable_prints_each_object_once_on_stdout(
    capsys: Capture, cluster: Cluster, kube: KubeTarget
) -> None:
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--no-wait")
    assert code == 0, err
    assert out.splitlines() == [f"{o} created" for o in OBJECTS] + [
        "Addon redis-operator enabled successfully."
    ]
    assert err == ""


def test_upgrade_prints_each_object_once_on_stdout(
    capsys: Capture, cluster: Cluster, kube: KubeTarget
) -> None:
    assert veladdon(capsys, kube, "enable", str(EXAMPLE), "--no-wait")[0] == 0
    code, out, err = veladdon(capsys, kube, "upgrade", str(EXAMPLE), "image=my/op:v2", "--no-wait")
    assert code == 0, err
    assert out.splitlines() == [
        "Application/addon-redis-operator configured",
        "ConfigMap/redis-operator-topology unchanged",
        "ComponentDefinition/redis-failover unchanged",
        "Secret/addon-secret-redis-operator created",
        "Addon redis-operator upgraded successfully.",
    ]
    assert err == ""


def test_dependencies_progress_on_stderr_objects_once_on_stdout(
    capsys: Capture, cluster: Cluster, kube: KubeTarget, tmp_path: Path
) -> None:
    catalog = _catalog(tmp_path)
    code, out, err = veladdon(capsys, kube, "enable", str(catalog / "app"), "--no-wait")
    assert code == 0, err
    assert out.splitlines() == [
        "Application/addon-dep-a created",
        "Addon dep-a enabled successfully.",
        "Application/addon-dep-b created",
        "Addon dep-b enabled successfully.",
        "Application/addon-app created",
        "ConfigMap/redis-operator-topology created",
        "ComponentDefinition/redis-failover created",
        "Addon app enabled successfully.",
    ]
    assert err.splitlines() == [
        f"enabling dependency dep-a from {catalog / 'dep-a'}",
        f"enabling dependency dep-b from {catalog / 'dep-b'}",
    ]


def test_server_dry_run_says_so_on_each_line(capsys: Capture, cluster: Cluster, kube: KubeTarget) -> None:
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--dry-run=server")
    assert code == 0, err
    assert out.splitlines() == [f"{o} created (server dry run)" for o in OBJECTS] + [
        "Addon redis-operator: server dry run, nothing was changed."
    ]
    assert object_lines(err) == []


# --- item 15: KubeVela's controller not running ---------------------------------------------------


def _vela_core_ready(kube: KubeTarget, ready: int) -> None:
    kube.without_controller("its vela-core Deployment is kept ready by the deployment controller")
    kube.patch_status(
        "apps",
        "v1",
        "deployments",
        NS,
        "kubevela-vela-core",
        [
            {"op": "replace", "path": "/status/readyReplicas", "value": ready},
            {"op": "replace", "path": "/status/availableReplicas", "value": ready},  # <= ready, always
        ],
    )


def test_controller_not_running_is_said_at_the_start_and_in_the_timeout(
    capsys: Capture, cluster: Cluster, kube: KubeTarget
) -> None:
    _vela_core_ready(kube, 0)
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--timeout", "1s")
    assert code == 4
    assert out.splitlines() == [f"{o} created" for o in OBJECTS]
    lines = err.splitlines()
    assert lines[0] == (
        f"Warning: {NOT_RUNNING}: the addon cannot become ready, so waiting for it ends at the --timeout; "
        "--no-wait does not wait"
    )
    assert [line for line in lines if line.startswith("Warning:")] == [lines[0]]
    assert lines[-1] == (
        "Error: timed out after 1s waiting for vela-system/addon-redis-operator: the Application has no "
        f"status yet (no KubeVela controller has reconciled it); {NOT_RUNNING}; every object is applied: "
        "the addon starts once KubeVela's controller runs"
    )
    assert object_lines(err) == []


def test_no_vela_core_deployment_is_said_at_the_start(
    capsys: Capture, cluster: Cluster, kube: KubeTarget
) -> None:
    kube.without_controller("the controller runs whatever the Deployment object says")
    k8s.AppsV1Api(kube.api_client()).delete_namespaced_deployment("kubevela-vela-core", NS)
    code, _, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "-s", "--timeout", "1s")
    assert code == 4
    warning = (
        "Warning: KubeVela's controller is not running (no vela-core Deployment in the cluster): the addon "
        "cannot become ready, so waiting for it ends at the --timeout; --no-wait does not wait"
    )
    assert err.splitlines()[0] == warning


def test_no_warning_without_waiting(capsys: Capture, cluster: Cluster, kube: KubeTarget) -> None:
    _vela_core_ready(kube, 0)
    code, _, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--no-wait")
    assert (code, err) == (0, "")


def test_running_controller_no_warning_and_the_timeout_names_phase_and_last_step(
    capsys: Capture, cluster: Cluster, kube: KubeTarget
) -> None:
    assert veladdon(capsys, kube, "enable", str(EXAMPLE), "--no-wait")[0] == 0
    kube.set_status(
        *APP,
        NS,
        "addon-redis-operator",
        {
            "status": "runningWorkflow",
            "workflow": {
                "steps": [
                    {"name": "deploy-topology", "phase": "succeeded"},
                    {"name": "deploy-redis-operator", "phase": "running", "message": "Waiting for ready"},
                ]
            },
        },
    )
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--timeout", "1s")
    assert code == 4
    assert out.splitlines() == [f"{o} unchanged" for o in OBJECTS]
    assert err.splitlines() == [
        "waiting for addon-redis-operator: phase runningWorkflow",
        "Error: timed out after 1s waiting for vela-system/addon-redis-operator: phase runningWorkflow; "
        "last workflow step deploy-redis-operator (running): Waiting for ready; run `vela status "
        "addon-redis-operator -n vela-system`, or wait longer with --timeout",
    ]


# --- item 14: Ctrl-C says what was and was not applied ---------------------------------------------


def test_ctrl_c_mid_apply_lists_applied_and_not_applied(
    capsys: Capture, cluster: Cluster, kube: KubeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Cluster.apply

    def interrupted(self: Cluster, obj: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if obj["kind"] == "ComponentDefinition":
            raise KeyboardInterrupt
        return original(self, obj, **kwargs)

    monkeypatch.setattr(Cluster, "apply", interrupted)
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--no-wait")
    assert code == 130
    assert out.splitlines() == [f"{o} created" for o in OBJECTS[:2]]
    assert err == (
        "Error: interrupted; applied: Application/addon-redis-operator, ConfigMap/redis-operator-topology; "
        "not applied: ComponentDefinition/redis-failover; run the same command again: it repairs the rest\n"
    )


def test_ctrl_c_while_waiting_says_everything_was_applied(
    capsys: Capture, cluster: Cluster, kube: KubeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(enable_mod, "wait_running", interrupted)
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE))
    assert code == 130
    assert out.splitlines() == [f"{o} created" for o in OBJECTS]
    assert err == (
        "Error: interrupted while waiting for vela-system/addon-redis-operator to run; every object was "
        "applied (3), and KubeVela carries on installing the addon: `veladdon status redis-operator` shows "
        "how far it got\n"
    )


def test_ctrl_c_after_the_dependencies_names_them(
    capsys: Capture, cluster: Cluster, kube: KubeTarget, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = enable_mod.check_definition_conflicts
    calls: list[str] = []

    def check(objects: Any, rendered: Any, app_name: str) -> None:
        calls.append(app_name)
        if app_name == "addon-app":  # after both dependencies, before anything of the addon itself
            raise KeyboardInterrupt
        original(objects, rendered, app_name)

    monkeypatch.setattr(enable_mod, "check_definition_conflicts", check)
    code, out, err = veladdon(capsys, kube, "enable", str(_catalog(tmp_path) / "app"), "--no-wait")
    assert code == 130
    assert calls == ["addon-dep-a", "addon-dep-b", "addon-app"]
    assert out.splitlines() == [
        "Application/addon-dep-a created",
        "Addon dep-a enabled successfully.",
        "Application/addon-dep-b created",
        "Addon dep-b enabled successfully.",
    ]
    assert err.splitlines()[-1] == (
        "Error: interrupted; dependencies enabled: dep-a, dep-b; nothing else was applied"
    )
    assert cluster.get("core.oam.dev/v1beta1", "Application", "addon-app", NS) is None


def test_ctrl_c_during_the_render_of_an_enable_says_nothing_was_applied(
    cluster: Cluster, kube: KubeTarget, tmp_path: Path
) -> None:
    addon = slow_addon(tmp_path / "slow")
    args = ["enable", str(addon), "--kubeconfig", str(kube.kubeconfig), "--context", kube.context]
    proc = start_evaluating(args, tmp_path, dict(os.environ))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert (out, err) == ("", "Error: interrupted; nothing was applied\n")
    assert cluster.get("core.oam.dev/v1beta1", "Application", "addon-slow", NS) is None
