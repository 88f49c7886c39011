"""The cluster the enable tests work in (test_disable and test_status have their own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kubeapi.fixtures import KubeTarget
from veladdon.kube.cluster import Cluster


@pytest.fixture
def cluster(kube: KubeTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """KubeVela installed, a connected Cluster, and a cache of the test's own."""
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / "cache"))
    kube.install_kubevela()
    c = Cluster.connect(str(kube.kubeconfig), kube.context)
    yield c
    c.close()
