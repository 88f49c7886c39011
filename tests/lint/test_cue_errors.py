"""Every CUE error of a failure is shown, each at its own file and line, once (issue 13, item 8): lint
reports one finding per error and a syntax error only once (CU03); render leads with the first error
and lists the others below it, up to ten errors in all."""

from __future__ import annotations

from pathlib import Path

import pytest

from veladdon.cli.main import run

# Every test here evaluates CUE: once per release of the evaluator matrix.
pytestmark = pytest.mark.usefixtures("cue_release")

Capture = pytest.CaptureFixture[str]

TEMPLATE = """package main

output: {
	apiVersion: "core.oam.dev/v1beta1"
	kind:       "Application"
	spec: {
%s
		components: []
	}
}
"""


def write_addon(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "metadata.yaml").write_text(f"name: {folder.name}\nversion: 1.0.0\ndescription: errors\n")
    (folder / "README.md").write_text("# errors\n")
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


def broken_template(folder: Path, count: int) -> Path:
    """A template.cue whose fields f0, f1... (lines 7, 8...) each refer to a name that does not exist."""
    fields = "\n".join(f"\t\tf{i}: ref{i}" for i in range(count))
    return write_addon(folder, {"template.cue": TEMPLATE % fields})


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if " error " in line]


def test_lint_reports_a_syntax_error_once(capsys: Capture, tmp_path: Path) -> None:
    addon = write_addon(
        tmp_path / "syntax",
        {"template.cue": (TEMPLATE % '\t\tname: "unterminated').replace("\t\tcomp", "\tcomp")},
    )
    code, out, _ = veladdon(capsys, "lint", "--no-cache", str(addon))
    assert code == 1
    assert error_lines(out) == [
        "template.cue:7:9: error   CU03 CUE syntax error: string literal not terminated"
    ]


def test_lint_reports_every_cue_error_at_its_own_line(capsys: Capture, tmp_path: Path) -> None:
    addon = broken_template(tmp_path / "two", 2)
    code, out, _ = veladdon(capsys, "lint", "--no-cache", str(addon))
    assert code == 1
    assert error_lines(out) == [
        'template.cue:7:7: error   TP01 output.spec.f0: reference "ref0" not found',
        'template.cue:8:7: error   TP01 output.spec.f1: reference "ref1" not found',
    ]
    assert "more" not in out


def test_render_shows_the_first_error_then_the_others(capsys: Capture, tmp_path: Path) -> None:
    addon = broken_template(tmp_path / "two", 2)
    code, out, err = veladdon(capsys, "render", str(addon))
    assert (code, out) == (2, "")
    assert err == (
        f'Error: {addon}/template.cue:7:7: CUE error: output.spec.f0: reference "ref0" not found\n'
        f'  {addon}/template.cue:8:7: output.spec.f1: reference "ref1" not found\n'
    )


def test_render_shows_ten_errors_then_how_many_more(capsys: Capture, tmp_path: Path) -> None:
    addon = broken_template(tmp_path / "many", 13)
    code, _, err = veladdon(capsys, "render", str(addon))
    lines = err.splitlines()
    assert code == 2 and len(lines) == 11
    assert (
        lines[0] == f'Error: {addon}/template.cue:7:7: CUE error: output.spec.f0: reference "ref0" not found'
    )
    assert lines[1:10] == [
        f'  {addon}/template.cue:{7 + i}:{7 if i < 10 else 8}: output.spec.f{i}: reference "ref{i}" not found'
        for i in range(1, 10)
    ]
    assert lines[10] == "  and 3 more errors"
    code, out, _ = veladdon(capsys, "lint", "--no-cache", str(addon))
    assert len(error_lines(out)) == 13  # lint lists them all


def test_parameter_schema_errors_each_once(capsys: Capture, tmp_path: Path) -> None:
    addon = write_addon(
        tmp_path / "params",
        {
            "parameter.cue": 'parameter: {\n\t//+usage=a\n\ta: 1 & 2\n\t//+usage=b\n\tb: int & "s"\n}\n',
            "template.cue": TEMPLATE % "\t\tx: parameter.a",
        },
    )
    code, out, _ = veladdon(capsys, "lint", "--no-cache", str(addon))
    assert code == 1
    pa01 = "error   PA01 parameter schema does not compile:"
    assert error_lines(out) == [
        f"parameter.cue:3:5: {pa01} parameter.a: conflicting values 2 and 1",
        f'parameter.cue:5:5: {pa01} parameter.b: conflicting values int and "s" (mismatched types int and '
        "string)",
    ]
    code, _, err = veladdon(capsys, "params", str(addon))
    assert (code, err) == (
        2,
        f"Error: {addon}/parameter.cue:3:5: parameter schema does not compile: parameter.a: conflicting "
        "values 2 and 1\n"
        f'  {addon}/parameter.cue:5:5: parameter.b: conflicting values int and "s" (mismatched types int and '
        "string)\n",
    )


def test_config_template_errors_each_at_its_line(capsys: Capture, tmp_path: Path) -> None:
    line = '\toutput: {apiVersion: "v1", kind: "Secret", stringData: {a: paramter.a, b: parameterr.b}}'
    template = f'metadata: name: "demo"\ntemplate: {{\n{line}\n\tparameter: {{a: string, b: string}}\n}}\n'
    first, second = line.index("paramter") + 1, line.index("parameterr") + 1
    addon = write_addon(
        tmp_path / "config",
        {"template.cue": TEMPLATE % "", "config-templates/demo.cue": template},
    )
    code, out, _ = veladdon(capsys, "lint", "--no-cache", str(addon))
    assert code == 1
    assert error_lines(out) == [
        f"config-templates/demo.cue:3:{first}: error   DF04 render the config template fail: the cue script "
        'is invalid: template.output.stringData.a: reference "paramter" not found',
        f"config-templates/demo.cue:3:{second}: error   DF04 template.output.stringData.b: reference "
        '"parameterr" not found',
    ]
