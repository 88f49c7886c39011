"""`--help` as click formats it: plain text, option names never cut, no metavar after a flag.

Typer's Rich help lays options out as a table of up to seven columns that Rich shrinks together to
the terminal's width, so long option names were cut (`--override-definiti…`) at 80 columns and
worse below; click's formatter wraps only the descriptions (a name longer than the column puts its
description on the next line). Commands are listed with their whole first paragraph, wrapped, where
click would cut it at 45 characters with `...`.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperGroup


def summary(command: object) -> str:
    """A command's first help paragraph, on one line (what the command list shows)."""
    text = getattr(command, "short_help", None) or getattr(command, "help", None) or ""
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


class Group(TyperGroup):
    """For `typer.Typer(cls=Group, rich_markup_mode=None)`: the root app and each command group."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
