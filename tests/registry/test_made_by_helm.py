"""Registries made by the real Helm (v3, built by `make engines`), not by veladdon: charts packaged by
`helm package`, indexes written by `helm repo index`. veladdon reads them as `vela` does, its own index
writer agrees with Helm's on what a reader uses, and Helm accepts the archives `veladdon package` writes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import engines
from tests.kubeapi.fixtures import KubeTarget
from tests.registry.conftest import write_addon
from veladdon.cli.main import run
from veladdon.kube.cluster import Cluster
from veladdon.kube.registry_store import save_registry
from veladdon.registry import RegistrySpec
from veladdon.registry.index import write_index
from veladdon.registry.package import package_addon
from veladdon.wire import APP_API_VERSION

HELM = engines.engine("helm")
pytestmark = pytest.mark.skipif(HELM is None, reason="helm is not built: `make engines` (needs Go)")

Capture = pytest.CaptureFixture[str]


def helm(tmp: Path, *args: str) -> str:
    """The real helm, with its config, cache and data folders inside the test's folder."""
    assert HELM is not None
    env = {
        "HOME": str(tmp),
        "HELM_CACHE_HOME": str(tmp / ".helm-cache"),
        "HELM_CONFIG_HOME": str(tmp / ".helm-config"),
        "HELM_DATA_HOME": str(tmp / ".helm-data"),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [str(HELM), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def helm_chart(addon: Path, where: Path) -> Path:
    """An addon folder as an addon author publishes it with Helm: the folder plus a Chart.yaml."""
    meta = yaml.safe_load((addon / "metadata.yaml").read_text())
    chart: Path = where / meta["name"]
    shutil.copytree(addon, chart)
    (chart / "Chart.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v2",
                "name": meta["name"],
                "version": meta["version"],
                "description": meta.get("description", ""),
            },
            sort_keys=False,
        )
    )
    return chart


@pytest.fixture
def cluster(kube: KubeTarget) -> Any:
    kube.install_kubevela()
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


def test_veladdon_enables_from_a_registry_helm_made(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, serve: Any, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for version in ("1.0.0", "1.2.0"):
        addon = write_addon(tmp_path / f"src-{version}", "base", version)
        helm(tmp_path, "package", str(helm_chart(addon, tmp_path / f"chart-{version}")), "-d", str(repo))
    helm(tmp_path, "repo", "index", str(repo))
    assert sorted(p.name for p in repo.iterdir()) == ["base-1.0.0.tgz", "base-1.2.0.tgz", "index.yaml"]
    server = serve(repo)
    save_registry(cluster, "vela-system", RegistrySpec.helm("made-by-helm", server.url))
    args = ["--kubeconfig", str(kube.kubeconfig), "--context", kube.context]

    assert run(["list", "--registry", "made-by-helm", "-o", "json", *args]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {a["name"]: a["versions"] for a in listing["available"]} == {"base": ["1.2.0", "1.0.0"]}

    assert run(["enable", "base", "--version", "1.0.0", "--no-wait", *args]) == 0, capsys.readouterr().err
    app = cluster.get(APP_API_VERSION, "Application", "addon-base", "vela-system")
    assert app is not None
    assert app["metadata"]["labels"]["addons.oam.dev/version"] == "1.0.0"
    assert app["metadata"]["labels"]["addons.oam.dev/registry"] == "made-by-helm"


def _reader_view(index: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What a reader of an index uses (vela's and veladdon's alike): per entry name, each version's
    name, version, description, urls and digest. Time stamps differ between any two runs."""
    keep = ("name", "version", "description", "urls", "digest", "apiVersion")
    return {
        name: [{k: v.get(k) for k in keep} for v in versions]
        for name, versions in sorted((index.get("entries") or {}).items())
    }


def test_veladdon_repo_index_agrees_with_helm_repo_index(tmp_path: Path) -> None:
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    theirs.mkdir()
    for name, version in (("base", "1.0.0"), ("base", "1.2.0"), ("extra", "0.1.0")):
        package_addon(write_addon(tmp_path / f"src-{name}-{version}", name, version), theirs)
    shutil.copytree(theirs, ours)
    helm(tmp_path, "repo", "index", str(theirs))
    write_index(ours)
    helm_index = yaml.safe_load((theirs / "index.yaml").read_text())
    our_index = yaml.safe_load((ours / "index.yaml").read_text())
    assert our_index["apiVersion"] == helm_index["apiVersion"] == "v1"
    assert _reader_view(our_index) == _reader_view(helm_index)


def test_helm_accepts_what_veladdon_package_writes(tmp_path: Path) -> None:
    addon = write_addon(tmp_path / "src", "base", "1.2.0")
    archive = package_addon(addon, tmp_path / "out").path
    chart = yaml.safe_load(helm(tmp_path, "show", "chart", str(archive)))
    assert (chart["apiVersion"], chart["name"], chart["version"]) == ("v2", "base", "1.2.0")
    assert chart["description"] == "base for tests"
    helm(tmp_path, "lint", str(archive))
