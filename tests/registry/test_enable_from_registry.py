"""`registry add` + `enable NAME` end to end: Helm-style registries over HTTP on 127.0.0.1 (packages made
by `veladdon package`, indexes by `veladdon repo index`), the cluster being the API emulator."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import pytest

from tests.kubeapi.fixtures import KubeTarget
from tests.registry.conftest import PASSWORD, USER, Catalog
from veladdon.cli.main import run
from veladdon.kube.cluster import Cluster
from veladdon.kube.registry_store import CONFIGMAP, save_registry
from veladdon.registry import RegistrySpec

Capture = pytest.CaptureFixture[str]


def veladdon(capsys: Capture, kube: KubeTarget, *args: str) -> tuple[int, str, str]:
    code = run([*args, "--kubeconfig", str(kube.kubeconfig), "--context", kube.context])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cluster(kube: KubeTarget) -> Any:
    kube.install_kubevela("v1.9.0")
    with Cluster.connect(str(kube.kubeconfig), kube.context) as c:
        yield c


def test_enable_with_dependency_while_another_registry_fails(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, catalog: Catalog, serve: Any
) -> None:
    main = serve(catalog.main, auth=(USER, PASSWORD))
    broken = serve(catalog.other, status=500)
    # Registries are tried in name order: the broken one first.
    save_registry(cluster, "vela-system", RegistrySpec.helm("a-broken", broken.url))
    code, out, err = veladdon(
        capsys, kube, "registry", "add", "main", "--type", "helm", "--endpoint", main.url,
        "--username", USER, "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, err
    assert out == "Registry main added successfully.\n"

    code, out, err = veladdon(capsys, kube, "enable", "app", "--no-wait")
    assert code == 0, err
    assert "registry a-broken" in err  # reported and skipped
    assert "app 1.1.0" in err  # the version choice, explained in one line
    lines = out.splitlines()
    assert "Addon base enabled successfully." in lines
    assert lines[-1] == "Addon app enabled successfully."
    for name, version in (("base", "1.0.0"), ("app", "1.1.0")):
        app = cluster.get("core.oam.dev/v1beta1", "Application", f"addon-{name}", "vela-system")
        assert app is not None
        labels = app["metadata"]["labels"]
        assert labels["addons.oam.dev/version"] == version
        assert labels["addons.oam.dev/registry"] == "main"


def test_version_requirements_from_the_index(
    capsys: Capture, kube: KubeTarget, catalog: Catalog, serve: Any
) -> None:
    kube.install_kubevela("v1.6.0")
    main = serve(catalog.main, auth=(USER, PASSWORD))
    with Cluster.connect(str(kube.kubeconfig), kube.context) as cluster:
        save_registry(
            cluster, "vela-system", RegistrySpec.helm("main", main.url, username=USER, password=PASSWORD)
        )
    code, _, err = veladdon(capsys, kube, "enable", "app", "--no-wait")
    assert code == 0, err
    assert "app 1.0.0" in err  # 1.1.0 needs vela >=1.9.0
    code, _, err = veladdon(capsys, kube, "enable", "main/app", "--version", "1.1.0", "--no-wait")
    assert code == 1
    assert "requires KubeVela >=1.9.0, but the cluster runs v1.6.0" in err


def test_registry_list_get_delete(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    code, _, err = veladdon(
        capsys, kube, "registry", "add", "folder", "--type", "local", "--endpoint", str(tmp_path)
    )
    assert code == 0, err
    save_registry(
        cluster,
        "vela-system",
        RegistrySpec.from_json(
            {"name": "gh", "git": {"url": "https://github.com/o/r", "path": "addons", "token": "t0k"}}
        ),
    )
    cm = cluster.get("v1", "ConfigMap", CONFIGMAP, "vela-system")
    assert cm is not None and "t0k" not in cm["data"]["registries"]
    assert cluster.get("v1", "Secret", "addon-registry-gh", "vela-system") is not None
    code, out, _ = veladdon(capsys, kube, "registry", "list")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAME", "TYPE", "URL"]  # UPPER CASE, as `list` and kubectl
    assert rows[1] == ["folder", "local", str(tmp_path)]
    assert rows[2] == ["gh", "git", "https://github.com/o/r/tree/master/addons"]
    code, out, _ = veladdon(capsys, kube, "registry", "get", "gh")
    assert [line.split() for line in out.splitlines()] == [rows[0], rows[2]]
    code, out, _ = veladdon(capsys, kube, "registry", "get", "gh", "-o", "json")
    assert '"token": "***"' in out
    code, out, _ = veladdon(capsys, kube, "registry", "delete", "gh")
    assert out == "Registry gh deleted successfully.\n"
    assert cluster.get("v1", "Secret", "addon-registry-gh", "vela-system") is None
    code, _, err = veladdon(capsys, kube, "registry", "get", "gh")
    assert code == 1 and 'Registry.addons.kubevela.io "gh" not found' in err


def test_registry_add_checks_the_endpoint(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, serve: Any, tmp_path: Path
) -> None:
    dead = serve(tmp_path, status=500)
    code, _, err = veladdon(capsys, kube, "registry", "add", "dead", "--type", "helm", "--endpoint", dead.url)
    assert code == 1
    assert err.startswith("Error: fail to add registry dead:")
    code, _, err = veladdon(capsys, kube, "registry", "add", "x", "--type", "helm")
    assert code == 2 and "addon registry must set --endpoint flag" in err


def test_unknown_name_without_registries(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    code, _, err = veladdon(capsys, kube, "enable", "no-such-addon")
    assert code == 1
    assert "no addon registry" in err
    code, _, err = veladdon(capsys, kube, "enable", "./no-such-folder")
    assert code == 2
    assert "addon folder ./no-such-folder does not exist" in err


def test_list_with_registries(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, catalog: Catalog, serve: Any
) -> None:
    main = serve(catalog.main, auth=(USER, PASSWORD))
    save_registry(
        cluster, "vela-system", RegistrySpec.helm("main", main.url, username=USER, password=PASSWORD)
    )
    save_registry(cluster, "vela-system", RegistrySpec.helm("zz-down", serve(catalog.other, status=500).url))
    assert veladdon(capsys, kube, "enable", "base", "--no-wait")[0] == 0
    code, out, err = veladdon(capsys, kube, "list", "--available")
    assert code == 0, err
    assert "registry zz-down" in err
    second = out[out.index("NAME  REGISTRY") :]  # the enabled addons' table comes first
    offered = [line.split() for line in second.splitlines()[1:]]
    assert offered[0][:2] == ["app", "main"]
    base = next(row for row in offered if row[0] == "base" and row[1] == "main")
    assert base[-2:] == ["enabling", "(1.0.0)"]
    code, out, _ = veladdon(capsys, kube, "list", "--registry", "main", "-o", "json")
    data = json.loads(out)
    assert [a["name"] for a in data["addons"]] == ["base"]
    assert {a["name"]: a["versions"] for a in data["available"]}["app"] == ["2.0.0-beta.1", "1.1.0", "1.0.0"]
    code, _, err = veladdon(capsys, kube, "list", "--registry", "nope")
    assert code == 1 and "specified registry nope not exist" in err


def test_enable_from_a_self_signed_registry(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, catalog: Catalog, serve: Any, tls_files: Any
) -> None:
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    secure = serve(catalog.other, tls=context)
    code, _, err = veladdon(
        capsys, kube, "registry", "add", "tls", "--type", "helm", "--endpoint", secure.url
    )
    assert code == 1 and "certificate" in err.lower()  # self-signed: refused without the CA
    code, _, err = veladdon(
        capsys,
        kube,
        "registry",
        "add",
        "tls",
        "--type",
        "helm",
        "--endpoint",
        secure.url,
        "--ca-file",
        str(cert),
    )
    assert code == 0, err
    code, out, err = veladdon(capsys, kube, "enable", "extra", "--no-wait")
    assert code == 0, err
    assert out.splitlines()[-1] == "Addon extra enabled successfully."
