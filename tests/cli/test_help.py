"""`--help` of every command: option names whole at any width, no type placeholder after a flag."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
import typer

from veladdon.cli.main import app, run

Capture = pytest.CaptureFixture[str]


def _commands() -> Iterator[tuple[list[str], click.Command]]:
    def walk(path: list[str], command: click.Command) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if not sub.hidden:
                yield from walk([*path, name], sub)

    yield from walk([], typer.main.get_command(app))


COMMANDS = list(_commands())


def _help(capsys: Capture, path: list[str]) -> str:
    assert run([*path, "--help"]) == 0
    return capsys.readouterr().out


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"enable", "upgrade", "lint", "registry add", "registry list", "repo index"} <= names


@pytest.mark.parametrize("columns", ["80", "60", None])
@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "veladdon" for p, _ in COMMANDS])
def test_help_shows_option_names_whole_and_flags_without_metavar(
    capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
    columns: str | None,
    path: list[str],
    command: click.Command,
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
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        for name in (*param.opts, *param.secondary_opts):
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out), f"{name} cut in:\n{out}"
        if param.is_flag:
            line = next(line for line in out.splitlines() if re.search(rf"{param.opts[0]}\b", line))
            after = line.split(param.opts[-1], 1)[-1].split("  ")[0]
            assert after.strip() in ("", "/ " + " / ".join(param.secondary_opts)), line


def test_command_list_is_not_cut(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = " ".join(_help(capsys, []).split("Commands:")[1].split())
    assert "..." not in out
    assert "diff Show what `enable` would change. Exit 0: nothing; 3: changes pending." in out
