"""`enable` of issue 12's fixtures (tests/data/addons/): what render accepts is applied as upstream
applies it, what it refuses exits 2 before anything is written, and nothing crashes. Runs against the
API emulator and the real kube-apiserver with KubeVela's CRDs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ADDONS
from tests.kubeapi.fixtures import KubeTarget
from veladdon.cli.main import run
from veladdon.kube.cluster import Cluster

Capture = pytest.CaptureFixture[str]
pytestmark = [pytest.mark.usefixtures("cue_release"), pytest.mark.with_controller]

ACCEPTED = {
    "app-no-kind": 1,
    "app-wrong-kind": 1,
    "version-not-semver": 1,
    "config-template-interpolation": 0,
    "outputs-no-namespace": 0,
}
REFUSED = {
    "trait-unknown-spec-field": "definitions/labels.cue:7:3",
    "definition-undeclared-parameter": "definitions/web.cue:14:24",
    "outputs-no-apiversion": "template.cue:9:10",
    "outputs-no-kind": "template.cue:9:10",
    "outputs-no-name": "template.cue:9:10",
}
INTERNAL = ("_veladdon", "internal error", "Traceback", "KeyError")


def veladdon(capsys: Capture, kube: KubeTarget, *args: str) -> tuple[int, str, str]:
    code = run([*args, "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    out, err = capsys.readouterr()
    return code, out, err


def _disable(capsys: Capture, kube: KubeTarget, name: str) -> None:
    code, _, err = veladdon(capsys, kube, "disable", name, "-y", "--timeout", "30s")
    assert code == 0, err


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_fixture_is_enabled_as_upstream_enables_it(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, name: str
) -> None:
    code, out, err = veladdon(capsys, kube, "enable", str(ADDONS / name), "--no-wait")
    try:
        assert code == 0, err
        assert out.splitlines()[-1] == f"Addon {name} enabled successfully."
        warnings = [line for line in err.splitlines() if line.startswith("Warning: ")]
        assert len(warnings) == ACCEPTED[name], err
        assert not any(word in err for word in INTERNAL), err
        app = cluster.get("core.oam.dev/v1beta1", "Application", f"addon-{name}", "vela-system")
        assert app is not None
        assert (app["apiVersion"], app["kind"]) == ("core.oam.dev/v1beta1", "Application")
        if name == "version-not-semver":
            assert app["metadata"]["labels"]["addons.oam.dev/version"] == "v1beta2-1.3.8-3.1.1"
        if name == "outputs-no-namespace":
            # veladdon puts a namespaced object without a namespace into the system namespace.
            assert cluster.get("v1", "ConfigMap", "settings", "vela-system") is not None
        if name == "config-template-interpolation":
            template = cluster.get("v1", "ConfigMap", "config-template-terraform-example", "vela-system")
            assert template is not None and "EXAMPLE_ACCESS_KEY" in template["data"]["schema"]
    finally:
        if code == 0:
            _disable(capsys, kube, name)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_fixture_writes_nothing(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, name: str
) -> None:
    code, _, err = veladdon(capsys, kube, "enable", str(ADDONS / name), "--no-wait")
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {ADDONS / name}/{REFUSED[name]}: "), err
    assert not any(word in lines[0] for word in INTERNAL), lines[0]
    assert cluster.get("core.oam.dev/v1beta1", "Application", f"addon-{name}", "vela-system") is None


def test_refused_addon_enables_no_dependency(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    """Render comes before the dependencies (upstream installs them first, then fails on the render)."""
    shutil.copytree(ADDONS / "outputs-no-namespace", tmp_path / "outputs-no-namespace")
    addon = tmp_path / "outputs-no-kind"
    shutil.copytree(ADDONS / addon.name, addon)
    meta = addon / "metadata.yaml"
    meta.write_text(meta.read_text() + "dependencies:\n  - name: outputs-no-namespace\n")
    code, _, err = veladdon(capsys, kube, "enable", str(addon), "--no-wait")
    assert code == 2, err
    assert "outputs.settings has no kind" in err
    for app in ("addon-outputs-no-kind", "addon-outputs-no-namespace"):
        assert cluster.get("core.oam.dev/v1beta1", "Application", app, "vela-system") is None
