"""A deliberately slow addon, and a veladdon subprocess caught in the middle of evaluating it: for the
tests of Ctrl-C and of the CUE timeout."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest


def slow_addon(folder: Path, size: int = 300) -> Path:
    """An addon whose template takes several seconds to evaluate on every CUE release (a size × size
    comprehension: about 9 s for cue v0.9.2, far longer for the WASM build)."""
    folder.mkdir(parents=True)
    (folder / "metadata.yaml").write_text(f"name: {folder.name}\nversion: 1.0.0\n")
    (folder / "template.cue").write_text(
        'package main\n\nimport "list"\n\n'
        f"_n: {size}\n"
        '_x: [for i in list.Range(0, _n, 1) for j in list.Range(0, _n, 1) {a: i * j, b: "\\(i)-\\(j)"}]\n\n'
        "output: {\n"
        '\tapiVersion: "core.oam.dev/v1beta1"\n'
        '\tkind:       "Application"\n'
        '\tmetadata: annotations: size: "\\(len(_x))"\n'
        "\tspec: components: []\n"
        "}\n"
    )
    return folder


def start_evaluating(args: list[str], tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`veladdon ARGS` in a subprocess, returned once CUE is evaluating (its temporary folder exists).
    Polls with a generous bound: on a loaded 2-core machine start-up can take seconds."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "veladdon", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + 60
    while not any(scratch.glob("veladdon-cue-*/*.cue")):
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate()
            pytest.fail(f"veladdon did not start evaluating (exit {proc.returncode}): {err or out}")
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the evaluation, which takes seconds
    return proc


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
