"""enable, status and disable against KubeVela's real controller (the `controller` target: vela-core
v1.10.9 reconciling on the project's control plane, Pods made ready by kwok). Every status here was
written by KubeVela, not by the test: `--wait` sees the controller's real phases, and disable sees what the
controller's garbage collection really removes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE
from tests.kubeapi.fixtures import KubeTarget
from veladdon.cli.main import run
from veladdon.kube.cluster import Cluster
from veladdon.wire import APP_API_VERSION

pytestmark = [pytest.mark.kubevela_controller, pytest.mark.usefixtures("cue_release")]

Capture = pytest.CaptureFixture[str]
NS = "vela-system"


def veladdon(capsys: Capture, kube: KubeTarget, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run([*args, "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cluster(kube: KubeTarget) -> Any:
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


def eventually(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    pytest.fail(f"gave up after {timeout:g}s waiting for {what}")


def addon(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    folder = tmp_path / name
    for rel, text in {"metadata.yaml": f"name: {name}\nversion: 1.0.0\n", **files}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


def webservice(name: str, cpu: str = "10m") -> str:
    return (
        f'output: {{\n\ttype: "webservice"\n\tname: "{name}"\n'
        f'\tproperties: {{image: "nginx:1.27", cpu: "{cpu}"}}\n}}\n'
    )


def test_enable_waits_for_the_phase_kubevela_writes_then_disable_waits_for_its_cleanup(
    capsys: Capture, kube: KubeTarget, cluster: Cluster
) -> None:
    code, out, err = veladdon(capsys, kube, "enable", str(EXAMPLE), "--timeout", "3m")
    assert code == 0, err
    app = cluster.get(APP_API_VERSION, "Application", "addon-redis-operator", NS)
    assert app is not None
    assert app["status"]["status"] == "running"  # written by vela-core
    assert all(s.get("healthy") for s in app["status"]["services"]), app["status"]["services"]
    operator = cluster.get("apps/v1", "Deployment", "redis-operator", NS)  # dispatched by vela-core
    assert operator is not None and operator["status"].get("readyReplicas") == 1
    assert cluster.get("v1", "ConfigMap", "redis-operator-topology", NS) is not None

    code, out, err = veladdon(capsys, kube, "status", "redis-operator", "-o", "json")
    assert code == 0, err
    status = json.loads(out)
    assert status["phase"] == "enabled"

    code, out, err = veladdon(capsys, kube, "disable", "redis-operator", "-y", "--timeout", "2m")
    assert code == 0, err
    assert cluster.get(APP_API_VERSION, "Application", "addon-redis-operator", NS) is None
    # What only KubeVela's controller deletes: the workload it dispatched.
    assert cluster.get("apps/v1", "Deployment", "redis-operator", NS) is None
    assert cluster.get(APP_API_VERSION, "ComponentDefinition", "redis-failover", NS) is None


def test_a_workload_that_never_becomes_ready_times_out_naming_the_phase(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    """1000 CPUs: no node can take the Pod, so it stays Pending and the component unhealthy."""
    folder = addon(tmp_path, "too-big", {"resources/web.cue": webservice("too-big", cpu="1000")})
    code, _, err = veladdon(capsys, kube, "enable", str(folder), "--timeout", "10s")
    assert code == 4, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: timed out after 10s waiting for vela-system/addon-too-big: phase "), last
    app = cluster.get(APP_API_VERSION, "Application", "addon-too-big", NS)
    assert app is not None
    phase = app["status"]["status"]
    assert phase in ("runningWorkflow", "unhealthy"), phase
    assert f"phase {phase}" in last


def test_a_failing_workflow_fails_the_wait_with_the_step_message(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    """A Namespace the API server refuses, inside the Application: the controller's apply fails and the
    workflow step fails with the server's message."""
    folder = addon(
        tmp_path,
        "bad-object",
        {"resources/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Not_A_Name\n"},
    )
    code, _, err = veladdon(capsys, kube, "enable", str(folder), "--timeout", "2m")
    assert code == 1, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: enabling failed: the Application vela-system/addon-bad-object is "), last
    assert "Not_A_Name" in last
