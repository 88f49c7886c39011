"""Shared flag types: addon values (`KEY=VALUE`, `--set`, `-f`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

Values = Annotated[
    list[str] | None,
    typer.Argument(metavar="[KEY=VALUE]...", help="Addon parameters, as `vela addon enable` takes them."),
]
SetArgs = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="KEY=VALUE", help="A parameter (repeatable; dotted keys nest; {a,b} is a list)."
    ),
]
ValuesFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "-f", "--values", metavar="FILE", help="A YAML file of parameters (repeatable, later wins)."
    ),
]


def collect(values: list[str] | None, set_args: list[str] | None, files: list[Path] | None) -> dict[str, Any]:
    from veladdon.addon.values import combine

    return combine(files or [], set_args or [], values or [], None)
