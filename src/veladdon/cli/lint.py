"""`veladdon lint`: the offline gate for addons — rules with IDs, CI formats, exit 1 on findings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from veladdon.cli.console import Terminal, color_wanted


def register(app: typer.Typer) -> None:
    app.command(name="lint")(lint)


def lint(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...", help="Addon folders, or folders of addons (a catalog).", show_default=False
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the run too (exit 1).")] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            "--format",
            metavar="FORMAT",
            help="text, json, sarif or github (with --list-rules: text, json or markdown).",
        ),
    ] = "text",
    output_file: Annotated[
        Path | None, typer.Option("--output-file", metavar="FILE", help="Write the report to FILE.")
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select", metavar="IDS", help="Only these rules (IDs, names, prefixes; comma-separated)."
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", metavar="IDS", help="Skip these rules (comma-separated).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="GIT_REF", help="Require a version bump in addons changed since REF."
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", metavar="N", help="Addons linted in parallel (default: CPU count)."),
    ] = None,
    kube_version: Annotated[
        str | None,
        typer.Option(
            "--kube-version",
            metavar="X.Y",
            help="Kubernetes version of the schemas (default: from system.kubernetes).",
        ),
    ] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="Print the rules and exit.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the result cache.")
    ] = False,
    clear_cache: Annotated[
        bool, typer.Option("--clear-cache", help="Delete the result cache (then lint PATHs, if any).")
    ] = False,
) -> None:
    """Check addons offline, as CI would (exit 1 on findings, 2 on bad input).

    Check addons offline: structure, metadata, parameters, template, resources, definitions and CUE
    portability. Exit 0 when clean, 1 on errors (or warnings with --strict), 2 on bad input.

    Results of unchanged addons are cached in $XDG_CACHE_HOME/veladdon/lint (see docs/lint.md)."""
    from veladdon.errors import InputError
    from veladdon.lint.reporters import FORMATS, RULE_FORMATS, format_report, format_rules, summary_line

    term: Terminal = ctx.obj
    if list_rules:
        if fmt not in RULE_FORMATS:
            raise InputError(
                f"-o/--format {fmt!r} is not a rule-list format", hint=f"use {', '.join(RULE_FORMATS)}"
            )
        from veladdon.lint.ruleset import all_rules

        _emit(format_rules(all_rules(), fmt), output_file)
        return
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    if fmt not in FORMATS:
        raise InputError(f"-o/--format {fmt!r} is not a report format", hint=f"use {', '.join(FORMATS)}")

    from veladdon.lint.cache import clear_cache as clear
    from veladdon.lint.cache import default_cache_dir

    if clear_cache:
        term.info(f"cleared {clear()}")
        if not paths:
            return
    if not paths:
        raise InputError(
            "no addon folder given", hint="veladdon lint PATH... (an addon or a folder of addons)"
        )

    from veladdon.lint.engine import lint_paths

    report = lint_paths(
        paths,
        select=select or (),
        ignore=ignore or (),
        kube_version=kube_version,
        since=since,
        jobs=jobs,
        cache_dir=None if no_cache else default_cache_dir(),
        cue_path=term.cue_path,
    )
    color = output_file is None and fmt == "text" and color_wanted(term.color, sys.stdout.isatty())
    _emit(format_report(report, fmt, color=color), output_file)
    if output_file is not None:
        term.info(f"{summary_line(report)}: {output_file}")
    if report.failed(strict):
        raise typer.Exit(code=1)


def _emit(text: str, output_file: Path | None) -> None:
    if output_file is None:
        sys.stdout.write(text)
        return
    from veladdon.errors import InputError

    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output_file}: {exc.strerror}", path=output_file) from exc


__all__ = ["register"]
