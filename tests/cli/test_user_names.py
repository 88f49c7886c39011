"""CUE errors say the user's own names, files and lines, never veladdon's holder keys (`_veladdon_r0`,
`#_veladdon_c0`, `_veladdon_t0`, `#_veladdon_p`...), in the same words on every CUE release: one addon
per way veladdon wraps user CUE, through render, lint and params (issue 13, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ADDONS
from veladdon.cli.main import run
from veladdon.cue.evaluator import CueFile, parse_diagnostics

# Every CLI test here evaluates CUE: once per release of the evaluator matrix.
Capture = pytest.CaptureFixture[str]

# (addon, file:line:col, what render says, what lint says, what params says or None when it succeeds)
CASES = [
    (
        "typo-resource",
        "resources/server.cue:5:31",
        "CUE error: output.properties.image: undefined field: imgae",
        "TP01 output.properties.image: undefined field: imgae",
        None,
    ),
    (
        "typo-definition",
        "definitions/labels.cue:8:27",
        "render addon definitions fail: fail to render definition: definitions/labels.cue in cue's format: "
        'template.patch.metadata.labels: reference "paramter" not found',
        "DF02 fail to render definition: definitions/labels.cue in cue's format: "
        'template.patch.metadata.labels: reference "paramter" not found',
        None,
    ),
    (
        "typo-config-template",
        "config-templates/registry.cue:13:22",
        "render the config template fail: the cue script is invalid: "
        'template.output.stringData.token: reference "paramter" not found',
        "DF04 render the config template fail: the cue script is invalid: "
        'template.output.stringData.token: reference "paramter" not found',
        None,
    ),
    (
        "typo-parameter",
        "parameter.cue:3:25",
        'parameter `image`: reference "strin" not found (declared as `*"nginx:1.27" | strin`; usage: '
        "Container image of the web server); set it with KEY=VALUE, --set KEY=VALUE or -f values.yaml",
        'PA01 parameter schema does not compile: parameter.image: reference "strin" not found',
        'parameter schema does not compile: parameter.image: reference "strin" not found',
    ),
]


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("cue_release")
@pytest.mark.parametrize(("name", "where", "render", "lint", "params"), CASES, ids=[c[0] for c in CASES])
def test_errors_name_what_the_user_wrote(
    capsys: Capture, name: str, where: str, render: str, lint: str, params: str | None
) -> None:
    addon = ADDONS / name
    code, out, err = veladdon(capsys, "render", str(addon))
    assert (code, out, err) == (2, "", f"Error: {addon}/{where}: {render}\n")

    code, out, err = veladdon(capsys, "lint", "--no-cache", str(addon))
    assert code == 1 and "_veladdon" not in out + err
    findings = [line.strip() for line in out.splitlines() if " error " in line]
    assert findings == [f"{where}: error   {lint}"]

    code, out, err = veladdon(capsys, "params", str(addon))
    assert "_veladdon" not in out + err
    if params is None:
        assert code == 0, err
    else:
        assert (code, err) == (2, f"Error: {addon}/{where}: {params}\n")


# What CUE prints about each holder kind, and what the user reads instead (the evaluator's mapping).
HOLDERS = [
    (("_veladdon_r0", ""), "_veladdon_r0.output.x: undefined field: y", "output.x: undefined field: y"),
    (
        ("_veladdon_t1", "template"),
        "_veladdon_t1.patch: conflicting values",
        "template.patch: conflicting values",
    ),
    (("_veladdon_d0", "my-trait"), "_veladdon_d0.attributes: incomplete", "my-trait.attributes: incomplete"),
    (("_veladdon_v0", ""), '_veladdon_v0.status: reference "x" not found', 'status: reference "x" not found'),
    (("#_veladdon_c0", ""), "#_veladdon_c0.template.output: cycle", "template.output: cycle"),
    (("_veladdon_w0", "template"), "_veladdon_w0.nacos.endpoint: x", "template.nacos.endpoint: x"),
    (("#veladdon_ct0", "template.parameter"), "#veladdon_ct0.a: x", "template.parameter.a: x"),
    (("#_veladdon_p", ""), "#_veladdon_p.parameter.a: x", "parameter.a: x"),
    (("#veladdon_parameter", "parameter"), "#veladdon_parameter.a: x", "parameter.a: x"),
    (
        ("#_veladdon_p", ""),
        'openapi: components.schemas."_veladdon_p".properties.parameter.properties.a.default: x',
        "openapi: parameter.a.default: x",
    ),
]


@pytest.mark.parametrize(("holder", "printed", "shown"), HOLDERS, ids=[h[0][0] for h in HOLDERS])
def test_every_holder_key_reads_as_the_users_name(
    tmp_path: Path, holder: tuple[str, str], printed: str, shown: str
) -> None:
    files = [CueFile("a.cue", "", origin="/addon/a.cue", holders=(holder,))]
    [diag] = parse_diagnostics(f"{printed}:\n    ./a.cue:3:4\n", files, tmp_path)
    assert diag.message == shown
    assert diag.primary is not None and (diag.primary.file, diag.primary.line) == ("/addon/a.cue", 3)


def test_holders_of_ten_and_more_are_not_confused(tmp_path: Path) -> None:
    files = [CueFile("a.cue", "", holders=(("_veladdon_r1", "one"), ("_veladdon_r10", "")))]
    [diag] = parse_diagnostics("_veladdon_r10.output: x and _veladdon_r1.output\n", files, tmp_path)
    assert diag.message == "output: x and one.output"
