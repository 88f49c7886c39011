"""docs/tutorial.md is run, not just read: every `shell` block in order, in a fresh folder, and every
`text` block after one is output that block must print. The doc and the tool cannot drift apart.

A command ending in `# exits N` must exit N (the tutorial's deliberate mistakes); every other one must
succeed. In the output shown, `…` stands for the folder the tutorial runs in."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from veladdon.cli.main import run

# Every test here evaluates CUE: once per release of the evaluator matrix.
pytestmark = pytest.mark.usefixtures("cue_release")

TUTORIAL = ROOT / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(?P<info>[\w-]*)\n(?P<body>.*?)^```\n", re.DOTALL | re.MULTILINE)
HEREDOC = re.compile(r"<<-?\s*'?(?P<tag>\w+)'?")
EXITS = re.compile(r"#\s*exits\s+(?P<code>\d+)\s*$")
WORKDIR = "…"


@dataclass
class Step:
    commands: list[str]
    expected: list[str]


def steps(markdown: str) -> list[Step]:
    """The shell blocks, each with the `text` block that follows it (if any)."""
    result: list[Step] = []
    for match in FENCE.finditer(markdown):
        info, body = match.group("info"), match.group("body")
        if info == "shell":
            result.append(Step(split_commands(body), []))
        elif info == "text" and result and not result[-1].expected:
            result[-1].expected = [line for line in body.splitlines() if line.strip()]
    return result


def split_commands(body: str) -> list[str]:
    """One entry per command; a heredoc stays with its command."""
    commands: list[str] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        heredoc = HEREDOC.search(line)
        if heredoc:
            block = [line]
            while i < len(lines):
                block.append(lines[i])
                i += 1
                if lines[i - 1].strip() == heredoc.group("tag"):
                    break
            commands.append("\n".join(block) + "\n")
        else:
            commands.append(line)
    return commands


def test_the_tutorial_has_steps() -> None:
    found = steps(TUTORIAL.read_text(encoding="utf-8"))
    commands = [c for s in found for c in s.commands]
    assert commands[0] == "veladdon init hello-world"
    assert "veladdon lint --strict hello-world" in commands
    assert any(s.expected for s in found)


def test_the_tutorial_shows_its_mistakes_failing() -> None:
    """Each mistake the tutorial shows is one veladdon refuses, with the message shown after it."""
    found = steps(TUTORIAL.read_text(encoding="utf-8"))
    failing = [s for s in found if any(EXITS.search(c) for c in s.commands)]
    assert [c for s in failing for c in s.commands if EXITS.search(c)] == [
        "veladdon render hello-world   # exits 2",
        "veladdon render hello-world --set replicas=0   # exits 2",
    ]
    assert all(len(s.expected) == 1 and s.expected[0].startswith(f"Error: {WORKDIR}/") for s in failing)
    assert "image: 3" not in "".join(c for s in found for c in s.commands)


def test_tutorial_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / ".cache"))
    for step in steps(TUTORIAL.read_text(encoding="utf-8")):
        printed = ""
        for command in step.commands:
            if command.split(None, 1)[0] == "veladdon":
                code = run(
                    shlex.split(command, comments=True)[1:]
                )  # in-process: one CUE worker for the whole tutorial
                out, err = capsys.readouterr()
            else:
                done = subprocess.run(["bash", "-ec", command], capture_output=True, text=True, check=False)
                code, out, err = done.returncode, done.stdout, done.stderr
            marked = EXITS.search(command)
            wanted = int(marked.group("code")) if marked else 0
            assert code == wanted, f"`{command}` exited {code}, not {wanted}:\n{out}{err}"
            printed += (out + err).replace(str(tmp_path), WORKDIR)
        lines = printed.splitlines()
        for expected in step.expected:
            assert expected in lines, f"after {step.commands}: {expected!r} not printed:\n{printed}"
