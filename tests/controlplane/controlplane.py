"""A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver and kube-controller-manager.

What controller-runtime's envtest runs, plus the two controllers veladdon depends on (garbage collection
by ownerReferences, namespace termination), from the binaries `make engines` built. Token
authentication (`system:masters`), a self-signed serving certificate the kubeconfig trusts, a fresh data
folder removed on stop. KubeVela's real CRDs (from the KubeVela Go module) and the
`vela-system/kubevela-vela-core` Deployment object (no controller) make it a cluster addons can be
enabled in. `make controlplane` and the test suite's session fixtures both use this class.

With `controller=True` (`make controlplane KUBEVELA=controller`) KubeVela itself runs too, so
Applications are reconciled for real: KubeVela's built-in definitions from its Helm chart, the
`vela-core` controller (no webhooks, no leader election, bound to 127.0.0.1), and what it needs for
workloads to become healthy: kube-controller-manager's deployment and replica-set controllers,
kube-scheduler, and a kwok node that reports every Pod bound to it as running and ready (no container
ever runs). The vela-core Deployment object becomes ready the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from tests import engines

VELA_NAMESPACE = "vela-system"
VELA_DEPLOYMENT = "kubevela-vela-core"
START_TIMEOUT = 90.0
# The engines each mode needs, by engine name.
CORE_ENGINES = ("etcd", "kube-apiserver", "kube-controller-manager")
CONTROLLER_ENGINES = ("kube-scheduler", "kwok", "kwok-stages", "vela-core", "kubevela-definitions")
# kwok's stages: a node that becomes ready at once, and Pods bound to it that do (kwokctl's "fast" set).
KWOK_STAGES = (
    "node/fast/node-initialize.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)
KWOK_NODE = "kwok-node-0"
# The one template expression in the chart's definition files.
CHART_NAMESPACE = '{{ include "systemDefinitionNamespace" . }}'
# Workflow back-off in seconds: upstream waits up to 60 s between retries, too slow for tests.
WORKFLOW_BACKOFF = "2"


class ControlPlaneError(Exception):
    """One line: what failed and what to do."""


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def last_lines(self, count: int = 3) -> str:
        try:
            lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        return " | ".join(lines[-count:])


@dataclass
class ControlPlane:
    """Start with `start()`, stop with `stop()` (or use it as a context manager)."""

    port: int = 0  # kube-apiserver's secure port; 0 picks a free one
    kubeconfig: Path | None = None  # where to write the kubeconfig (else inside the data folder)
    kubevela: bool = True  # install KubeVela's CRDs and the vela-core Deployment object
    vela_version: str | None = None  # the vela-core image tag (else the release the CRDs come from)
    vela_ready: bool = False  # give the Deployment the status of one ready replica, as if it ran
    controller: bool = False  # run KubeVela's controller, with Pods that become ready (see above)
    data: Path = field(init=False)
    token: str = field(init=False)
    children: list[Child] = field(init=False, default_factory=list)
    version: str = field(init=False, default="")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ControlPlane:
        wanted = CORE_ENGINES + (CONTROLLER_ENGINES if self.controller else ())
        found = {name: engines.engine(name) for name in wanted}
        binaries = {name: path for name, path in found.items() if path is not None}
        missing = sorted(found.keys() - binaries.keys())
        if missing:
            raise ControlPlaneError(f"{', '.join(missing)} not built: run `make engines` (needs Go)")
        if self.controller and not self.kubevela:
            raise ControlPlaneError("KubeVela's controller needs KubeVela's CRDs: do not ask for both")
        if self.port:
            _check_port_free(self.port)
        else:
            self.port = free_port()
        self.data = Path(tempfile.mkdtemp(prefix="veladdon-controlplane-"))
        self.token = secrets.token_hex(16)
        try:
            self._start_etcd(binaries["etcd"])
            self._start_apiserver(binaries["kube-apiserver"])
            self._write_kubeconfig()
            # KubeVela's CRDs before the controller manager: its garbage collector watches the resource
            # types discovery shows at start and picks up new ones only every 30 s.
            if self.kubevela:
                self.install_kubevela(self.vela_version, ready=self.vela_ready and not self.controller)
            if self.controller:
                self._install_definitions(binaries["kubevela-definitions"])
            self._start_controller_manager(binaries["kube-controller-manager"])
            if self.controller:
                self._start_pods(binaries["kube-scheduler"], binaries["kwok"], binaries["kwok-stages"])
                self._start_vela_core(binaries["vela-core"])
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process this control plane started (newest first) and remove its data."""
        for child in reversed(self.children):
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in reversed(self.children):
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        self.children.clear()
        if getattr(self, "data", None) is not None:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def dead(self) -> str | None:
        """Which child has exited, with the last lines of its log; None while all run."""
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                return f"{child.name} exited with code {code}: {child.last_lines()}"
        return None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.data / "certs" / "apiserver.crt"

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Child:
        log = self.data / f"{name}.log"
        stream: IO[bytes] = log.open("wb")
        proc = subprocess.Popen(
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop the children in order
            preexec_fn=_die_with_parent,
        )
        stream.close()
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def _start_etcd(self, binary: Path) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        self._spawn(
            "etcd",
            [
                str(binary),
                "--data-dir", str(self.data / "etcd"),
                "--listen-client-urls", self.etcd_url,
                "--advertise-client-urls", self.etcd_url,
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"default=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--log-level", "warn",
            ],
        )  # fmt: skip
        self._wait("etcd", lambda: _http_ok(f"{self.etcd_url}/health"))

    def _start_apiserver(self, binary: Path) -> None:
        certs = self.data / "certs"
        certs.mkdir()
        key = self.data / "sa.key"
        pub = self.data / "sa.pub"
        _openssl(["genrsa", "-out", str(key), "2048"])
        _openssl(["rsa", "-in", str(key), "-pubout", "-out", str(pub)])
        tokens = self.data / "tokens.csv"
        tokens.write_text(f"{self.token},admin,admin-uid,system:masters\n")
        self._spawn(
            "kube-apiserver",
            [
                str(binary),
                "--etcd-servers", self.etcd_url,
                "--cert-dir", str(certs),
                "--secure-port", str(self.port),
                "--bind-address", "127.0.0.1",
                "--advertise-address", "127.0.0.1",
                "--service-cluster-ip-range", "10.0.0.0/24",
                "--service-account-issuer", f"{self.url}/",
                "--service-account-key-file", str(pub),
                "--service-account-signing-key-file", str(key),
                "--token-auth-file", str(tokens),
                "--authorization-mode", "RBAC",
                "--disable-admission-plugins", "ServiceAccount",
                "--allow-privileged",
                # The `kubernetes` Service cannot point at a loopback address; nothing here needs it.
                "--endpoint-reconciler-type", "none",
                "--v", "0",
            ],
        )  # fmt: skip
        self._wait("kube-apiserver", self._ready)
        version = self._get("/version") or {}
        self.version = str(version.get("gitVersion", ""))

    def restart_controller_manager(self) -> None:
        """A fresh garbage collector that watches every resource type there is now (after CRDs were
        deleted and re-created, the running one would catch up only at its next 30 s resync)."""
        child = next(c for c in self.children if c.name == "kube-controller-manager")
        child.proc.terminate()
        child.proc.wait(timeout=10)
        self.children.remove(child)
        self._start_controller_manager(self.kcm_binary)

    def _start_controller_manager(self, binary: Path) -> None:
        self.kcm_binary = binary
        self._spawn(
            "kube-controller-manager",
            [
                str(binary),
                "--kubeconfig", str(self.kubeconfig),
                "--controllers", ",".join(self._controllers()),
                "--leader-elect=false",
                "--bind-address", "127.0.0.1",
                "--secure-port", "0",
                "--concurrent-gc-syncs", "5",
            ],
        )  # fmt: skip
        self._wait("the garbage collector", self._collects)

    def _controllers(self) -> list[str]:
        wanted = ["garbage-collector-controller", "namespace-controller"]
        if self.controller:  # Deployments become ReplicaSets become Pods, which kwok reports ready
            wanted += ["deployment-controller", "replicaset-controller"]
        return wanted

    # ------------------------------------------------------------------ KubeVela's controller

    def _start_pods(self, scheduler: Path, kwok: Path, stages: Path) -> None:
        """kube-scheduler binds Pods to a kwok node; kwok reports them running and ready."""
        self._spawn(
            "kube-scheduler",
            [
                str(scheduler),
                "--kubeconfig", str(self.kubeconfig),
                "--leader-elect=false",
                "--bind-address", "127.0.0.1",
                "--secure-port", "0",
            ],
        )  # fmt: skip
        self._spawn(
            "kwok",
            [
                str(kwok),
                "--kubeconfig", str(self.kubeconfig),
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
                "--server-address", f"127.0.0.1:{free_port()}",
                *(arg for stage in KWOK_STAGES for arg in ("--config", str(stages / stage))),
            ],
        )  # fmt: skip
        capacity = {"cpu": "64", "memory": "256Gi", "pods": "500"}
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": KWOK_NODE,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {"kubernetes.io/hostname": KWOK_NODE, "type": "kwok"},
            },
        }
        self.apply(node)
        self.request(
            "PATCH",
            _object_path(node) + "/status",
            {"status": {"capacity": capacity, "allocatable": capacity}},
            "application/merge-patch+json",
        )
        self._wait("the kwok node", self._node_ready)
        # The API server taints a new node not-ready; the node-lifecycle controller, which would lift it
        # once the node reports Ready, does not run here.
        self.request("PATCH", _object_path(node), {"spec": {"taints": None}}, "application/merge-patch+json")
        self._wait("vela-core's Deployment", self._vela_core_ready)

    def _node_ready(self) -> bool:
        node = self._get(f"/api/v1/nodes/{KWOK_NODE}") or {}
        conditions = (node.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    def _vela_core_ready(self) -> bool:
        path = f"/apis/apps/v1/namespaces/{VELA_NAMESPACE}/deployments/{VELA_DEPLOYMENT}"
        return bool(((self._get(path) or {}).get("status") or {}).get("readyReplicas"))

    def _install_definitions(self, folder: Path) -> None:
        """KubeVela's built-in definitions, as its Helm chart installs them into vela-system."""
        for path in sorted(folder.glob("*.yaml")):
            text = path.read_text().replace(CHART_NAMESPACE, VELA_NAMESPACE)
            for doc in yaml.safe_load_all(text):
                if isinstance(doc, dict) and doc.get("kind"):
                    self.apply(doc)

    def _start_vela_core(self, binary: Path) -> None:
        health = free_port()
        self._spawn(
            "vela-core",
            [
                str(binary),
                "--use-webhook=false",
                "--enable-leader-election=false",
                "--metrics-addr", f"127.0.0.1:{free_port()}",
                "--health-addr", f"127.0.0.1:{health}",
                "--max-workflow-wait-backoff-time", WORKFLOW_BACKOFF,
                "--max-workflow-failed-backoff-time", WORKFLOW_BACKOFF,
            ],
            env={**os.environ, "KUBECONFIG": str(self.kubeconfig)},
        )  # fmt: skip
        self._wait("vela-core", lambda: _http_ok(f"http://127.0.0.1:{health}/readyz"))

    def _collects(self) -> bool:
        """One round of garbage collection, end to end: an owner deleted, its dependent collected. With
        KubeVela installed, the owner is an Application, so the collector also watches KubeVela's types."""
        app = self._get("/apis/core.oam.dev/v1beta1") is not None
        ns = VELA_NAMESPACE if app else "default"
        if app:
            owner = self.apply(
                {
                    "apiVersion": "core.oam.dev/v1beta1",
                    "kind": "Application",
                    "metadata": {"name": "gc-probe", "namespace": ns},
                    "spec": {"components": []},
                }
            )
        else:
            owner = self.apply(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "gc-probe-owner", "namespace": ns},
                }
            )
        ref = {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
        }
        self.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "gc-probe", "namespace": ns, "ownerReferences": [ref]},
            }
        )
        self.request("DELETE", _object_path(owner))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self._get(f"/api/v1/namespaces/{ns}/configmaps/gc-probe") is None:
                return True
            time.sleep(0.1)
        return False

    def _wait(self, name: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if (why := self.dead()) is not None:
                raise ControlPlaneError(why)
            if ready():
                return
            time.sleep(0.1)
        raise ControlPlaneError(
            f"{name} did not become ready in {START_TIMEOUT:.0f} s: {self.children[-1].last_lines()}"
        )

    # ------------------------------------------------------------------ API

    def _ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file.exists() else None
        if context is None:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", content_type)
        for attempt in range(50):
            try:
                with urllib.request.urlopen(req, context=self._ssl(), timeout=10) as resp:
                    return json.loads(resp.read() or b"null")
            except urllib.error.HTTPError as exc:
                # A server that has just started throttles (429) or is still wiring itself (503).
                if exc.code not in (429, 503) or attempt == 49:
                    raise
                time.sleep(min(float(exc.headers.get("Retry-After") or 0.2), 1.0))
        raise AssertionError("unreachable")

    def _get(self, path: str) -> Any:
        try:
            return self.request("GET", path)
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def _ready(self) -> bool:
        req = urllib.request.Request(self.url + "/readyz")
        req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, context=self._ssl(), timeout=2) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def apply(self, obj: dict[str, Any]) -> Any:
        """Server-side apply one object (field manager `veladdon-controlplane`)."""
        return self.request(
            "PATCH",
            _object_path(obj) + "?fieldManager=veladdon-controlplane&force=true",
            obj,
            "application/apply-patch+yaml",
        )

    def _write_kubeconfig(self) -> None:
        path = self.kubeconfig or self.data / "kubeconfig"
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "controlplane",
                    "cluster": {"server": self.url, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "controlplane", "context": {"cluster": "controlplane", "user": "admin"}}],
            "current-context": "controlplane",
            "preferences": {},
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        path.chmod(0o600)
        self.kubeconfig = path

    # ------------------------------------------------------------------ KubeVela

    def install_kubevela(self, vela_version: str | None = None, *, ready: bool = False) -> None:
        """KubeVela's own CRDs, the vela-system namespace and a vela-core Deployment that runs nothing
        (`ready`: with the status a deployment controller would have written for one ready replica)."""
        crds = engines.kubevela_crds()
        if crds is None:
            raise ControlPlaneError(
                "KubeVela's CRDs are not in the engine cache: run `make engines` (needs Go)"
            )
        names = []
        for path in sorted(crds.glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    self.apply(doc)
                    names.append(doc["metadata"]["name"])
        self._wait("KubeVela's CRDs", lambda: all(self._established(n) for n in names))
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": VELA_NAMESPACE}})
        self.set_vela_core(vela_version or engines.KUBEVELA_VERSION, ready=ready)

    def set_vela_core(self, vela_version: str, *, ready: bool) -> None:
        deployment = vela_core_deployment(vela_version)
        self.apply(deployment)
        if ready:
            self.request(
                "PATCH",
                _object_path(deployment) + "/status",
                {"status": dict(READY_STATUS)},
                "application/merge-patch+json",
            )

    def _established(self, name: str) -> bool:
        crd = self._get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}") or {}
        conditions = (crd.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


# What the deployment controller writes for one ready replica (no such controller runs here).
READY_STATUS = {
    "observedGeneration": 1,
    "replicas": 1,
    "readyReplicas": 1,
    "availableReplicas": 1,
    "updatedReplicas": 1,
}


def vela_core_deployment(vela_version: str, replicas: int = 1) -> dict[str, Any]:
    """The Deployment `vela addon` reads KubeVela's version from (label, container name, image tag)."""
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


def _object_path(obj: dict[str, Any]) -> str:
    api_version, kind = obj["apiVersion"], obj["kind"]
    plural = {
        "Namespace": "namespaces",
        "ConfigMap": "configmaps",
        "Deployment": "deployments",
        "Application": "applications",
        "CustomResourceDefinition": "customresourcedefinitions",
        "Node": "nodes",
        "ComponentDefinition": "componentdefinitions",
        "TraitDefinition": "traitdefinitions",
        "PolicyDefinition": "policydefinitions",
        "WorkflowStepDefinition": "workflowstepdefinitions",
    }[kind]
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    namespace = obj["metadata"].get("namespace")
    middle = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{middle}/{plural}/{obj['metadata']['name']}"


def _die_with_parent() -> None:
    """In the child: SIGKILL when the process that started it dies, however it dies, so a control plane
    never outlives its owner. Not SIGTERM: kube-apiserver shuts down gracefully on it and, with etcd
    gone too, lingers (seen for more than 25 s); nobody is left to wait for it or remove its data."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _openssl(args: list[str]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ControlPlaneError(
            "openssl is not on PATH: it makes the service-account key (apt-get install openssl)"
        )
    subprocess.run([openssl, *args], check=True, capture_output=True)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_port_free(port: int) -> None:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go does: TIME_WAIT is no owner
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ControlPlaneError(
                f"port {port} on 127.0.0.1 is taken ({exc.strerror}): pick another with PORT=N"
            ) from None


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False
