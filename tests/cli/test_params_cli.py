"""`veladdon params` as a user and a CI job run it: the listing in three formats, the README table and
its check, and one line per bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE
from veladdon.cli.main import run
from veladdon.render.params import README_END, README_START

# Every test here evaluates CUE: once per release of the evaluator matrix.
pytestmark = pytest.mark.usefixtures("cue_release")

Capture = pytest.CaptureFixture[str]


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def addon(tmp_path: Path, capsys: Capture) -> Path:
    """A fresh scaffold (its README table is in step with its parameter.cue)."""
    code = run(["init", "demo", "-p", str(tmp_path / "demo")])
    capsys.readouterr()
    assert code == 0
    return tmp_path / "demo"


def test_table_of_the_example(capsys: Capture) -> None:
    code, out, err = veladdon(capsys, "params", str(EXAMPLE))
    assert code == 0, err
    header, image, namespace, clusters = out.splitlines()
    assert header.split() == ["NAME", "TYPE", "DEFAULT", "REQUIRED", "USAGE"]
    assert image.split(None, 4) == [
        "image",
        "string",
        '"quay.io/spotahome/redis-operator:v1.1.0"',
        "no",
        "Container image of the Redis Operator",
    ]
    assert namespace.split(None, 4)[:4] == ["namespace", "string", "unset", "no"]
    assert clusters.split(None, 4)[:4] == ["clusters", "[...string]", "unset", "no"]
    assert clusters.endswith("empty or unset means all clusters")


def test_json_shape_of_the_example(capsys: Capture) -> None:
    code, out, _ = veladdon(capsys, "params", str(EXAMPLE), "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["addon"] == "redis-operator" and data["file"] == "parameter.cue"
    image, namespace, clusters = data["parameters"]
    assert image == {
        "name": "image",
        "type": "string",
        "required": False,
        "optional": False,
        "hasDefault": True,
        "default": "quay.io/spotahome/redis-operator:v1.1.0",
        "usage": "Container image of the Redis Operator",
        "enum": None,
    }
    assert (namespace["optional"], namespace["hasDefault"], namespace["default"]) == (True, False, None)
    assert (clusters["type"], clusters["optional"]) == ("[...string]", True)
    code, again, _ = veladdon(capsys, "params", str(EXAMPLE), "-o", "json")
    assert again == out  # deterministic
    code, out, _ = veladdon(capsys, "params", str(EXAMPLE), "-o", "yaml")
    assert yaml.safe_load(out) == data


def test_markdown_and_check_readme(capsys: Capture, addon: Path) -> None:
    code, table, _ = veladdon(capsys, "params", str(addon), "--markdown")
    assert code == 0
    assert table.startswith("| name | type | default | required | description |\n|---|---|---|---|---|\n")
    assert '| `message` | `string` | `"Hello from the demo addon"` | no |' in table
    readme = (addon / "README.md").read_text()
    assert f"{README_START}\n{table}{README_END}" in readme
    code, out, _ = veladdon(capsys, "params", str(addon), "--check-readme")
    assert code == 0 and "up to date" in out


def test_stale_readme_fails_the_check_until_written(capsys: Capture, addon: Path) -> None:
    param = addon / "parameter.cue"
    param.write_text(
        param.read_text().replace("parameter: {", "parameter: {\n\t//+usage=Replicas\n\treplicas: *2 | int")
    )
    code, out, err = veladdon(capsys, "params", str(addon), "--check-readme")
    assert code == 1
    assert "+| `replicas` | `int` | `2` | no | Replicas |" in out  # a diff on stdout
    assert err.startswith("Error: README.md: the parameter table is out of date; run `veladdon params")
    assert "--write-readme" in err
    before = (addon / "README.md").read_text()
    code, _, err = veladdon(capsys, "params", str(addon), "--write-readme")
    assert code == 0 and "updated the parameter table" in err
    after = (addon / "README.md").read_text()
    assert after.split(README_START)[0] == before.split(README_START)[0]  # the prose is untouched
    assert after.split(README_END)[1] == before.split(README_END)[1]
    code, _, _ = veladdon(capsys, "params", str(addon), "--check-readme")
    assert code == 0


def test_readme_without_markers(capsys: Capture, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "redis-operator")
    root = tmp_path / "redis-operator"
    (root / "README.md").write_text("# redis-operator\n\nHighly available Redis.\n")
    code, _, err = veladdon(capsys, "params", str(root), "--check-readme")
    assert code == 1 and f"no parameter table (no {README_START} marker)" in err
    code, _, err = veladdon(capsys, "params", str(root), "--write-readme")
    assert code == 0 and "added the parameter table" in err
    text = (root / "README.md").read_text()
    assert text.startswith("# redis-operator\n\nHighly available Redis.\n\n## Parameters\n\n")
    assert text.endswith(f"{README_END}\n")
    assert veladdon(capsys, "params", str(root), "--check-readme")[0] == 0
    (root / "README.md").unlink()
    code, _, err = veladdon(capsys, "params", str(root), "--check-readme")
    assert code == 1 and "no README.md" in err
    assert veladdon(capsys, "params", str(root), "--write-readme")[0] == 0
    assert (root / "README.md").read_text().startswith("# redis-operator\n\n## Parameters\n")


def test_addon_without_parameters(capsys: Capture, tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    (root / "metadata.yaml").write_text("name: bare\nversion: 1.0.0\n")
    code, out, err = veladdon(capsys, "params", str(root))
    assert code == 0 and out == "" and "bare takes no parameters (no parameter.cue)" in err
    code, out, _ = veladdon(capsys, "params", str(root), "-o", "json")
    assert json.loads(out) == {"addon": "bare", "file": None, "parameters": []}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["params", "no/such/addon"], "does not exist"),
        (["params", "{addon}", "--markdown", "-o", "json"], "--markdown and -o cannot be combined"),
        (["params", "{addon}", "--check-readme", "--write-readme"], "cannot be combined"),
        (["params", "{broken}"], "broken/parameter.cue:4:3: parameter schema does not compile: missing ','"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: Capture, addon: Path, args: list[str], message: str
) -> None:
    broken = addon.parent / "broken"
    shutil.copytree(addon, broken)
    (broken / "parameter.cue").write_text("parameter: {\n\ta: *1 | int\n\tb: 1 +\n\tc: 2\n}\n")
    argv = [a.format(addon=addon, broken=broken) for a in args]
    code, out, err = veladdon(capsys, *argv)
    assert code == 2
    assert err.startswith("Error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""
