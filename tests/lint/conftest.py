"""Lint fixtures: the clean addon, copies to mutate, and one evaluator shared by the whole session."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from veladdon.cue.evaluator import Evaluator
from veladdon.lint import LintReport, lint_paths

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CLEAN = DATA / "clean-addon"
ROOT = HERE.parent.parent
EXAMPLE = ROOT / "examples" / "redis-operator"


@pytest.fixture(scope="session")
def lint_evaluator(evaluator: Evaluator) -> Evaluator:
    """The suite's shared evaluator: every lint test runs once per CUE release of the matrix."""
    return evaluator


def run_lint(paths: list[Path], evaluator: Evaluator, **kwargs: Any) -> LintReport:
    return lint_paths(paths, evaluators=[evaluator], cache_dir=None, jobs=1, **kwargs)


@pytest.fixture
def clean_copy(tmp_path: Path) -> Path:
    """A copy of the clean addon in a folder of the same name, to mutate."""
    target = tmp_path / CLEAN.name
    shutil.copytree(CLEAN, target)
    return target
