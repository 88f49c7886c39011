"""Pytest fixtures: a fresh emulator per test, or a real disposable cluster when one is configured.

Real-cluster mode: set VELADDON_TEST_KUBECONFIG (and optionally VELADDON_TEST_CONTEXT). Only
contexts that look disposable (kind-*, k3d-*, minikube) are used unless
VELADDON_TEST_ALLOW_ANY_CONTEXT=1. Every test works in namespaces it creates, and teardown deletes
only what the run created.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import functools
import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from .server import Fault, KubeAPIServer, RequestRecord

ENV_KUBECONFIG = "VELADDON_TEST_KUBECONFIG"
ENV_CONTEXT = "VELADDON_TEST_CONTEXT"
ENV_ALLOW_ANY = "VELADDON_TEST_ALLOW_ANY_CONTEXT"
DISPOSABLE_CONTEXTS = ("kind-*", "k3d-*", "minikube")
EMULATOR_CONTEXT = "kubeapi-emulator"
VELA_NAMESPACE = "vela-system"
VELA_DEPLOYMENT = "kubevela-vela-core"
KUBEVELA_KINDS = (
    ("Application", "applications", ("app", "velaapp")),
    ("ComponentDefinition", "componentdefinitions", ("comp",)),
    ("TraitDefinition", "traitdefinitions", ("trait",)),
    ("PolicyDefinition", "policydefinitions", ("def-policy",)),
    ("WorkflowStepDefinition", "workflowstepdefinitions", ("workflowstep",)),
    ("WorkloadDefinition", "workloaddefinitions", ("workload",)),
)
WAIT_SECONDS = 30.0


def real_cluster_configured() -> bool:
    return bool(os.environ.get(ENV_KUBECONFIG))


def write_kubeconfig(path: Path, url: str, context: str, namespace: str = "default") -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": context, "user": {"token": "kubeapi-emulator"}}],
        "contexts": [
            {"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}
        ],
        "current-context": context,
        "preferences": {},
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def wait_for(
    predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02, what: str = ""
) -> Any:
    """Poll until `predicate()` is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def kubevela_crd(kind: str, plural: str, short_names: tuple[str, ...] = ()) -> dict[str, Any]:
    """A minimal KubeVela CRD: core.oam.dev/v1beta1, namespaced, any fields, status subresource."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.core.oam.dev"},
        "spec": {
            "group": "core.oam.dev",
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": list(short_names),
                "categories": ["oam"],
            },
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }


def vela_core_deployment(vela_version: str, replicas: int) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "vela-core", "controller.oam.dev/name": "vela-core"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": VELA_DEPLOYMENT, "namespace": VELA_NAMESPACE, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"controller.oam.dev/name": "vela-core"}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "kubevela", "image": f"oamdev/vela-core:{vela_version}"}]},
            },
        },
    }


class KubeTarget:
    """What a test talks to: the emulator (`is_emulator`) or a real, disposable cluster."""

    def __init__(
        self,
        kubeconfig: Path,
        context: str,
        url: str,
        tmp: Path,
        server: KubeAPIServer | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.url = url
        self.server = server
        self.is_emulator = server is not None
        self.run_id = uuid.uuid4().hex[:6]
        self._tmp = tmp
        self._clients: list[k8s.ApiClient] = []
        self._counter = itertools.count()
        # What this test created on a real cluster, deleted in reverse order at teardown.
        self._created: list[tuple[str, str, str, str | None, str]] = []

    # ------------------------------------------------------------------ clients

    def api_client(self) -> k8s.ApiClient:
        api = k8s_config.new_client_from_config(config_file=str(self.kubeconfig), context=self.context)
        self._clients.append(api)
        return api

    def dynamic(self) -> DynamicClient:
        # Its own discovery cache per client: the default one in the temp dir is keyed by host and
        # goes stale across runs that reuse a port.
        cache = self._tmp / f"discovery-{next(self._counter)}.json"
        return DynamicClient(self.api_client(), cache_file=str(cache))

    def env(self) -> dict[str, str]:
        """Environment for running veladdon or kubectl as a subprocess against this target."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    # ------------------------------------------------------------------ emulator hooks

    def _emulator(self, what: str) -> KubeAPIServer:
        if self.server is None:
            pytest.skip(f"{what} exists only on the emulator (running against a real cluster)")
        return self.server

    @property
    def requests(self) -> list[RequestRecord]:
        return self._emulator("the request log").requests

    def inject_fault(
        self,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        status: int,
        times: int = 1,
        reason: str | None = None,
    ) -> Fault:
        return self._emulator("fault injection").inject_fault(
            method=method, path_contains=path_contains, status=status, times=times, reason=reason
        )

    # ------------------------------------------------------------------ helpers for tests

    def namespace(self, prefix: str = "vt") -> str:
        """Create a uniquely named namespace, deleted at teardown."""
        name = f"{prefix}-{self.run_id}-{next(self._counter)}"
        k8s.CoreV1Api(self.api_client()).create_namespace(
            k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name))
        )
        self.track("v1", "Namespace", "namespaces", None, name)
        return name

    def track(self, api_version: str, kind: str, plural: str, namespace: str | None, name: str) -> None:
        """Record an object this test created so a real-cluster run deletes it afterwards."""
        self._created.append((api_version, kind, plural, namespace, name))

    def set_status(
        self, group: str, version: str, plural: str, namespace: str | None, name: str, status: dict[str, Any]
    ) -> None:
        """Replace a custom resource's status through its /status subresource (what a controller does)."""
        api = k8s.CustomObjectsApi(self.api_client())
        patch = [{"op": "add", "path": "/status", "value": copy.deepcopy(status)}]
        if namespace:
            api.patch_namespaced_custom_object_status(
                group, version, namespace, plural, name, patch, _content_type="application/json-patch+json"
            )
        else:
            api.patch_cluster_custom_object_status(
                group, version, plural, name, patch, _content_type="application/json-patch+json"
            )

    def install_kubevela(self, vela_version: str = "v1.9.0") -> None:
        """KubeVela's CRDs, the vela-system namespace and a vela-core Deployment that runs nothing.

        On a real cluster the Deployment has 0 replicas, so no KubeVela controller ever reconciles
        the tests' Applications; a cluster that already runs vela-core is refused.
        """
        api = self.api_client()
        core = k8s.CoreV1Api(api)
        apps = k8s.AppsV1Api(api)
        ext = k8s.ApiextensionsV1Api(api)
        if not self.is_emulator:
            found = apps.list_deployment_for_all_namespaces(
                label_selector="controller.oam.dev/name=vela-core"
            )
            if found.items:
                pytest.skip(
                    "KubeVela's controller is installed on this cluster; it would reconcile test objects"
                )
        try:
            core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=VELA_NAMESPACE)))
            self.track("v1", "Namespace", "namespaces", None, VELA_NAMESPACE)
        except ApiException as exc:
            if exc.status != 409:
                raise
        for kind, plural, short in KUBEVELA_KINDS:
            crd = kubevela_crd(kind, plural, short)
            try:
                ext.create_custom_resource_definition(crd)
                self.track(
                    "apiextensions.k8s.io/v1",
                    "CustomResourceDefinition",
                    "customresourcedefinitions",
                    None,
                    crd["metadata"]["name"],
                )
            except ApiException as exc:
                if exc.status != 409:
                    raise
        for _, plural, _ in KUBEVELA_KINDS:
            name = f"{plural}.core.oam.dev"
            wait_for(functools.partial(_established, ext, name), WAIT_SECONDS, what=f"CRD {name} Established")
        replicas = 1 if self.is_emulator else 0
        apps.create_namespaced_deployment(VELA_NAMESPACE, vela_core_deployment(vela_version, replicas))
        if self.is_emulator:
            # Pretend the deployment controller ran: one ready replica.
            status = {
                "observedGeneration": 1,
                "replicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 1,
            }
            apps.patch_namespaced_deployment_status(
                VELA_DEPLOYMENT,
                VELA_NAMESPACE,
                [{"op": "add", "path": "/status", "value": status}],
                _content_type="application/json-patch+json",
            )

    # ------------------------------------------------------------------ teardown

    def close(self) -> None:
        try:
            if not self.is_emulator:
                self._cleanup()
        finally:
            for api in self._clients:
                with contextlib.suppress(Exception):
                    api.close()
            self._clients.clear()
            if self.server is not None:
                self.server.stop()

    def _cleanup(self) -> None:
        if not self._created:
            return
        dyn = DynamicClient(self.api_client(), cache_file=str(self._tmp / "cleanup-discovery.json"))
        for api_version, kind, _plural, namespace, name in reversed(self._created):
            with contextlib.suppress(ApiException, Exception):
                dyn.resources.get(api_version=api_version, kind=kind).delete(
                    name=name, namespace=namespace, body={"propagationPolicy": "Background"}
                )


