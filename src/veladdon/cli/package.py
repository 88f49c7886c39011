"""`veladdon package` and `veladdon repo index`: publishing addons as a Helm-style registry."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from veladdon.cli.console import Terminal, color_wanted
from veladdon.cli.help import Group


def register(app: typer.Typer) -> None:
    app.command(name="package")(package)
    repo = typer.Typer(
        name="repo",
        help="Build the index of a Helm-style addon registry.",
        no_args_is_help=True,
        cls=Group,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    repo.command(name="index")(index)
    app.add_typer(repo, name="repo")


def package(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The addon folder.", show_default=False)],
    destination: Annotated[
        Path | None,
        typer.Option(
            "-d", "--destination", metavar="OUT_DIR", help="Where to write the .tgz (default: here)."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", metavar="FORMAT", help="How problems are reported: text, json, sarif, github."
        ),
    ] = "text",
    skip_lint: Annotated[
        bool,
        typer.Option(
            "--skip-lint",
            help="Package an addon that lint or render refuses (the structure is still checked).",
        ),
    ] = False,
) -> None:
    """Package an addon folder as a Helm chart archive (<name>-<version>.tgz).

    Check the addon folder (lint's errors and a render with the defaults refuse it, unless
    --skip-lint) and write <name>-<version>.tgz, a Helm chart archive with a generated Chart.yaml,
    honouring .helmignore. The folder itself is not modified; the same folder always gives the same
    bytes ($SOURCE_DATE_EPOCH sets the archive's timestamps)."""
    from veladdon.errors import InputError
    from veladdon.lint.model import LintReport
    from veladdon.lint.reporters import FORMATS, format_report
    from veladdon.registry.package import package_addon

    term: Terminal = ctx.obj
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r} is not a report format", hint=f"use {', '.join(FORMATS)}")

    def show(report: LintReport) -> None:
        if report.findings:
            color = fmt == "text" and color_wanted(term.color, sys.stderr.isatty())
            sys.stderr.write(format_report(report, fmt, color=color))

    result = package_addon(path, destination, on_report=show, evaluate=not skip_lint, cue_path=term.cue_path)
    if skip_lint:
        term.warn(
            f"--skip-lint: {path} was packaged without lint or a render, so it may not enable; "
            f"`veladdon lint {path}` says what is wrong with it"
        )
    term.write(f"Addon {result.name} packaged successfully: {result.path}\n")


def index(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The folder of .tgz packages.")],
    url: Annotated[
        str | None, typer.Option("--url", metavar="URL", help="The registry's URL, prefixed to the archives.")
    ] = None,
    merge: Annotated[
        Path | None,
        typer.Option(
            "--merge", metavar="FILE", help="Keep this index's entries the folder does not replace."
        ),
    ] = None,
) -> None:
    """Write DIR/index.yaml for the packages in DIR (as `helm repo index`), with the addon annotations
    (addon.name, system.vela, system.kubernetes) readers use. Timestamps come from the packages, an
    index given to --merge, or $SOURCE_DATE_EPOCH, never from the clock."""
    from veladdon.registry.index import write_index
    from veladdon.wording import plural

    term: Terminal = ctx.obj
    result = write_index(directory, url=url, merge=merge)
    term.info(f"wrote {result.path}: {plural(result.charts, 'addon')}, {plural(result.versions, 'package')}")


__all__ = ["register"]
