"""`make test-min`'s pins (tools/min_requirements.py): each runtime floor as `==`, and a dependency
without a floor refused, since its oldest version could not be tested."""

from __future__ import annotations

import tomllib

import pytest

from tools import min_requirements


@pytest.mark.parametrize(
    ("requirement", "pin"),
    [
        ("kubernetes>=29", "kubernetes==29"),
        ("typer>=0.16,<0.29", "typer==0.16"),
        ("referencing >= 0.28.4", "referencing==0.28.4"),
        ("uvicorn[standard]>=0.20", "uvicorn[standard]==0.20"),
        ("tomli>=2; python_version < '3.11'", "tomli==2; python_version < '3.11'"),
    ],
)
def test_floor_pin(requirement: str, pin: str) -> None:
    assert min_requirements.floor_pin(requirement) == pin


@pytest.mark.parametrize("requirement", ["rich", "rich<14", "rich==13", "rich>=13,>=14"])
def test_a_dependency_without_one_floor_is_refused(requirement: str) -> None:
    with pytest.raises(SystemExit, match="floor"):
        min_requirements.floor_pin(requirement)


def test_every_declared_runtime_dependency_has_a_floor() -> None:
    doc = tomllib.loads(min_requirements.PYPROJECT.read_text(encoding="utf-8"))
    pins = [min_requirements.floor_pin(r) for r in doc["project"]["dependencies"]]
    assert all("==" in pin for pin in pins)
