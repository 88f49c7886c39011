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
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from tests import engines
from tests.controlplane import ControlPlane, ControlPlaneError
from tests.controlplane.controlplane import (
    CONTROLLER_ENGINES,
    READY_STATUS,
    VELA_DEPLOYMENT,
    VELA_NAMESPACE,
    vela_core_deployment,
)

from .server import Fault, KubeAPIServer, RequestRecord

ENV_KUBECONFIG = "VELADDON_TEST_KUBECONFIG"
ENV_CONTEXT = "VELADDON_TEST_CONTEXT"
ENV_ALLOW_ANY = "VELADDON_TEST_ALLOW_ANY_CONTEXT"
DISPOSABLE_CONTEXTS = ("kind-*", "k3d-*", "minikube")
EMULATOR_CONTEXT = "kubeapi-emulator"
KUBEVELA_KINDS = (
    ("Application", "applications", ("app", "velaapp")),
    ("ComponentDefinition", "componentdefinitions", ("comp",)),
    ("TraitDefinition", "traitdefinitions", ("trait",)),
    ("PolicyDefinition", "policydefinitions", ("def-policy",)),
    ("WorkflowStepDefinition", "workflowstepdefinitions", ("workflowstep",)),
    ("WorkloadDefinition", "workloaddefinitions", ("workload",)),
)
WAIT_SECONDS = 30.0
T = TypeVar("T")
M = TypeVar("M")
RESOURCE_TRACKERS = "/apis/core.oam.dev/v1beta1/resourcetrackers"


def real_cluster_configured() -> bool:
    return bool(os.environ.get(ENV_KUBECONFIG))


def controlplane_available() -> bool:
    """The engines of a real control plane were built (`make engines`)."""
    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kubevela-crds")
    return all(engines.engine(name) is not None for name in names)


def controller_available() -> bool:
    """The engines of a control plane with KubeVela's real controller were built too."""
    return controlplane_available() and all(engines.engine(name) is not None for name in CONTROLLER_ENGINES)


# What the `kube` fixture runs each test against: the emulator always, and the real control plane where
# its engines were built; or only the real cluster VELADDON_TEST_KUBECONFIG names. Tests marked
# `with_controller` run once more against a control plane where KubeVela's real controller reconciles.
if real_cluster_configured():
    TARGETS = ["cluster"]
    CONTROLLER_TARGETS: list[str] = []
