"""`veladdon test` against KubeVela's real controller (vela-core v1.10.9 on the project's control plane,
Pods made ready by kwok): the example passes every step and leaves nothing behind; fixture addons that
break one step each fail at that step, with a message naming the object and the cause; dependencies are
disabled afterwards only when the run enabled them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, EXAMPLE, ROOT
from tests.kube.test_controller import addon, veladdon, webservice
from tests.kubeapi.fixtures import KubeTarget
from veladdon.kube.cluster import Cluster
from veladdon.wire import APP_API_VERSION

pytestmark = [pytest.mark.kubevela_controller, pytest.mark.usefixtures("cue_release")]

Capture = pytest.CaptureFixture[str]
NS = "vela-system"
FIXTURES = DATA / "install-test"
STEPS = [
    "render",
    "server dry run",
    "enable",
    "owned",
    "examples",
    "idempotent",
    "upgrade",
    "disable and collect",
]


@pytest.fixture
def cluster(kube: KubeTarget) -> Any:
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


def inventory(kube: KubeTarget) -> dict[str, set[str]]:
    """The names of what the control plane holds: namespaces, CRDs, resource trackers and the kinds
    addons write in vela-system."""
    assert kube.plane is not None
    return {kind: set(names) for kind, names in kube.plane._snapshot().items()}


def terminating_crds(cluster: Cluster) -> set[str]:
    crds = cluster.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    return {c["metadata"]["name"] for c in crds if c["metadata"].get("deletionTimestamp")}


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
    )


def committed(repo: Path) -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "addon")


def steps(report: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    (result,) = [a for a in report["addons"] if a["addon"] == name]
    return {s["name"]: s for s in result["steps"]}


def test_the_example_passes_every_step_and_leaves_nothing_behind(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    """Upgraded from the version committed at HEAD, with an example Application; text, JSON and JUnit."""
    repo = tmp_path / "catalog"
    folder = repo / "redis-operator"
    shutil.copytree(EXAMPLE, folder)
    committed(repo)
    meta = folder / "metadata.yaml"
    meta.write_text(meta.read_text().replace("version: 0.0.1", "version: 0.0.2"))
    before, leaving = inventory(kube), terminating_crds(cluster)
    junit = tmp_path / "report.xml"
    example = ROOT / "examples" / "apps" / "redis-cache.yaml"
    code, out, err = veladdon(
        capsys, kube, "test", str(folder), "--example", str(example), "--upgrade-from", "HEAD",
        "--timeout", "3m", "--junit", str(junit),
    )  # fmt: skip
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "redis-operator"
    assert [ln.split("  ")[1] for ln in lines[1:9]] == ["PASS"] * 8, out
    assert [ln.split("  ")[2].split(" (")[0] for ln in lines[1:9]] == STEPS, out
    assert lines[-1] == "1 addon passed"
    assert "upgraded from 0.0.1 (at HEAD) to 0.0.2" in out
    after = inventory(kube)
    left = {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}
    assert left == {}, "left behind"
    # What the previous test's clean-up was still deleting when this one began may be gone now.
    removed = {
        kind: before[kind] - after[kind] - leaving for kind in before if before[kind] - after[kind] - leaving
    }
    assert removed == {}, "removed, though not the addon's"

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "redis-operator" and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.findall("testcase")] == STEPS


def test_fixture_addons_fail_at_the_step_they_break_naming_the_object_and_the_cause(
    capsys: Capture, kube: KubeTarget, cluster: Cluster
) -> None:
    """One run over three addons of tests/data/install-test, each breaking one step."""
    folders = [str(FIXTURES / name) for name in ("refused-object", "failing-workflow", "survives-disable")]
    try:
        code, out, err = veladdon(capsys, kube, "test", *folders, "--timeout", "2m", "-o", "json")
    finally:
        cluster.delete("v1", "ConfigMap", "kept-config", NS)
    assert code == 1, err
    report = json.loads(out)
    assert report["passed"] is False

    dry = steps(report, "refused-object")
    assert dry["render"]["outcome"] == "passed"
    assert dry["server dry run"]["outcome"] == "failed"
    assert dry["server dry run"]["message"].startswith("Namespace Not_A_Name: "), dry
    assert "Invalid value" in dry["server dry run"]["message"]
    assert {dry[s]["outcome"] for s in STEPS[2:7]} == {"skipped"}
    assert dry["disable and collect"]["message"] == "nothing was enabled"

    wf = steps(report, "failing-workflow")
    assert wf["server dry run"]["outcome"] == "passed"
    assert wf["enable"]["outcome"] == "failed"
    assert "addon-failing-workflow is workflow" in wf["enable"]["message"], wf["enable"]
    assert "apply-bad" in wf["enable"]["message"] and "Not_A_Name" in wf["enable"]["message"]
    assert wf["disable and collect"]["outcome"] == "passed"  # a failed enable is still cleaned up

    kept = steps(report, "survives-disable")
    assert [kept[s]["outcome"] for s in STEPS[:4]] == ["passed"] * 4, kept
    collect = kept["disable and collect"]
    assert collect["outcome"] == "failed"
    assert collect["message"].startswith("ConfigMap vela-system/kept-config survived: "), collect
    assert "garbage-collect" in collect["message"]
    assert cluster.get(APP_API_VERSION, "Application", "addon-refused-object", NS) is None


def test_a_deployment_that_never_becomes_ready_fails_enable_at_the_timeout(
    capsys: Capture, kube: KubeTarget
) -> None:
    """1000 CPUs: no node takes the Pod; the failure names the component and why the Pod waits."""
    folder = FIXTURES / "never-ready"
    code, out, err = veladdon(capsys, kube, "test", str(folder), "--timeout", "15s", "-o", "json")
    assert code == 1, err
    result = steps(json.loads(out), "never-ready")
    enable = result["enable"]
    assert enable["outcome"] == "failed"
    assert enable["message"].startswith(
        "timed out after 15s waiting for vela-system/addon-never-ready: phase "
    )
    assert any(
        "Deployment vela-system/never-ready" in d and "Insufficient cpu" in d for d in enable["details"]
    ), enable
    assert result["disable and collect"]["outcome"] == "passed"


def test_an_upgrade_that_loses_a_parameter_fails_naming_it(
    capsys: Capture, kube: KubeTarget, tmp_path: Path
) -> None:
    repo = tmp_path / "catalog"
    config = (
        'output: {\n\ttype: "k8s-objects"\n\tproperties: objects: [{\n'
        '\t\tapiVersion: "v1"\n\t\tkind: "ConfigMap"\n'
        '\t\tmetadata: {name: "sized", namespace: "vela-system"}\n'
        '\t\tdata: size: "\\(parameter.%s)"\n\t}]\n}\n'
    )
    folder = addon(
        repo,
        "renamed-param",
        {
            "parameter.cue": "parameter: {\n\treplicas: *1 | int\n}\n",
            "resources/config.cue": config % "replicas",
        },
    )
    committed(repo)
    (folder / "metadata.yaml").write_text("name: renamed-param\nversion: 1.1.0\n")
    (folder / "parameter.cue").write_text("parameter: {\n\tcount: *1 | int\n}\n")
    (folder / "resources" / "config.cue").write_text(config % "count")
    code, out, err = veladdon(
        capsys, kube, "test", str(folder), "--set", "replicas=2", "--upgrade-from", "HEAD", "--timeout", "1m",
        "-o", "json",
    )  # fmt: skip
    assert code == 1, err
    result = steps(json.loads(out), "renamed-param")
    assert [result[s]["outcome"] for s in STEPS[:4]] == ["passed"] * 4
    upgrade = result["upgrade"]
    assert upgrade["outcome"] == "failed", upgrade
    assert upgrade["message"] == (
        "parameter replicas=2, stored by 1.0.0 (at HEAD), is not a parameter of 1.1.0: the upgrade drops "
        "its value"
    )
    assert result["disable and collect"]["outcome"] == "passed"


def test_a_dependency_is_disabled_afterwards_only_when_the_run_enabled_it(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    """The dependency brings a CRD whose object the addon applies: the dry run checks that object after
    enable, once the dependency has made the CRD."""
    crd = (EXAMPLE / "resources" / "crd.yaml").read_text()
    widget = (
        "apiVersion: databases.spotahome.com/v1\nkind: RedisFailover\nmetadata:\n  name: dep-cache\n"
        "  namespace: vela-system\nspec: {}\n"
    )
    base = addon(
        tmp_path, "dep-base", {"resources/web.cue": webservice("dep-base"), "resources/crd.yaml": crd}
    )
    user = addon(
        tmp_path,
        "dep-user",
        {
            "metadata.yaml": "name: dep-user\nversion: 1.0.0\ndependencies:\n  - name: dep-base\n",
            "resources/web.cue": webservice("dep-user"),
            "resources/cache.yaml": widget,
        },
    )
    code, out, err = veladdon(capsys, kube, "test", str(user), "--timeout", "2m", "-o", "json")
    assert code == 0, out + err
    result = steps(json.loads(out), "dep-user")
    assert result["server dry run"]["message"].endswith("checked after enable: accepted"), result
    assert "deferred: RedisFailover vela-system/dep-cache" in result["server dry run"]["details"]
    assert "dependency dep-base 1.0.0 enabled" in result["enable"]["details"]
    assert "dependency dep-base disabled (this run enabled it)" in result["disable and collect"]["details"]
    assert cluster.get(APP_API_VERSION, "Application", "addon-dep-base", NS) is None

    code, _, err = veladdon(capsys, kube, "enable", str(base), "--timeout", "2m")
    assert code == 0, err
    code, out, err = veladdon(capsys, kube, "test", str(user), "--timeout", "2m", "-o", "json")
    assert code == 0, out + err
    result = steps(json.loads(out), "dep-user")
    assert not any("dep-base" in d for d in result["enable"]["details"])
    assert cluster.get(APP_API_VERSION, "Application", "addon-dep-base", NS) is not None  # left alone

    # An addon enabled before the run is not touched.
    code, out, err = veladdon(capsys, kube, "test", str(base), "--timeout", "2m")
    assert code == 1, out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: addon dep-base is already enabled in cluster controlplane ("), last
    assert last.endswith(
        "(namespace vela-system); veladdon test does not touch it; disable it first "
        "(`veladdon disable dep-base`), or pass --reuse to test it in place"
    ), last
    assert out == ""


def test_ctrl_c_disables_what_the_run_enabled_and_writes_the_steps_that_ran(
    kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    """Interrupted while enable waits for a Deployment that never becomes ready: exit 130 within
    seconds, the addon disabled (garbage collection does the rest), the JUnit report holds the steps that
    had finished."""
    junit = tmp_path / "report.xml"
    env = dict(os.environ)  # VELADDON_CUE: this test's CUE release (tests/conftest.py)
    proc = subprocess.Popen(
        [sys.executable, "-m", "veladdon", "test", str(FIXTURES / "never-ready"), "--timeout", "5m",
         "--junit", str(junit), "--kubeconfig", str(kube.kubeconfig), "--context", kube.context],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while cluster.get(APP_API_VERSION, "Application", "addon-never-ready", NS) is None:
        assert proc.poll() is None and time.monotonic() < deadline, "the test run never enabled the addon"
        time.sleep(0.2)
    time.sleep(1.0)  # waiting for the Application to run, now
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < 10
    assert err.strip().splitlines()[-1] == (
        "Error: interrupted while testing addon never-ready; disabled never-ready (garbage collection "
        "removes the rest)"
    ), err
    assert "PASS  server dry run" in out
    names = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert names == ["render", "server dry run"]
    deadline = time.monotonic() + 60
    while cluster.get(APP_API_VERSION, "Application", "addon-never-ready", NS) is not None:
        assert time.monotonic() < deadline, "the interrupted run left the addon enabled"
        time.sleep(0.5)
