"""Shared flag types: addon values (`KEY=VALUE`, `--set`, `-f`), cluster selection, output format."""

from __future__ import annotations

from enum import StrEnum
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


Kubeconfig = Annotated[
    str | None,
    typer.Option(
        "--kubeconfig", metavar="FILE", help="Kubeconfig file (else $KUBECONFIG, else ~/.kube/config)."
    ),
]
Context = Annotated[str | None, typer.Option("--context", metavar="NAME", help="Kubeconfig context to use.")]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


Output = Annotated[OutputFormat, typer.Option("-o", "--output", help="Output format.")]