else:
    TARGETS = ["emulator", *(["controlplane"] if controlplane_available() else [])]
    CONTROLLER_TARGETS = ["controller"] if controller_available() else []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "with_controller: also run the test against a control plane running KubeVela's real controller",
    )
    config.addinivalue_line(
        "markers",
        "kubevela_controller: run the test only against KubeVela's real controller, with the CUE release "
        "KubeVela embeds",
    )
    config.addinivalue_line(
        "markers",
        "one_cue_release: the test evaluates CUE but checks nothing a CUE release changes (a cluster's "
        "answer, an exit code): it runs on the release KubeVela embeds only",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kube" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker
    if marker("kubevela_controller"):
        targets: list[Any] = CONTROLLER_TARGETS or [
            pytest.param(
                "controller",
                marks=pytest.mark.skip(
                    reason="KubeVela's controller, kube-scheduler or kwok not built: `make engines`, needs Go"
                ),
            )
        ]
    else:
        targets = [*TARGETS, *(CONTROLLER_TARGETS if marker("with_controller") else [])]
    metafunc.parametrize("kube", targets, indirect=True)


def must(value: T | None) -> T:
    """`value`, asserted not None: for the typed client's optional fields a test expects to be set."""
    assert value is not None
    return value


def status_of(err: ApiException) -> dict[str, Any]:
    """The Status object an API error carries as its body."""
    status: dict[str, Any] = json.loads(must(err.body))
    return status


class HasMetadata(Protocol):
    @property
    def metadata(self) -> k8s.V1ObjectMeta | None: ...


def meta(obj: HasMetadata) -> k8s.V1ObjectMeta:
    """The metadata of a typed object the server returned (it always has one)."""
    return must(obj.metadata)


def as_body(model: type[M], manifest: Mapping[str, Any]) -> M:
    """A plain manifest as the typed client's `body: model` argument. The client takes the dict
    (pydantic-based releases validate it into `model` on the way, older ones send it unchanged), so the
    cast only tells mypy what the client does with it; the test keeps the manifest as it wrote it."""
    return cast(M, manifest)


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


def until_unchanged(read: Callable[[], T], *, polls: int, interval: float = 1.0, limit: float = 60.0) -> T:
    """Read until `polls` reads in a row, `interval` apart, saw what the one before saw (a controller
    has finished); what was read last, also when `limit` seconds ran out first."""
    previous, deadline, quiet = read(), time.monotonic() + limit, 0
    while time.monotonic() < deadline and quiet < polls:
        time.sleep(interval)
        current = read()
        quiet = quiet + 1 if current == previous else 0
        previous = current
    return previous


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


def complete_application_status(status: dict[str, Any]) -> dict[str, Any]:
    """Fill in what KubeVela's Application CRD requires of a status (v1.10: workflow.finished, mode,
    suspend, terminated; an id per step and sub-step; healthy and name per service), as the controller
    writes them, keeping every field the caller set."""
    workflow = status.get("workflow")
    if isinstance(workflow, dict):
        for key, default in (
            ("finished", False),
            ("mode", "StepByStep-DAG"),
            ("suspend", False),
            ("terminated", False),
        ):
            workflow.setdefault(key, default)
        for i, step in enumerate(workflow.get("steps") or []):
            step.setdefault("id", f"step-{i}")
            for j, sub in enumerate(step.get("subSteps") or []):
                sub.setdefault("id", f"step-{i}-{j}")
    for service in status.get("services") or []:
        service.setdefault("healthy", True)
        service.setdefault("name", "")
    return status


class KubeTarget:
    """What a test talks to: the emulator (`is_emulator`) or a real, disposable cluster."""

    def __init__(
        self,
        kubeconfig: Path,
        context: str,
        url: str,
        tmp: Path,
        server: KubeAPIServer | None = None,
        plane: SharedControlPlane | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.url = url
        self.server = server
        self.plane = plane
        self.is_emulator = server is not None
        # KubeVela's controller reconciles this cluster's Applications (the `controller` target).
        self.controller = plane is not None and plane.plane.controller
        self.run_id = uuid.uuid4().hex[:6]
        self._tmp = tmp
        self._clients: list[k8s.ApiClient] = []
        self._counter = itertools.count()
        self._status_client: DynamicClient | None = None
        # What this test created on a real cluster, deleted in reverse order at teardown.
        self._created: list[tuple[str, str, str, str | None, str]] = []

    # ------------------------------------------------------------------ clients

    def api_client(self) -> k8s.ApiClient:
        api: k8s.ApiClient = k8s_config.new_client_from_config(
            config_file=str(self.kubeconfig), context=self.context
        )
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
        """Replace a custom resource's status through its /status subresource (what a controller does).
        An Application's status gets the fields KubeVela's controller always writes and its CRD requires
        (a real API server refuses the status without them). Against KubeVela's real controller the test
        is skipped: the controller writes the status, and would overwrite the test's."""
        if self.controller:
            pytest.skip("the test writes a status KubeVela's controller owns (it runs on this target)")
        status = copy.deepcopy(status)
        if group == "core.oam.dev" and plural == "applications":
            status = complete_application_status(status)
        self.patch_status(
            group, version, plural, namespace, name, [{"op": "add", "path": "/status", "value": status}]
        )

    def patch_status(
        self,
        group: str,
        version: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch: list[dict[str, Any]],
    ) -> None:
        """A JSON patch on an object's /status subresource. Sent by the dynamic client, as veladdon's
        Cluster.patch_status does: the typed client has no portable way to say the patch is a JSON patch
        (`_content_type=` exists since its pydantic releases; kubernetes 29 sends a custom object's
        patch as a merge patch whatever the body is), and `make test-min` runs these tests on 29."""
        if self._status_client is None:
            cache = self._tmp / "status-discovery.json"
            self._status_client = DynamicClient(self.api_client(), cache_file=str(cache))
        root = f"/apis/{group}/{version}" if group else f"/api/{version}"
        scope = f"/namespaces/{namespace}" if namespace else ""
        self._status_client.request(
            "patch",
            f"{root}{scope}/{plural}/{name}/status",
            body=patch,
            content_type="application/json-patch+json",
        )

    def without_controller(self, why: str) -> None:
        """Skip the test on the `controller` target: it asserts what only a cluster without KubeVela's
        controller does (`why`)."""
        if self.controller:
            pytest.skip(f"KubeVela's controller runs on this target: {why}")

    def install_kubevela(self, vela_version: str | None = None) -> None:
        """KubeVela's CRDs, the vela-system namespace and a vela-core Deployment that runs nothing.

        On a real cluster the Deployment has 0 replicas, so no KubeVela controller ever reconciles
        the tests' Applications; a cluster that already runs vela-core is refused. The project's
        control plane has KubeVela's real CRDs and the Deployment from the start of the session.
        """
        if self.plane is not None:
            self.plane.ensure_kubevela(vela_version)
            return
        vela_version = vela_version or SharedControlPlane.BASELINE_VELA
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
                ext.create_custom_resource_definition(as_body(k8s.V1CustomResourceDefinition, crd))
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
        apps.create_namespaced_deployment(
            VELA_NAMESPACE, as_body(k8s.V1Deployment, vela_core_deployment(vela_version, replicas))
        )
        if self.is_emulator:
            # Pretend the deployment controller ran: one ready replica.
            self.patch_status(
                "apps",
                "v1",
                "deployments",
                VELA_NAMESPACE,
                VELA_DEPLOYMENT,
                [{"op": "add", "path": "/status", "value": dict(READY_STATUS)}],
            )

    def without_kubevela(self) -> None:
        """Make this test's cluster one without KubeVela's CRDs (the emulator starts without them; the
        shared control plane deletes them now and puts them back after the test)."""
        if self.controller:
            pytest.skip("KubeVela's controller runs on this target; its CRDs cannot be taken away")
        if self.plane is not None:
            self.plane.remove_kubevela()

    # ------------------------------------------------------------------ teardown

    def close(self) -> None:
        try:
            if self.plane is not None:
                self.plane.reset()
            elif not self.is_emulator:
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
    no_user: dict[str, Any] = {"name": "none", "user": {}}
    user = next((u for u in doc.get("users") or [] if u.get("name") == body.get("user")), no_user)
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


class SharedControlPlane:
    """The session's one real control plane, with KubeVela's CRDs and vela-core Deployment installed,
    reset after every test to what it was at the start: objects a test left in vela-system are deleted
    (and waited for), namespaces and CRDs it created are deleted, KubeVela put back if it was removed."""

    KUBEVELA_GROUP = "core.oam.dev"
    # What tests and veladdon create in vela-system, as (API path, plural).
    SYSTEM_KINDS = (
        ("/apis/core.oam.dev/v1beta1", "applications"),
        ("/apis/core.oam.dev/v1beta1", "componentdefinitions"),
        ("/apis/core.oam.dev/v1beta1", "traitdefinitions"),
        ("/apis/core.oam.dev/v1beta1", "policydefinitions"),
        ("/apis/core.oam.dev/v1beta1", "workflowstepdefinitions"),
        ("/apis/core.oam.dev/v1beta1", "workloaddefinitions"),
        ("/apis/core.oam.dev/v1beta1", "definitionrevisions"),
        ("/api/v1", "configmaps"),
        ("/api/v1", "secrets"),
        ("/api/v1", "serviceaccounts"),
        ("/api/v1", "services"),
        ("/apis/apps/v1", "deployments"),
    )

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.baseline_vela = plane.vela_version or self.BASELINE_VELA
        self.kubeconfig = plane.kubeconfig
        self.url = plane.url
        self._removed = False
        self._baseline = self._settled() if plane.controller else self._snapshot()

    def _settled(self) -> dict[str, dict[str, str]]:
        """With KubeVela's controller, what it makes on its own at start (definition revisions, schema
        ConfigMaps, the vela-core Deployment's rollout) is part of the baseline: a snapshot that has
        not changed for three seconds (it works through ~90 built-in definitions at its own pace)."""
        return until_unchanged(self._snapshot, polls=3, limit=2 * WAIT_SECONDS)

    def _names(self, path: str) -> dict[str, str]:
        items = (self.plane.request("GET", path) or {}).get("items") or []
        return {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in items}

    def _snapshot(self) -> dict[str, dict[str, str]]:
        snap = {
            "namespaces": self._names("/api/v1/namespaces"),
            "crds": self._names("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
        }
        if self.plane.controller:
            snap["resourcetrackers"] = self._names(RESOURCE_TRACKERS)
        for base, plural in self.SYSTEM_KINDS:
            snap[f"{base}/{plural}"] = self._names(f"{base}/namespaces/{VELA_NAMESPACE}/{plural}")
        return snap

    def check(self) -> None:
        if (why := self.plane.dead()) is not None:
            pytest.fail(f"the control plane is down: {why}", pytrace=False)

    BASELINE_VELA = "v1.9.0"  # what install_kubevela() installs by default, on the emulator too

    def ensure_kubevela(self, vela_version: str | None = None) -> None:
        vela_version = vela_version or self.baseline_vela
        if self._removed:
            self.plane.install_kubevela(vela_version, ready=True)
            self.plane.restart_controller_manager()
            self._removed = False
        elif vela_version != self.baseline_vela:
            self.plane.set_vela_core(vela_version, ready=not self.plane.controller)

    def remove_kubevela(self) -> None:
        crds = [n for n in self._baseline["crds"] if n.endswith(f".{self.KUBEVELA_GROUP}")]
        for name in crds:
            self._delete(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        self._removed = True
        wait_for(
            lambda: not any(n.endswith(f".{self.KUBEVELA_GROUP}") for n in self._crds()),
            WAIT_SECONDS,
            interval=0.1,
            what="KubeVela's CRDs to be deleted",
        )

    def _crds(self) -> dict[str, str]:
        return self._names("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")

    def _delete(self, path: str) -> None:
        with contextlib.suppress(Exception):
            self.plane.request("DELETE", path, {"propagationPolicy": "Background"})

    def reset(self) -> None:
        self.check()
        if self._removed:
            self.ensure_kubevela()
        left: list[str] = []
        for base, plural in self.SYSTEM_KINDS:
            key = f"{base}/{plural}"
            now = self._names(f"{base}/namespaces/{VELA_NAMESPACE}/{plural}")
            for name, version in now.items():
                if self._baseline[key].get(name) != version:
                    path = f"{base}/namespaces/{VELA_NAMESPACE}/{plural}/{name}"
                    self._clear_finalizers(path)
                    self._delete(path)
                    left.append(path)
        # Applications in the test's namespaces go first and are waited for: disable's in-use check sees
        # every Application in the cluster, including those in a namespace that is still terminating.
        for item in (self.plane.request("GET", "/apis/core.oam.dev/v1beta1/applications") or {}).get(
            "items"
        ) or []:
            meta = item["metadata"]
            if meta["namespace"] != VELA_NAMESPACE:
                path = (
                    f"/apis/core.oam.dev/v1beta1/namespaces/{meta['namespace']}/applications/{meta['name']}"
                )
                self._clear_finalizers(path)
                self._delete(path)
                left.append(path)
        if self.plane.controller:
            for name in self._names(RESOURCE_TRACKERS).keys() - self._baseline["resourcetrackers"].keys():
                self._clear_finalizers(f"{RESOURCE_TRACKERS}/{name}")
                self._delete(f"{RESOURCE_TRACKERS}/{name}")
        # CRDs are waited for too: a CRD still terminating belongs to the Application that applied it, and
        # KubeVela refuses to let the next test's addon apply it ("managed by other application").
        for name in self._crds().keys() - self._baseline["crds"].keys():
            path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
            self._delete(path)
            left.append(path)
        for name in self._names("/api/v1/namespaces").keys() - self._baseline["namespaces"].keys():
            self._delete(f"/api/v1/namespaces/{name}")
        wait_for(
            lambda: not any(self._exists(p) for p in left),
            WAIT_SECONDS,
            interval=0.05,
            what="the objects the test left in vela-system to be deleted",
        )
        # Baseline objects a test changed or deleted come back (the vela-core Deployment).
        if (
            self._names(f"/apis/apps/v1/namespaces/{VELA_NAMESPACE}/deployments")
            != self._baseline["/apis/apps/v1/deployments"]
        ):
            self.plane.set_vela_core(self.baseline_vela, ready=not self.plane.controller)
            self._baseline = self._snapshot()

    def _exists(self, path: str) -> bool:
        try:
            self.plane.request("GET", path)
        except Exception:
            return False
        return True

    def _clear_finalizers(self, path: str) -> None:
        with contextlib.suppress(Exception):
            self.plane.request(
                "PATCH", path, {"metadata": {"finalizers": None}}, "application/merge-patch+json"
            )


def _session_plane(plane: ControlPlane, what: str) -> Iterator[SharedControlPlane]:
    try:
        plane.start()
    except ControlPlaneError as exc:
        pytest.fail(f"{what} did not start: {exc}", pytrace=False)
    try:
        yield SharedControlPlane(plane)
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def controlplane() -> Iterator[SharedControlPlane]:
    """One real control plane for the whole session (the same code as `make controlplane`)."""
    plane = ControlPlane(vela_version=SharedControlPlane.BASELINE_VELA, vela_ready=True)
    yield from _session_plane(plane, "the control plane")


@pytest.fixture(scope="session")
def controller_plane() -> Iterator[SharedControlPlane]:
    """One control plane with KubeVela's real controller for the whole session."""
    plane = ControlPlane(vela_version=engines.KUBEVELA_VERSION, controller=True)
    yield from _session_plane(plane, "the control plane with KubeVela's controller")


@pytest.fixture
def kube(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KubeTarget]:
    """Each test once per target: a fresh emulator, and the session's real control plane (when its
    engines are built); or only the real cluster named by VELADDON_TEST_KUBECONFIG."""
    if request.param == "cluster":
        path, context, url = _real_kubeconfig(tmp_path)
        target = KubeTarget(path, context, url, tmp_path)
    elif request.param in ("controlplane", "controller"):
        fixture = "controlplane" if request.param == "controlplane" else "controller_plane"
        shared: SharedControlPlane = request.getfixturevalue(fixture)
        shared.check()
        assert shared.kubeconfig is not None
        target = KubeTarget(shared.kubeconfig, "controlplane", shared.url, tmp_path, plane=shared)
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