def _established(ext: k8s.ApiextensionsV1Api, name: str) -> bool:
    crd = ext.read_custom_resource_definition(name)
    conditions = (crd.status.conditions if crd.status else None) or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def _real_kubeconfig(tmp: Path) -> tuple[Path, str, str]:
    source = Path(os.environ[ENV_KUBECONFIG]).expanduser()
    doc = yaml.safe_load(source.read_text()) or {}
    context = os.environ.get(ENV_CONTEXT) or doc.get("current-context") or ""
    if os.environ.get(ENV_ALLOW_ANY) != "1" and not any(
        fnmatch.fnmatch(context, p) for p in DISPOSABLE_CONTEXTS
    ):
        pytest.fail(
            f"refusing context {context!r}: it does not look disposable ({', '.join(DISPOSABLE_CONTEXTS)}); "
            f"set {ENV_ALLOW_ANY}=1 to use it anyway",
            pytrace=False,
        )
    ctx = next((c for c in doc.get("contexts") or [] if c.get("name") == context), None)
    if ctx is None:
        pytest.fail(f"context {context!r} not found in {source}", pytrace=False)
    body = ctx.get("context") or {}
    cluster = next(c for c in doc.get("clusters") or [] if c.get("name") == body.get("cluster"))
    user = next(
        (u for u in doc.get("users") or [] if u.get("name") == body.get("user")), {"name": "none", "user": {}}
    )
    base = source.parent
    # Relative certificate and key paths are relative to the original kubeconfig.
    sections: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        (cluster.get("cluster", {}), ("certificate-authority",)),
        (user.get("user", {}), ("client-certificate", "client-key", "tokenFile")),
    ]
    for section, keys in sections:
        for key in keys:
            if section.get(key) and not os.path.isabs(section[key]):
                section[key] = str((base / section[key]).resolve())
    out = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [user],
        "contexts": [ctx],
        "current-context": context,
    }
    path = tmp / "kubeconfig"
    path.write_text(yaml.safe_dump(out, sort_keys=False))
    return path, context, cluster.get("cluster", {}).get("server", "")


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[KubeTarget]:
    """A fresh emulator per test, or the real cluster named by VELADDON_TEST_KUBECONFIG."""
    if real_cluster_configured():
        path, context, url = _real_kubeconfig(tmp_path)
        target = KubeTarget(path, context, url, tmp_path)
    else:
        server = KubeAPIServer().start()
        path = write_kubeconfig(tmp_path / "kubeconfig", server.url, EMULATOR_CONTEXT)
        target = KubeTarget(path, EMULATOR_CONTEXT, server.url, tmp_path, server)
    try:
        yield target
    finally:
        target.close()


@pytest.fixture
def kube_emulator(kube: KubeTarget) -> KubeTarget:
    """`kube`, but the test is skipped (with a reason) against a real cluster."""
    if not kube.is_emulator:
        pytest.skip("emulator-only test: uses the request log or fault injection")
    return kube
