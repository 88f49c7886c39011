"""Watch: a stream of JSON events from a resourceVersion, ending at timeoutSeconds."""

from __future__ import annotations

import time

import pytest
from kubernetes import client as k8s
from kubernetes import watch

from tests.kubeapi.fixtures import must

pytestmark = pytest.mark.conformance


def test_watch_replays_changes_since_a_resource_version(core: k8s.CoreV1Api, ns: str) -> None:
    start = must(core.list_namespaced_config_map(ns).metadata).resource_version
    core.create_namespaced_config_map(
        ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="w", labels={"w": "1"}))
    )
    core.patch_namespaced_config_map("w", ns, {"data": {"k": "v"}})
    core.delete_namespaced_config_map("w", ns)
    events = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map, ns, label_selector="w=1", resource_version=start, timeout_seconds=1
    ):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 3:
            break
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_watch_ends_at_timeout_seconds(core: k8s.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(
        ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="x", labels={"w": "2"}))
    )
    began = time.monotonic()
    seen = [
        e["type"]
        for e in watch.Watch().stream(
            core.list_namespaced_config_map, ns, label_selector="w=2", timeout_seconds=1
        )
    ]
    elapsed = time.monotonic() - began
    assert seen == ["ADDED"]  # a watch without resourceVersion starts with the current state
    assert 0.5 <= elapsed < 10
