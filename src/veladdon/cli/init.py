"""`veladdon init`: scaffold a new addon that renders and passes `veladdon lint --strict`."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from veladdon.cli.console import Terminal


def register(app: typer.Typer) -> None:
    app.command(name="init")(init)


def init(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The addon's name: lower-case letters, digits and dashes.",
            show_default=False,
        ),
    ],
    path: Annotated[
        Path | None,
        typer.Option("-p", "--path", metavar="DIR", help="The folder to create (default: ./NAME)."),
    ] = None,
    helm_repo: Annotated[
        str | None,
        typer.Option(
            "--helm-repo", metavar="URL", help="Add a Helm chart component (FluxCD) from this repo."
        ),
    ] = None,
    chart: Annotated[
        str | None, typer.Option("--chart", metavar="NAME", help="The chart, with --helm-repo.")
    ] = None,
    chart_version: Annotated[
        str | None,
        typer.Option(
            "--chart-version", metavar="VERSION", help="The chart version (also the addon version)."
        ),
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", metavar="IMAGE", help="Add a webservice component running IMAGE.")
    ] = None,
    urls: Annotated[
        list[str] | None,
        typer.Option(
            "-u",
            "--url",
            metavar="URL",
            help="Add a ref-objects component with the objects at URL (repeatable).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("-f", "--force", help="Replace a non-empty folder at the target path.")
    ] = False,
) -> None:
    """Create a new addon that renders and passes `veladdon lint --strict` as written.

    It holds metadata, parameters, a template with a topology policy, a component (an example, or the
    Helm chart, image and URLs given), an example trait, NOTES.cue, a README with the parameter table
    and ci/default-values.yaml. See docs/init.md."""
    from veladdon.scaffold import InitOptions, init_addon

    term: Terminal = ctx.obj
    options = InitOptions(
        name=name,
        path=path,
        helm_repo=helm_repo,
        chart=chart,
        chart_version=chart_version,
        image=image,
        urls=tuple(urls or ()),
        force=force,
    )
    result = init_addon(options)
    for warning in result.warnings:
        term.warn(warning)
    shown = str(result.path)
    folder = shlex.quote(shown)
    lines = [f"Scaffold created in directory {shown}:"]
    lines += [f"  {Path(shown, rel).as_posix()}" for rel in result.files]
    steps = [
        (f"veladdon params {folder}", "the parameters it takes"),
        (f"veladdon render {folder}", "what enabling it creates (no cluster needed)"),
        (f"veladdon lint --strict {folder}", "check it, as CI would"),
        (f"veladdon enable {folder}", "install it on your cluster"),
    ]
    width = max(len(cmd) for cmd, _ in steps)
    lines += ["What to do next:"] + [f"  {cmd.ljust(width)}  # {why}" for cmd, why in steps]
    term.write("\n".join(lines) + "\n")


__all__ = ["register"]
