"""Shared fixtures: one CUE evaluator for the whole session (the WASM worker starts once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from veladdon.cue.evaluator import Evaluator

pytest_plugins = ["tests.kubeapi.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ADDONS = DATA / "addons"
EXAMPLE = ROOT / "examples" / "redis-operator"


@pytest.fixture(scope="session")
def evaluator() -> Iterator[Evaluator]:
    ev = Evaluator()
    yield ev
    ev.close()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own cache folder: discovery, lint and registry caches never leak between
    tests (emulators reuse ports) or into the user's ~/.cache."""
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
