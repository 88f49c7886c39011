"""`--help` as click formats it: plain text, option names never cut, no metavar after a flag.

Typer's Rich help lays options out as a table of up to seven columns that Rich shrinks together to
the terminal's width, so long option names were cut (`--override-definiti…`) at 80 columns and
worse below; click's formatter wraps only the descriptions (a name longer than the column puts its
description on the next line). Two changes to click's defaults: commands are listed with their whole
first paragraph, wrapped (click cuts it at 45 characters with `...`), and text is never broken at a
hyphen, so `--list-rules` in a description stays whole.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from typer.core import TyperGroup

# click's own classes: typer 0.28 bundles a copy of click (typer._click), earlier releases use click.
_BaseContext: Any = TyperGroup.context_class
_BaseFormatter: Any = _BaseContext.formatter_class
_INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_NO_BREAK = "\u2011"  # stands in for `-` while click wraps; one character wide, so widths hold


def summary(command: object) -> str:
    """A command's first help paragraph, on one line (what the command list shows)."""
    text = getattr(command, "short_help", None) or getattr(command, "help", None) or ""
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def _keep(text: str) -> str:
    return _INNER_HYPHEN.sub(_NO_BREAK, text)


class Formatter(_BaseFormatter):  # type: ignore[misc]
    """click's HelpFormatter without line breaks at hyphens."""

    def write_text(self, text: str) -> None:
        super().write_text(_keep(text))

    def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
        super().write_dl([(first, _keep(second)) for first, second in rows], *args, **kwargs)

    def getvalue(self) -> str:
        return str(super().getvalue()).replace(_NO_BREAK, "-")


class Context(_BaseContext):  # type: ignore[misc]
    formatter_class = Formatter


class Group(TyperGroup):
    """For `typer.Typer(cls=Group, rich_markup_mode=None)`: the root app and each command group."""

    context_class = Context

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not isinstance(command, Group):
            command.context_class = Context
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
