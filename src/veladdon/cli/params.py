"""`veladdon params`: what an addon accepts, read from its parameter.cue; and its README table."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Annotated

import typer

from veladdon.cli.console import Terminal
from veladdon.cli.options import OutputFormat, output_format


def register(app: typer.Typer) -> None:
    app.command(name="params")(params)


def params(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The addon folder.", show_default=False)],
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "-o",
            "--output",
            metavar="text|json|yaml",
            parser=output_format,
            help="Output format (default: text).",
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the parameter table for the addon's README.")
    ] = False,
    check_readme: Annotated[
        bool,
        typer.Option("--check-readme", help="Exit 1 when the README's parameter table is out of date."),
    ] = False,
    write_readme: Annotated[
        bool,
        typer.Option("--write-readme", help="Update the README's parameter table in place (or add one)."),
    ] = False,
) -> None:
    """List the parameters an addon accepts, or keep its README's parameter table up to date.

    For every parameter of parameter.cue: its name (nested fields as a.b), type, default, whether it is
    required, and its `//+usage=` text, as CUE itself reads them. No cluster is contacted. See
    docs/params.md."""
    from veladdon.errors import InputError

    modes = [
        flag
        for flag, on in (
            ("--markdown", markdown),
            ("--check-readme", check_readme),
            ("--write-readme", write_readme),
        )
        if on
    ]
    if len(modes) > 1 or (modes and output is not None):
        chosen = [*modes, *(["-o"] if output is not None else [])]
        raise InputError(f"{' and '.join(chosen)} cannot be combined", hint="choose one")

    from veladdon.addon.loader import load_addon
    from veladdon.cue.evaluator import default_evaluator
    from veladdon.render.params import markdown_table, read_parameters

    term: Terminal = ctx.obj
    evaluator = default_evaluator(term.cue_path)
    addon = load_addon(path)
    if addon.parameter_file is not None:
        evaluator.warm()
    schema = read_parameters(addon, evaluator)

    if markdown:
        term.write(markdown_table(schema.parameters))
    elif check_readme or write_readme:
        _readme(term, path, addon.root, addon.name, markdown_table(schema.parameters), write=write_readme)
    elif output in (OutputFormat.json, OutputFormat.yaml):
        from veladdon.addon.yamlutil import dump_json, dump_yaml

        data = schema.to_json()
        term.write(dump_json(data) if output is OutputFormat.json else dump_yaml(data))
    else:
        from veladdon.render.params import text_table

        if not schema.parameters:
            term.info(f"{addon.name} takes no parameters" + ("" if schema.file else " (no parameter.cue)"))
            return
        term.write(text_table(schema.parameters))


def _readme(term: Terminal, shown: Path, root: Path, name: str, table: str, *, write: bool) -> None:
    """--check-readme (exit 1 when stale) and --write-readme on README.md (or readme.md)."""
    from veladdon.errors import InputError
    from veladdon.render.params import README_START, readme_table, update_readme

    readme = next((root / n for n in ("README.md", "readme.md") if (root / n).is_file()), root / "README.md")
    try:
        text = readme.read_text(encoding="utf-8") if readme.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {readme.name}: {exc}", path=readme) from exc
    current = readme_table(text) if text is not None else None
    fix = f"run `veladdon params {shown} --write-readme`"
    if write:
        if current == table:
            term.info(f"{readme.name}: the parameter table is up to date")
            return
        new = update_readme(text if text is not None else f"# {name}\n", table)
        try:
            readme.write_text(new, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {readme.name}: {exc.strerror}", path=readme) from exc
        term.info(f"{readme.name}: {'updated' if current is not None else 'added'} the parameter table")
        return
    if current == table:
        term.write(f"{readme.name}: the parameter table is up to date\n")
        return
    if text is None:
        term.err.print(f"Error: {shown}: no README.md; {fix}", soft_wrap=True)
    elif current is None:
        term.err.print(
            f"Error: {readme.name}: no parameter table (no {README_START} marker); {fix}", soft_wrap=True
        )
    else:
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            table.splitlines(keepends=True),
            f"{readme.name} (parameter table)",
            "parameter.cue",
        )
        term.write("".join(diff))
        term.err.print(f"Error: {readme.name}: the parameter table is out of date; {fix}", soft_wrap=True)
    sys.stdout.flush()
    raise typer.Exit(code=1)


__all__ = ["register"]
