"""`veladdon render`: the offline render of everything an addon installs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from veladdon.cli.console import Terminal
from veladdon.cli.options import SetArgs, Values, ValuesFiles, collect


class Format(StrEnum):
    yaml = "yaml"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command(name="render")(render)


def render(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The addon folder.", show_default=False)],
    values: Values = None,
    set_args: SetArgs = None,
    values_files: ValuesFiles = None,
    output: Annotated[Format, typer.Option("-o", "--output", help="Output format.")] = Format.yaml,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", metavar="DIR", help="Write one file per object into this folder."),
    ] = None,
    notes: Annotated[
        bool, typer.Option("--notes", help="Print the rendered NOTES.cue instead of the objects.")
    ] = False,
    upgrade: Annotated[
        bool,
        typer.Option("--upgrade", help="Render NOTES.cue as for an upgrade (context.installer.upgrade)."),
    ] = False,
    include_secret: Annotated[
        bool, typer.Option("--include-secret", help="Also print the parameter Secret (values masked).")
    ] = False,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Show Secret values instead of masking them.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Say which objects were left out, and why.")
    ] = False,
) -> None:
    """Render the addon's Application and every object `enable` would create. No cluster is contacted."""
    from veladdon.addon.loader import load_addon
    from veladdon.cue.evaluator import default_evaluator

    term: Terminal = ctx.obj
    evaluator = default_evaluator(term.cue_path)
    addon = load_addon(path)
    if addon.uses_cue:
        evaluator.warm()  # Node starts while Python imports and parses the rest

    from veladdon.addon.model import system_namespace
    from veladdon.addon.yamlutil import dump_json, dump_yaml
    from veladdon.render import RenderOptions, notes_for, render_addon
    from veladdon.render.notes import mask_secret

    args = collect(values, set_args, values_files)
    options = RenderOptions(args=args, registry="local", system_namespace=system_namespace(), upgrade=upgrade)
    if notes:
        text, warning = notes_for(addon, options, evaluator)
        if warning:
            term.warn(warning)
        if text is None and addon.notes is None:
            term.warn(f"{addon.name} has no NOTES.cue")
        term.write(text + "\n" if text else "")
        return
    result = render_addon(addon, options, evaluator=evaluator)
    for warning in result.warnings:
        term.warn(warning)
    if verbose:
        for reason in result.skipped:
            term.info(reason)
        for rel in result.unchecked:
            term.info(f"{rel}: imports vela/* packages, so its CUE was not compiled (not checked)")
    objects = result.objects()
    if include_secret and result.secret is not None:
        objects.append(result.secret if show_secrets else mask_secret(result.secret))
    if output_dir is not None:
        for name in write_objects(objects, output_dir, output.value):
            term.info(f"wrote {name}")
        return
    if output is Format.json:
        # What kubectl prints for several objects, and what `kubectl apply -f -` reads (a bare array
        # it refuses: "cannot unmarshal array").
        term.write(dump_json({"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {}}))
    else:
        term.write("---\n".join(dump_yaml(obj) for obj in objects))


def write_objects(objects: list[dict[str, object]], folder: Path, fmt: str) -> list[str]:
    """One file per object, numbered in apply order: `00-application-addon-x.yaml`."""
    from veladdon.addon.yamlutil import dump_json, dump_yaml
    from veladdon.errors import InputError
    from veladdon.wording import plural

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {folder}: {exc.strerror}", path=folder) from exc
    written: list[str] = []
    width = max(2, len(str(len(objects))))
    for index, obj in enumerate(objects):
        meta = obj.get("metadata")
        name = meta.get("name", "unnamed") if isinstance(meta, dict) else "unnamed"
        kind = str(obj.get("kind", "object")).lower()
        filename = f"{index:0{width}d}-{kind}-{name}.{fmt}"
        text = dump_json(obj) if fmt == "json" else dump_yaml(obj)
        try:
            (folder / filename).write_text(text, encoding="utf-8")
        except OSError as exc:
            done = (
                f"wrote {len(written)} of {plural(len(objects), 'file')} before it"
                if written
                else "wrote nothing"
            )
            raise InputError(
                f"cannot write {folder / filename}: {exc.strerror} ({done})",
                path=folder / filename,
                hint="choose a folder you can write with --output-dir",
            ) from exc
        written.append(str(folder / filename))
    return written


__all__ = ["register"]
