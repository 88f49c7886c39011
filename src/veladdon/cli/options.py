"""Shared flag types: addon values (`KEY=VALUE`, `--set`, `-f`), cluster selection, output format."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from veladdon.errors import InputError

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
    """`-o` of the commands that print data: `text` for people (a table where the data is one)."""

    text = "text"
    json = "json"
    yaml = "yaml"


def output_format(value: str) -> OutputFormat:
    """`-o text|json|yaml`, any case; `table`, the name the listing commands used first, means text."""
    name = str(value).lower()
    try:
        return OutputFormat("text" if name == "table" else name)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not one of text, json, yaml") from None


Output = Annotated[
    OutputFormat,
    typer.Option("-o", "--output", metavar="text|json|yaml", parser=output_format, help="Output format."),
]


class DryRun(StrEnum):
    client = "client"
    server = "server"


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go-style durations as kubectl takes them (`30s`, `5m`, `1h30m`, `500ms`); a bare number is seconds."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        parts = _DURATION_PART.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value:
            raise InputError(
                f"invalid --timeout {text!r}", hint="use a duration such as 30s, 5m or 1h30m"
            ) from None
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 0:
        raise InputError(f"invalid --timeout {text!r}: negative", hint="use a duration such as 30s or 5m")
    return seconds


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """kubectl-style columns: left-aligned, padded to the widest cell, two spaces apart, no trailing
    spaces (stable for `awk`/`cut` in scripts)."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in table
    )
