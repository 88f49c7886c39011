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
