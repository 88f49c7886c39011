"""The `veladdon` command: a thin Typer adapter over the library (no business logic here)."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Annotated, Any

import typer

from veladdon import __version__
from veladdon.cli.console import Terminal
from veladdon.cli.help import Group
from veladdon.cli.options import Output, OutputFormat
from veladdon.errors import ExitCode, Interrupted, VeladdonError

app = typer.Typer(
    name="veladdon",
    help="Render, lint, enable and package KubeVela addons.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    cls=Group,
    rich_markup_mode=None,  # click's help: option names never cut (veladdon.cli.help)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"veladdon {__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print veladdon's version."
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="VELADDON_DEBUG", help="Show tracebacks for errors.")
    ] = False,
    cue: Annotated[
        str | None,
        typer.Option(
            "--cue",
            metavar="PATH",
            help="The cue executable to use, or `wasm` (else $VELADDON_CUE, PATH, `make engines`, WASM).",
        ),
    ] = None,
    color: Annotated[
        bool | None, typer.Option("--color/--no-color", help="Colour output (default: on a TTY).")
    ] = None,
) -> None:
    """Render, lint, enable and package KubeVela addons."""
    ctx.obj = Terminal(color=color, debug=debug, cue_path=cue)


@app.command()
def version(ctx: typer.Context, output: Output = OutputFormat.text) -> None:
    """Print veladdon's version and the CUE evaluator it runs (starting it to ask)."""
    from veladdon.cue.evaluator import default_evaluator

    term: Terminal = ctx.obj
    evaluator = default_evaluator(term.cue_path).description
    if output is OutputFormat.text:
        term.write(f"veladdon {__version__}\nevaluator: {evaluator}\n")
        return
    from veladdon.addon.yamlutil import dump_json, dump_yaml

    data = {"veladdon": __version__, "evaluator": evaluator}
    term.write(dump_json(data) if output is OutputFormat.json else dump_yaml(data))


def _register() -> None:
    """Each command module adds itself; their heavy imports happen inside the commands."""
    from veladdon.cli import cluster, init, lifecycle, lint, package, params, registry, render, test

    for module in (render, params, lint, init, cluster, lifecycle, package, registry, test):
        module.register(app)
    for info in _commands(app):
        if info.callback is not None:
            info.callback = _interruptible(info.callback)


def _commands(typer_app: typer.Typer) -> list[Any]:
    found = list(typer_app.registered_commands)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            found += _commands(group.typer_instance)
    return found


def _interruptible(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Ctrl-C inside a command becomes `Interrupted` (one `Error:` line, exit 130) before Typer sees it:
    Typer turns a KeyboardInterrupt into a silent exit 130."""

    @functools.wraps(callback)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except KeyboardInterrupt:
            raise Interrupted() from None

    return command


_register()


def _normalise(args: list[str]) -> list[str]:
    """A bare `--dry-run` means `--dry-run=client`, as in kubectl (click has no optional values)."""
    out = []
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else ""
        out.append(
            "--dry-run=client" if arg == "--dry-run" and following not in ("client", "server") else arg
        )
    return out


def run(argv: list[str] | None = None) -> int:
    """Entry point: one line per error on stderr and the documented exit code; never a traceback
    unless --debug or VELADDON_DEBUG=1."""
    args = _normalise(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("VELADDON_DEBUG", "") not in ("", "0", "false")
    try:
        rc = app(args=args, prog_name="veladdon", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except VeladdonError as exc:
        if debug:
            traceback.print_exc()
        if exc.exit_code == ExitCode.INTERRUPTED:
            _after_ctrl_c()
        sys.stderr.write(f"Error: {exc.display()}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _after_ctrl_c()
        sys.stderr.write("Error: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:
        # Typer may bundle its own copy of click (typer._click): match the classes by name.
        names = {cls.__name__ for cls in type(exc).__mro__}
        if "Abort" in names:
            sys.stderr.write("Error: aborted\n")
            return int(ExitCode.INTERRUPTED)
        if "ClickException" in names:
            # One line, as every other error: click's usage banner would make it four.
            message = " ".join(str(exc.format_message()).split()).rstrip(".")  # type: ignore[attr-defined]
            context = getattr(exc, "ctx", None)
            where = f"; see `{context.command_path} --help`" if context is not None else ""
            sys.stderr.write(f"Error: {message}{where}\n")
            return int(ExitCode.USAGE)
        if debug:
            traceback.print_exc()
        sys.stderr.write(
            f"Error: internal error: {type(exc).__name__}: {exc}; please report it, "
            "and run with --debug for a traceback\n"
        )
        return int(ExitCode.FAILED)
    if rc == ExitCode.INTERRUPTED:
        # Ctrl-C outside a command's callback (while Typer parses, in the root callback): Typer made it a
        # silent `Exit(130)`; inside a command `_interruptible` has turned it into `Interrupted` already.
        _after_ctrl_c()
        sys.stderr.write("Error: interrupted\n")
    return rc if isinstance(rc, int) else int(ExitCode.OK)


def _after_ctrl_c() -> None:
    """On a terminal the `^C` echo has no newline: start the error on a line of its own."""
    if sys.stderr.isatty():
        sys.stderr.write("\n")


def entry() -> None:
    sys.exit(run())
