"""How fast the Kubernetes API emulator answers: 300 creates and a filtered list.

Run from the repository root: `.venv/bin/python bench/kubeapi.py`. Two figures: the emulator alone
over one keep-alive HTTP connection, and the same work through the official `kubernetes` client
(whose own overhead dominates).
"""

from __future__ import annotations

import http.client
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from tests.kubeapi import KubeAPIServer
from tests.kubeapi.fixtures import write_kubeconfig

COUNT = 300


def raw_http(server: KubeAPIServer) -> tuple[float, float, int]:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    began = time.perf_counter()
    for i in range(COUNT):
        body = json.dumps(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm-{i}", "labels": {"parity": "even" if i % 2 == 0 else "odd"}},
                "data": {"i": str(i)},
            }
        )
        conn.request(
            "POST", "/api/v1/namespaces/default/configmaps", body, {"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status
    created = time.perf_counter() - began
    began = time.perf_counter()
    conn.request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=parity%3Deven")
    response = conn.getresponse()
    items = json.loads(response.read())["items"]
    listed = time.perf_counter() - began
    conn.close()
    return created, listed, len(items)


def official_client(server: KubeAPIServer, tmp: Path) -> tuple[float, float, int]:
    kubeconfig = write_kubeconfig(tmp / "kubeconfig", server.url, "bench")
    api = k8s_config.new_client_from_config(config_file=str(kubeconfig), context="bench")
    core = k8s.CoreV1Api(api)
    began = time.perf_counter()
    for i in range(COUNT):
        meta = k8s.V1ObjectMeta(name=f"cm-{i}", labels={"parity": "even" if i % 2 == 0 else "odd"})
        core.create_namespaced_config_map("default", k8s.V1ConfigMap(metadata=meta, data={"i": str(i)}))
    created = time.perf_counter() - began
    began = time.perf_counter()
    items = core.list_namespaced_config_map("default", label_selector="parity=even").items
    listed = time.perf_counter() - began
    api.close()
    return created, listed, len(items)


def main() -> int:
    with KubeAPIServer() as server:
        created, listed, n = raw_http(server)
    print(
        f"emulator, raw HTTP keep-alive: {COUNT} creates {created * 1000:.0f} ms "
        f"({created / COUNT * 1e6:.0f} µs each), filtered list of {n} {listed * 1000:.1f} ms, "
        f"total {(created + listed) * 1000:.0f} ms"
    )
    with KubeAPIServer() as server, tempfile.TemporaryDirectory() as tmp:
        created, listed, n = official_client(server, Path(tmp))
    print(
        f"official kubernetes client:    {COUNT} creates {created * 1000:.0f} ms "
        f"({created / COUNT * 1e6:.0f} µs each), filtered list of {n} {listed * 1000:.1f} ms, "
        f"total {(created + listed) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
