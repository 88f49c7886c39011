"""`veladdon disable`, `list` and `status` as a user runs them against the emulator: output in every
format, exit codes, prompts, and one clear line for every cluster fault."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.kube.test_disable import configmap, install_addon, namespace_obj, user_app
from tests.kubeapi.fixtures import KubeTarget, write_kubeconfig
from veladdon.cli import lifecycle
from veladdon.cli.main import run
from veladdon.kube import disable as disable_mod
from veladdon.kube.cluster import Cluster
from veladdon.wire import APP_API_VERSION

# Also against KubeVela's real controller (the `controller` target), where it is built.
pytestmark = pytest.mark.with_controller

Capture = pytest.CaptureFixture[str]
NS = "vela-system"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def cluster(kube: KubeTarget) -> Iterator[Cluster]:
    kube.install_kubevela()
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


def veladdon(capsys: Capture, kube: KubeTarget, *args: str) -> tuple[int, str, str]:
    code = run([*args, "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    out, err = capsys.readouterr()
    return code, out, err


def exists(cluster: Cluster, kind: str, name: str, namespace: str | None = NS) -> bool:
    api = APP_API_VERSION if kind.endswith(("Definition", "Application")) else "v1"
    return cluster.get(api, kind, name, namespace) is not None


# --- disable -----------------------------------------------------------------------------------


def test_disable_refused_while_in_use(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    ns = kube.namespace()
    for i in range(5):
        user_app(cluster, ns, f"app-{i}", {"components": [{"name": "c", "type": "example-comp"}]})
    code, out, err = veladdon(capsys, kube, "disable", "example", "-y")
    assert code == 1
    assert out == ""
    assert err == (
        f"Error: addon example is used by Applications {ns}/app-0, {ns}/app-1, {ns}/app-2 and 2 more; "
        "delete them first, or pass --force to disable anyway\n"
    )
    assert exists(cluster, "Application", "addon-example")


def test_disable_force_removes_everything(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster, extra=[namespace_obj("example-system")])
    user_app(cluster, kube.namespace(), "user", {"components": [{"name": "c", "type": "example-comp"}]})
    code, out, err = veladdon(capsys, kube, "disable", "example", "--force", "--timeout", "10s")
    assert code == 0, err
    assert out == "Addon example disabled successfully.\n"
    assert "disabling anyway (--force)" in err
    assert "deleted Namespace example-system" in err
    for kind, name, ns in [
        ("Application", "addon-example", NS),
        ("ComponentDefinition", "example-comp", NS),
        ("ConfigMap", "component-uischema-example-comp", NS),
        ("Secret", "addon-secret-example", NS),
        ("Namespace", "example-system", None),
    ]:
        assert not exists(cluster, kind, name, ns), f"{kind}/{name} survived"


def test_uninstall_alias(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    code, out, _ = veladdon(capsys, kube, "uninstall", "example")
    assert (code, out) == (0, "Addon example disabled successfully.\n")


def test_disable_dry_run(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    other = kube.namespace()
    install_addon(cluster, extra=[configmap("elsewhere", other)], adopted=[namespace_obj("shared-ns")])
    before = len(kube.requests)
    code, out, err = veladdon(capsys, kube, "disable", "example", "--dry-run")
    assert code == 0, err
    assert [r for r in kube.requests[before:] if r.method in WRITES] == []
    lines = out.splitlines()
    assert lines[0].split() == ["ACTION", "OBJECT", "WHY"]
    assert lines[1].startswith("delete   Application vela-system/addon-example")
    assert any(line.startswith(f"delete   ConfigMap {other}/elsewhere") for line in lines)
    assert any(line.startswith("collect  ComponentDefinition vela-system/example-comp") for line in lines)
    assert any("keep     Namespace shared-ns" in line for line in lines)
    assert all(line == line.rstrip() for line in lines)
    assert "dry run (client): nothing was deleted" in err
    assert "successfully" not in out
    assert exists(cluster, "Application", "addon-example")
    # --dry-run=server: the API server sees the deletes (dryRun=All) and changes nothing.
    before = len(kube.requests)
    code, out2, err = veladdon(capsys, kube, "disable", "example", "--dry-run=server")
    assert code == 0, err
    assert out2 == out
    writes = [r for r in kube.requests[before:] if r.method in WRITES]
    assert writes and all(r.method == "DELETE" and r.query.get("dryRun") == "All" for r in writes)
    assert "would delete (server dry run) Application vela-system/addon-example" in err
    assert exists(cluster, "Application", "addon-example")


def test_disable_unknown_addon(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    code, out, err = veladdon(capsys, kube, "disable", "nope")
    assert (code, out) == (1, "")
    assert err.startswith(
        "Error: addon 'nope' is not enabled: no Application addon-nope in namespace vela-system"
    )


def test_disable_prompt_on_a_terminal(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_addon(cluster)
    monkeypatch.setattr(lifecycle, "_interactive", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, out, err = veladdon(capsys, kube, "disable", "example")
    assert code == 1
    assert "Disable addon example? (y/n)" in err
    assert "not disabled: nothing was deleted" in err
    assert exists(cluster, "Application", "addon-example")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Yes\n"))
    code, out, err = veladdon(capsys, kube, "disable", "example")
    assert (code, out) == (0, "Addon example disabled successfully.\n")


def test_disable_prompt_counts_in_the_singular(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_addon(cluster, extra=[namespace_obj("example-system")], adopted=[namespace_obj("shared-ns")])
    monkeypatch.setattr(lifecycle, "_interactive", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, _, err = veladdon(capsys, kube, "disable", "example")
    assert code == 1
    assert "owned objects removed by garbage collection, 1 object veladdon deletes itself; " in err
    assert "; 1 object is kept (`--dry-run` lists them)." in err
    assert "(s)" not in err


def test_no_prompt_with_yes_or_without_a_terminal(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_addon(cluster)
    monkeypatch.setattr(lifecycle, "_interactive", lambda: True)
    code, _, err = veladdon(capsys, kube, "disable", "example", "-y", "--no-wait")
    assert code == 0 and "(y/n)" not in err
    monkeypatch.undo()
    install_addon(cluster, name="other")
    code, _, err = veladdon(capsys, kube, "disable", "other")  # stdin is not a terminal under pytest
    assert code == 0 and "(y/n)" not in err


def test_disable_timeout_exit_4(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster, finalizers=["example.dev/hold"])  # no controller removes it
    code, out, err = veladdon(capsys, kube, "disable", "example", "--timeout", "200ms")
    assert (code, out) == (4, "")
    assert "timed out after 0.2s" in err
    assert "Application vela-system/addon-example (finalizers: example.dev/hold)" in err
    assert len([line for line in err.splitlines() if line.startswith("Error:")]) == 1


def test_disable_ctrl_c_while_waiting(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_addon(cluster, finalizers=["example.dev/hold"])

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(disable_mod, "_sleep", interrupt)
    code, out, err = veladdon(capsys, kube, "disable", "example")
    assert (code, out) == (130, "")
    assert (
        "Error: interrupted while disabling addon example: deleted Application vela-system/addon-example"
        in err
    )


@pytest.mark.parametrize("value", ["soon", "5x", "-3", "1m-2s"])
def test_bad_timeout_is_a_usage_error(capsys: Capture, kube: KubeTarget, value: str) -> None:
    code, _, err = veladdon(capsys, kube, "disable", "example", "--timeout", value)
    assert code == 2
    assert err.startswith(f"Error: invalid --timeout {value!r}")


def test_parse_duration() -> None:
    assert lifecycle.parse_duration("5m") == 300
    assert lifecycle.parse_duration("1h30m") == 5400
    assert lifecycle.parse_duration("500ms") == 0.5
    assert lifecycle.parse_duration("45") == 45


# --- list ----------------------------------------------------------------------------------------


def test_list_every_format(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster, name="fluxcd", version="2.3.0", registry="KubeVela")
    install_addon(cluster, name="alpha")
    kube.set_status("core.oam.dev", "v1beta1", "applications", NS, "addon-fluxcd", {"status": "running"})
    code, out, err = veladdon(capsys, kube, "list")
    assert code == 0, err
    assert out == (
        "NAME    VERSION  REGISTRY  PHASE     DEFINITIONS\n"
        "alpha   1.0.0    local     enabling  alpha-comp,alpha-trait\n"
        "fluxcd  2.3.0    KubeVela  enabled   fluxcd-comp,fluxcd-trait\n"
    )
    code, out, _ = veladdon(capsys, kube, "list", "-o", "json")
    data = json.loads(out)
    assert data["namespace"] == NS
    assert [(a["name"], a["phase"]) for a in data["addons"]] == [("alpha", "enabling"), ("fluxcd", "enabled")]
    assert out == json.dumps(data, indent=2, sort_keys=True) + "\n"
    code, out, _ = veladdon(capsys, kube, "ls", "-o", "yaml")
    assert yaml.safe_load(out) == data


def test_list_empty(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    code, out, err = veladdon(capsys, kube, "list")
    assert (code, out) == (0, "")
    assert "no addons are enabled in namespace vela-system" in err
    code, out, _ = veladdon(capsys, kube, "list", "-o", "json")
    assert json.loads(out) == {"addons": [], "namespace": NS}


def test_list_honours_the_system_namespace_variable(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = kube.namespace()
    install_addon(cluster, name="moved", namespace=other)
    monkeypatch.setenv("KUBEVELA_SYSTEM_NAMESPACE", other)
    code, out, _ = veladdon(capsys, kube, "list", "-o", "json")
    assert code == 0
    assert [a["name"] for a in json.loads(out)["addons"]] == ["moved"]


# --- status --------------------------------------------------------------------------------------


def test_status_text(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(
        cluster, args={"dbType": "kubeapi", "replicas": 2}, notes="Thank you!\nPlease refer to URL."
    )
    status = {
        "status": "running",
        "appliedResources": [
            {"kind": "Deployment", "name": "x", "cluster": "c1"},
            {"kind": "Service", "name": "x"},
        ],
        "services": [{"name": "web", "namespace": "default", "healthy": False, "message": "0/1 ready"}],
        "workflow": {
            "status": "failed",
            "steps": [{"name": "apply", "type": "apply-component", "phase": "failed", "message": "boom"}],
        },
    }
    kube.set_status("core.oam.dev", "v1beta1", "applications", NS, "addon-example", status)
    code, out, err = veladdon(capsys, kube, "status", "example")
    assert code == 0, err
    assert out == (
        "example: enabled (1.0.0)\n"
        "==> Installed Clusters\n"
        "[c1 local]\n"
        "==> Registry Name\n"
        "local\n"
        "==> Application\n"
        "vela-system/addon-example (running)\n"
        "==> Parameters (values masked; --show-secrets shows them)\n"
        "dbType: ***\n"
        "replicas: ***\n"
        "==> Components\n"
        "NAME  CLUSTER  NAMESPACE  HEALTHY  MESSAGE\n"
        "web   local    default    no       0/1 ready\n"
        "==> Workflow\n"
        "failed\n"
        "failed step apply (apply-component): boom\n"
        "==> Definitions\n"
        "ComponentDefinition: example-comp\n"
        "TraitDefinition: example-trait\n"
        "==> Notes\n"
        "Thank you!\n"
        "Please refer to URL.\n"
    )
    code, out, _ = veladdon(capsys, kube, "status", "example", "--show-secrets")
    assert 'dbType: "kubeapi"\nreplicas: 2\n' in out


def test_status_json_and_yaml(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    kube.without_controller("the test reads the status of an Application no controller has reconciled")
    install_addon(cluster)
    code, out, err = veladdon(capsys, kube, "status", "example", "-o", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data == {
        "application": {"name": "addon-example", "namespace": NS, "status": ""},
        "clusters": [],
        "components": [],
        "definitions": {"ComponentDefinition": ["example-comp"], "TraitDefinition": ["example-trait"]},
        "name": "example",
        "notes": None,
        "parameters": {"image": "***", "password": "***"},
        "parametersMasked": True,
        "phase": "enabling",
        "registry": "local",
        "version": "1.0.0",
        "workflow": None,
    }
    code, out, _ = veladdon(capsys, kube, "status", "example", "-o", "yaml", "--show-secrets")
    assert yaml.safe_load(out)["parameters"] == {"image": "nginx", "password": "s3cret"}


def test_status_of_an_unknown_addon(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    code, out, err = veladdon(capsys, kube, "status", "nope")
    assert (code, out) == (1, "")
    assert err == (
        "Error: addon 'nope' is not enabled: no Application addon-nope in namespace vela-system; "
        "`veladdon list` shows the enabled addons\n"
    )
    assert len(err.splitlines()) == 1


# --- cluster faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["status", "x"], ["disable", "x", "-y"]])
def test_unreachable_cluster(capsys: Capture, tmp_path: Path, command: list[str]) -> None:
    config = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9", "dead")
    code = run([*command, "--kubeconfig", str(config)])
    out, err = capsys.readouterr()
    assert (code, out) == (5, "")
    assert err.startswith("Error: cannot reach the cluster dead (http://127.0.0.1:9)")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "just a string\n",
            " is not a kubeconfig: it holds a string, not a mapping with clusters, users and contexts",
        ),
        (
            "- a\n- b\n",
            " is not a kubeconfig: it holds a list, not a mapping with clusters, users and contexts",
        ),
        (
            "apiVersion: v1\nclusters: [\n",
            ":3 is not valid YAML: expected the node content, but found '<stream end>'",
        ),
    ],
)
def test_a_kubeconfig_that_is_not_one_says_what_is_wrong_with_which_file(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text(text)
    for args, env in ((["--kubeconfig", str(bad)], None), ([], str(bad))):
        if env:
            monkeypatch.setenv("KUBECONFIG", env)
        assert run(["list", *args]) == 5
        err = capsys.readouterr().err
        assert err.startswith(f"Error: the kubeconfig {bad}{message}"), err
        assert len(err.splitlines()) == 1 and "object" not in err


def test_a_kubeconfig_variable_naming_a_missing_file_names_it(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope.yaml"))
    assert run(["list"]) == 5
    assert capsys.readouterr().err == (
        f"Error: KUBECONFIG names {tmp_path / 'nope.yaml'}, which does not exist; "
        "point KUBECONFIG at your kubeconfig, or pass --kubeconfig FILE\n"
    )


def test_bad_kubeconfig_and_unknown_context(capsys: Capture, tmp_path: Path, kube: KubeTarget) -> None:
    bad = tmp_path / "bad"
    bad.write_text("not: [valid")
    assert run(["list", "--kubeconfig", str(bad)]) == 5
    assert run(["list", "--kubeconfig", str(tmp_path / "missing")]) == 5
    assert run(["status", "x", "--kubeconfig", str(kube.kubeconfig), "--context", "no-such-context"]) == 5
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 3
    assert "no-such-context" in err.splitlines()[2]


@pytest.mark.parametrize(("status", "word"), [(401, "unauthorised"), (403, "forbidden")])
def test_unauthorised(capsys: Capture, kube: KubeTarget, cluster: Cluster, status: int, word: str) -> None:
    kube.inject_fault(status=status, times=100)
    code, out, err = veladdon(capsys, kube, "list")
    assert (code, out) == (5, "")
    assert err.startswith(f"Error: {word} by the cluster {kube.context}")


def test_kubevela_not_installed(capsys: Capture, kube: KubeTarget) -> None:
    kube.without_kubevela()
    for command in (["list"], ["status", "x"], ["disable", "x"]):
        code, out, err = veladdon(capsys, kube, *command)
        assert (code, out) == (1, "")
        assert err.startswith(
            "Error: KubeVela is not installed in this cluster (no core.oam.dev/v1beta1 Application)"
        )


def test_5xx_once_is_retried(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    kube.inject_fault(method="GET", path_contains="applications", status=500)
    code, out, err = veladdon(capsys, kube, "status", "example", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["name"] == "example"


def test_help_does_not_import_kubernetes() -> None:
    code = (
        "import sys\n"
        "from veladdon.cli import main\n"
        "for args in (['--help'], ['disable', '--help'], ['list', '--help'], ['status', '--help']):\n"
        "    assert main.run(args) == 0, args\n"
        "assert 'kubernetes' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "--force" in proc.stdout and "--show-secrets" in proc.stdout
