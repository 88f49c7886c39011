"""`--help` of every command: option names whole at any width, no type placeholder after a flag."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
import typer
from typer.core import TyperOption

from veladdon.cli.main import app, run

Capture = pytest.CaptureFixture[str]


class Command(Protocol):
    """What the test reads of a click command. typer 0.28 bundles its own copy of click (typer._click)
    and earlier releases use click itself, so `click.Command`/`click.Option` name the wrong classes
    there: options are recognised as typer's TyperOption, a subclass of whichever click typer uses."""

    hidden: bool
    params: list[Any]


def _commands() -> Iterator[tuple[list[str], Command]]:
    def walk(path: list[str], command: Command) -> Iterator[tuple[list[str], Command]]:
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if not sub.hidden:
                yield from walk([*path, name], sub)

    yield from walk([], typer.main.get_command(app))


COMMANDS = list(_commands())


def _options(command: Command) -> list[TyperOption]:
    return [p for p in command.params if isinstance(p, TyperOption) and not p.hidden]


def _help(capsys: Capture, path: list[str]) -> str:
    assert run([*path, "--help"]) == 0
    return capsys.readouterr().out


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"enable", "upgrade", "lint", "registry add", "registry list", "repo index"} <= names
    # The option checks below see the options (a class check against the wrong click saw none).
    lint = next(command for path, command in COMMANDS if path == ["lint"])
    assert "--strict" in {name for option in _options(lint) for name in option.opts}


@pytest.mark.parametrize("columns", ["80", "60", None])
@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "veladdon" for p, _ in COMMANDS])
def test_help_shows_option_names_whole_and_flags_without_metavar(
    capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
    columns: str | None,
    path: list[str],
    command: Command,
) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)  # and stdout is no terminal under capsys
    else:
        monkeypatch.setenv("COLUMNS", columns)
    out = _help(capsys, path)
    assert "…" not in out
    assert not re.search(r"\w-$", out, re.MULTILINE), out  # no word broken at a hyphen (--list-/rules)
    assert not re.search(r"<bool>|BOOLEAN|<str>|<int>|<path>", out, re.IGNORECASE), out
    if columns is not None:
        assert max(len(line) for line in out.splitlines()) <= int(columns), out
    for param in _options(command):
        for name in (*param.opts, *param.secondary_opts):
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out), f"{name} cut in:\n{out}"
        if param.is_flag:
            # The option's own row (its names first, indented two, under Options:), not a description
            # that mentions it.
            row = re.compile(rf"  {re.escape(param.opts[0])}(?![\w-])")
            line = next(line for line in out.split("Options:")[-1].splitlines() if row.match(line))
            after = line.split(param.opts[-1], 1)[-1].split("  ")[0]
            assert after.strip() in ("", "/ " + " / ".join(param.secondary_opts)), line


def test_command_list_is_not_cut(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = " ".join(_help(capsys, []).split("Commands:")[1].split())
    assert "..." not in out
    assert "diff Show what `enable` would change. Exit 0: nothing; 3: changes pending." in out
