"""Emulator-only hooks: the request log and fault injection (skipped against a real cluster)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from tests.kubeapi import KubeAPIServer
from tests.kubeapi.fixtures import KubeTarget, meta, status_of

ROOT = Path(__file__).resolve().parents[2]


def test_request_log_records_method_path_query_body_status(kube_emulator: KubeTarget) -> None:
    core = k8s.CoreV1Api(kube_emulator.api_client())
    core.create_namespaced_config_map(
        "default", k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="r")), dry_run="All"
    )
    core.list_namespaced_config_map("default", label_selector="a=b")
    create, listed = kube_emulator.requests[-2:]
    assert (create.method, create.path, create.status) == (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        201,
    )
    assert create.query == {"dryRun": "All"}
    assert create.body["metadata"]["name"] == "r"
    assert (listed.method, listed.query, listed.status) == ("GET", {"labelSelector": "a=b"}, 200)


def test_fault_503_once_then_success(kube_emulator: KubeTarget) -> None:
    core = k8s.CoreV1Api(kube_emulator.api_client())
    kube_emulator.inject_fault(method="GET", path_contains="/namespaces/default", status=503)
    with pytest.raises(ApiException) as err:
        core.read_namespace("default")
    assert err.value.status == 503
    assert status_of(err.value)["reason"] == "ServiceUnavailable"
    assert meta(core.read_namespace("default")).name == "default"
    assert [r.status for r in kube_emulator.requests[-2:]] == [503, 200]


def test_fault_409_on_the_next_update(kube_emulator: KubeTarget) -> None:
    core = k8s.CoreV1Api(kube_emulator.api_client())
    created = core.create_namespaced_config_map(
        "default", k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="u"))
    )
    kube_emulator.inject_fault(method="PUT", status=409, reason="Conflict")
    created.data = {"k": "v"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("u", "default", created)
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    # A retry, as a client would do after a conflict, now goes through.
    assert core.replace_namespaced_config_map("u", "default", created).data == {"k": "v"}


def test_server_starts_and_stops_in_milliseconds() -> None:
    began = time.perf_counter()
    server = KubeAPIServer().start()
    started = time.perf_counter() - began
    server.stop()
    assert started < 0.1
    assert time.perf_counter() - began < 0.5


def test_unsupported_pagination_is_an_error_not_a_silent_answer(kube_emulator: KubeTarget) -> None:
    core = k8s.CoreV1Api(kube_emulator.api_client())
    with pytest.raises(ApiException) as err:
        core.list_namespaced_config_map("default", limit=10, _continue="token")
    assert err.value.status == 400


def test_stand_alone_entry_point_prints_its_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.kubeapi", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
