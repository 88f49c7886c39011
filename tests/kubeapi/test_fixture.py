"""The `kube` fixture itself: kubeconfig for subprocesses, KubeVela helper, clean server per test."""

from __future__ import annotations

import subprocess
import sys

from kubernetes import client as k8s

from tests.controlplane.controlplane import VELA_DEPLOYMENT, VELA_NAMESPACE
from tests.kubeapi.fixtures import KubeTarget, meta, must

SCRIPT = """
from kubernetes import client, config
config.load_kube_config()
print(",".join(sorted(n.metadata.name for n in client.CoreV1Api().list_namespace().items)))
"""


def test_subprocess_reaches_the_target_through_kubeconfig(kube: KubeTarget) -> None:
    ns = kube.namespace()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=kube.env(), capture_output=True, text=True, timeout=60, check=True
    )
    assert ns in done.stdout.strip().split(",")


def test_install_kubevela(kube: KubeTarget) -> None:
    kube.install_kubevela()
    api = kube.api_client()
    deployment = k8s.AppsV1Api(api).read_namespaced_deployment(VELA_DEPLOYMENT, VELA_NAMESPACE)
    assert must(meta(deployment).labels)["controller.oam.dev/name"] == "vela-core"
    container = must(must(deployment.spec).template.spec).containers[0]
    assert (container.name, container.image) == ("kubevela", "oamdev/vela-core:v1.9.0")
    dyn = kube.dynamic()
    for kind in (
        "Application",
        "ComponentDefinition",
        "TraitDefinition",
        "PolicyDefinition",
        "WorkflowStepDefinition",
        "WorkloadDefinition",
    ):
        resource = dyn.resources.get(api_version="core.oam.dev/v1beta1", kind=kind)
        assert resource.namespaced


def test_each_test_gets_a_clean_server(kube: KubeTarget) -> None:
    if kube.is_emulator:
        names = {meta(n).name for n in k8s.CoreV1Api(kube.api_client()).list_namespace().items}
        assert names == {"default", "kube-system", "kube-public", "kube-node-lease"}
