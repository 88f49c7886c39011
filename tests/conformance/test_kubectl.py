"""kubectl itself against the target: apply, get -l, server-side apply, wait for Established, delete."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.kubeapi.fixtures import KubeTarget

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH"),
]


def test_kubectl_round_trip(kube: KubeTarget, ns: str, tmp_path: Path) -> None:
    cache = tmp_path / "kubectl-cache"

    def kubectl(*args: str) -> str:
        cmd = [
            "kubectl",
            "--kubeconfig",
            str(kube.kubeconfig),
            "--context",
            kube.context,
            "--cache-dir",
            str(cache),
            "--request-timeout=20s",
            *args,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"{' '.join(args)}\nstdout: {done.stdout}\nstderr: {done.stderr}"
        return done.stdout

    manifest = tmp_path / "cms.yaml"
    manifest.write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": n, "namespace": ns, "labels": {"app": app}},
                    "data": {"k": n},
                }
                for n, app in (("one", "web"), ("two", "web"), ("three", "db"))
            ]
        )
    )
    assert "created" in kubectl("apply", "--validate=false", "-f", str(manifest))
    assert "unchanged" in kubectl("apply", "--validate=false", "-f", str(manifest))
    names = kubectl("get", "configmaps", "-n", ns, "-l", "app=web", "-o", "name").split()
    assert sorted(names) == ["configmap/one", "configmap/two"]
    assert "one" in kubectl("get", "configmaps", "-n", ns, "-l", "app=web")

    ssa = tmp_path / "ssa.yaml"
    ssa.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "ssa", "namespace": ns},
                "data": {"a": "1"},
            }
        )
    )
    assert "serverside-applied" in kubectl(
        "apply", "--server-side", "--field-manager=veladdon-test", "--validate=false", "-f", str(ssa)
    )
    got = yaml.safe_load(kubectl("get", "configmap", "ssa", "-n", ns, "-o", "yaml", "--show-managed-fields"))
    assert got["data"] == {"a": "1"}
    assert got["metadata"]["managedFields"][0]["manager"] == "veladdon-test"

    group = f"k{kube.run_id}.conformance.veladdon.io"
    crd_name = f"whatsits.{group}"
    crd = tmp_path / "crd.yaml"
    crd.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": crd_name},
                "spec": {
                    "group": group,
                    "scope": "Namespaced",
                    "names": {"kind": "Whatsit", "plural": "whatsits", "singular": "whatsit"},
                    "versions": [
                        {
                            "name": "v1",
                            "served": True,
                            "storage": True,
                            "schema": {
                                "openAPIV3Schema": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                }
                            },
                        }
                    ],
                },
            }
        )
    )
    kube.track(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", None, crd_name
    )
    kubectl("apply", "--validate=false", "-f", str(crd))
    kubectl("wait", "--for", "condition=Established", f"crd/{crd_name}", "--timeout=30s")
    whatsit = tmp_path / "whatsit.yaml"
    whatsit.write_text(
        yaml.safe_dump(
            {
                "apiVersion": f"{group}/v1",
                "kind": "Whatsit",
                "metadata": {"name": "w", "namespace": ns},
                "spec": {"x": 1},
            }
        )
    )
    kubectl("apply", "--validate=false", "-f", str(whatsit))
    assert kubectl("get", f"whatsits.{group}", "-n", ns, "-o", "name").split() == [f"whatsit.{group}/w"]

    kubectl("delete", "-f", str(manifest), "--wait=true", "--timeout=30s")
    left = kubectl("get", "configmaps", "-n", ns, "-l", "app", "-o", "name").split()
    assert left == []
    kubectl("delete", "-f", str(crd), "--wait=true", "--timeout=30s")
