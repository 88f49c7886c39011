"""Every rule: a fixture that triggers it (a small mutation of the clean addon) and one that does not
(the clean addon itself, plus near misses for the heuristic rules)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.lint.conftest import CLEAN, DATA, EXAMPLE, run_lint
from veladdon.cue.evaluator import Evaluator
from veladdon.lint import Finding, LintReport, all_rules

Files = dict[str, str | bytes | None]  # path in the addon → new content (None deletes)


@dataclass(frozen=True)
class Case:
    files: Files
    file: str  # where the finding must point (relative to the addon; "" = the folder)
    line: int | None = None
    contains: str = ""
    rename: str | None = None
    extra_rules: tuple[str, ...] = field(default=())


TEMPLATE = (CLEAN / "template.cue").read_text()
PARAMETER = (CLEAN / "parameter.cue").read_text()
WEB = (CLEAN / "resources" / "web.cue").read_text()
DEPLOYMENT = (CLEAN / "resources" / "deployment.yaml").read_text()
HELLO = (CLEAN / "definitions" / "hello.cue").read_text()
META = (CLEAN / "metadata.yaml").read_text()

CASES: dict[str, Case] = {
    "ST01": Case({"metadata.yaml": None}, "", contains="no metadata.yaml"),
    "ST02": Case({}, "metadata.yaml", 1, "named 'renamed'", rename="renamed"),
    "ST03": Case({"resources/service.json": "{}"}, "resources/service.json", contains="only .cue, .yaml"),
    "ST04": Case({"README.md": None}, "", contains="README.md"),
    "ST05": Case({"resources/bad.yaml": b"kind: \xff\xfe\n"}, "resources/bad.yaml", contains="UTF-8"),
    "MD01": Case({"metadata.yaml": "name: [clean-addon\nversion: 1.0.0\n"}, "metadata.yaml", 2),
    "MD02": Case(
        {"metadata.yaml": META.replace("name: clean-addon", "name: Clean_Addon")}, "metadata.yaml", 1
    ),
    "MD03": Case(
        {"metadata.yaml": META.replace("version: 1.0.0", "version: 1.0.0+build.1")},
        "metadata.yaml",
        2,
        "cannot be a Kubernetes label value",
    ),
    "MD04": Case(
        {"metadata.yaml": META.replace('kubernetes: ">=1.26"', 'kubernetes: ">>=1.26"')}, "metadata.yaml", 13
    ),
    "MD05": Case(
        {"metadata.yaml": META.replace('version: ">=1.0.0"', 'version: "~>>1"')},
        "metadata.yaml",
        10,
        "fluxcd",
    ),
    "MD06": Case(
        {"metadata.yaml": META + "dependancies: []\n"}, "metadata.yaml", 14, "did you mean 'dependencies'"
    ),
    "MD07": Case(
        {"metadata.yaml": META + "deployTo:\n  runtimeCluster: true\n"}, "metadata.yaml", 14, "template.cue"
    ),
    "MD08": Case(
        {"metadata.yaml": META.replace("version: 1.0.0", "version: v1beta2-1.3.8-3.1.1")},
        "metadata.yaml",
        2,
        "'v1beta2-1.3.8-3.1.1' is not a semantic version",
    ),
    "PA01": Case(
        {"parameter.cue": 'parameter: {\n\t//+usage=x\n\tx: int & "a"\n}\n'},
        "parameter.cue",
        3,
        "conflicting",
    ),
    "PA02": Case(
        {"parameter.cue": PARAMETER.replace("\t//+usage=Number of replicas\n", "\t// replicas\n")},
        "parameter.cue",
        5,
        "`replicas`",
    ),
    "PA03": Case(
        {"parameter.cue": PARAMETER.replace("}\n", "\t//+usage=API token\n\ttoken: string\n}\n")},
        "parameter.cue",
        11,
        "`token`",
    ),
    "PA04": Case(
        {"parameter.cue": PARAMETER.replace('*"nginx:1.25" | string', "string")},
        "parameter.cue",
        3,
        "`image` is required",
    ),
    "PA05": Case({"ci/bad-values.yaml": "replicas: three\n"}, "parameter.cue", 5, "ci/bad-values.yaml"),
    "TP01": Case(
        {"resources/web.cue": WEB.replace("cmd:      _args", "cmd: _nowhere")}, "resources/web.cue", 11
    ),
    "TP02": Case(
        {"resources/web.cue": WEB.replace('type: "webservice"', "")}, "resources/web.cue", 6, "no type"
    ),
    "TP03": Case(
        {
            "template.cue": TEMPLATE.replace(
                "components: [webComponent]", "components: [webComponent, webComponent]"
            )
        },
        "resources/web.cue",
        6,
        "'web'",
    ),
    "TP04": Case(
        {"template.cue": TEMPLATE + 'outputs: broken: {kind: "ConfigMap"}\n'},
        "template.cue",
        41,
        "outputs.broken has no apiVersion, no metadata.name",
    ),
    "TP05": Case(
        {
            "template.cue": TEMPLATE.replace(
                'kind:       "Application"', 'kind: "Application"\n\tmetadata: name: "x"'
            )
        },
        "template.cue",
        contains="will be overwritten",
    ),
    "RS01": Case(
        {
            "resources/two.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
            + "---\nkind: ConfigMap\n"
        },
        "resources/two.yaml",
        6,
        "2 YAML documents",
    ),
    "RS02": Case(
        {"resources/deployment.yaml": DEPLOYMENT.replace("replicas: 1", "replicas: one")},
        "resources/deployment.yaml",
        7,
        "'one' is not of type 'integer'",
    ),
    "RS03": Case(
        {"resources/deployment.yaml": DEPLOYMENT.replace("  replicas: 1", "  replica: 1")},
        "resources/deployment.yaml",
        7,
        "'replica'",
    ),
    "RS04": Case(
        {"template.cue": TEMPLATE.replace('data: rules: "[{', 'data: rules: "[[{')},
        "template.cue",
        contains="not valid JSON",
    ),
    "DF01": Case(
        {"definitions/hello.cue": HELLO.replace('"trait"', '"gadget"')}, "definitions/hello.cue", 1, "gadget"
    ),
    "DF02": Case(
        {"definitions/hello.cue": HELLO.replace('"-" + context.name', '"-" + undefinedThing')},
        "definitions/hello.cue",
        11,
        "undefinedThing",
    ),
    "DF03": Case(
        {
            "definitions/hello.cue": 'import "vela/op"\n\n'
            + HELLO.replace("patch:", "_w: op.#Steps\n\tpatch:")
        },
        "definitions/hello.cue",
        1,
        "not checked",
    ),
    "DF04": Case(
        {
            "config-templates/token.cue": 'metadata: name: "token"\n'
            + 'template: {\n\toutput: {apiVersion: "v1", kind: "Secret", stringData: t: "t: " + paramter.t}\n'
            + "\tparameter: t: string\n}\n"
        },
        "config-templates/token.cue",
        3,
        'reference "paramter" not found',
    ),
    "DF05": Case(
        {"definitions/hello.cue": HELLO.replace("podDisruptive: false", 'workload: type: "autodetects"')},
        "definitions/hello.cue",
        6,
        'json: unknown field "workload"',
    ),
    "DF06": Case(
        {
            "definitions/hello.cue": HELLO.replace("parameter.greeting", "_p.greeting").replace(
                "\tparameter: {", "\t_p: #p & parameter\n\t#p: {"
            )
        },
        "definitions/hello.cue",
        12,
        'reference "parameter" not found',
    ),
    "CU01": Case(
        {
            "template.cue": TEMPLATE.replace(
                'list.Concat([["--port=8080"], parameter.extraArgs])',
                'list.Concat([["a"]]) + parameter.extraArgs',
            )
        },
        "template.cue",
        25,
        'list.Concat([list.Concat([["a"]]), parameter.extraArgs])',
    ),
    "CU02": Case(
        {"resources/web.cue": WEB.replace('import "strings"', 'import (\n\t"strings"\n\t"strconv"\n)')},
        "resources/web.cue",
        5,
        '"strconv"',
    ),
    "CU03": Case(
        {"resources/web.cue": WEB.replace('name: "web"', 'name: "web')},
        "resources/web.cue",
        6,
        "not terminated",
    ),
}


def apply(addon: Path, case: Case) -> Path:
    for rel, content in case.files.items():
        target = addon / rel
        if content is None:
            target.unlink()
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    if case.rename:
        addon = addon.rename(addon.with_name(case.rename))
    return addon


@pytest.fixture(scope="module")
def clean_report(lint_evaluator: Evaluator) -> LintReport:
    return run_lint([CLEAN], lint_evaluator)


def test_every_rule_has_a_case() -> None:
    ids = {r.id for r in all_rules()}
    assert ids - {"VB01"} == set(CASES)  # VB01 needs git: tests/lint/test_cli.py (--since)


def test_clean_addon_has_no_findings(clean_report: LintReport) -> None:
    """Every rule with a case ran on the clean addon, and none of them (nor any other) found anything."""
    assert set(CASES) - {r.id for r in clean_report.rules} == set()
    assert clean_report.findings == []
    assert not clean_report.failed(strict=True)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_triggered(rule: str, clean_copy: Path, lint_evaluator: Evaluator) -> None:
    case = CASES[rule]
    addon = apply(clean_copy, case)
    report = run_lint([addon], lint_evaluator, select=[rule])
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"{rule} not reported; got {report.findings}"
    first = found[0]
    assert first.severity.value in ("error", "warning", "info")
    want = (addon / case.file) if case.file else addon
    assert Path(first.file).resolve() == want.resolve(), first
    if case.line is not None:
        assert first.line == case.line, first
    assert case.contains in first.message, first
    assert {f.rule for f in report.findings} == {rule}  # --select keeps the others quiet


def test_example_addon_is_clean(lint_evaluator: Evaluator) -> None:
    report = run_lint([EXAMPLE], lint_evaluator)
    assert report.findings == []


def test_broken_addon_from_the_issue(lint_evaluator: Evaluator) -> None:
    """Unused import, a field never set, list arithmetic: what the public catalog shipped."""
    report = run_lint([DATA / "catalog" / "addons" / "example-cue"], lint_evaluator)
    rules = {(f.rule, Path(f.file).name, f.line) for f in report.findings}
    assert ("CU02", "template.cue", 3) in rules
    assert ("CU01", "template.cue", 14) in rules
    assert any(rule == "TP01" for rule, _, _ in rules)
    assert report.failed()


def _findings(report: LintReport, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def test_list_arithmetic_near_misses(clean_copy: Path, lint_evaluator: Evaluator) -> None:
    (clean_copy / "resources" / "extra.cue").write_text(
        'package main\n\n_s: "a" + "b"\n_n: 1 + 2 * 3\n_d: *"x" | string\n_j: _s + "-" + _title\n'
    )
    report = run_lint([clean_copy], lint_evaluator, select=["CU01"])
    assert _findings(report, "CU01") == []


def test_import_used_in_interpolation_is_used(clean_copy: Path, lint_evaluator: Evaluator) -> None:
    (clean_copy / "resources" / "extra.cue").write_text(
        'package main\n\nimport "strings"\n\n_x: "v-\\(strings.ToUpper("a"))"\n'
    )
    report = run_lint([clean_copy], lint_evaluator, select=["CU02"])
    assert _findings(report, "CU02") == []


def test_kube_version_changes_the_schema(clean_copy: Path, lint_evaluator: Evaluator) -> None:
    """A field added in a later Kubernetes release is unknown to an older schema."""
    deployment = clean_copy / "resources" / "deployment.yaml"
    text = deployment.read_text().replace("      containers:", "      resources: {}\n      containers:")
    deployment.write_text(text)
    old = run_lint([clean_copy], lint_evaluator, select=["RS03"], kube_version="1.31")
    new = run_lint([clean_copy], lint_evaluator, select=["RS03"], kube_version="1.34")
    assert [f.message for f in _findings(old, "RS03")] and "Kubernetes 1.31" in _findings(old, "RS03")[
        0
    ].message
    assert _findings(new, "RS03") == []


def test_load_error_still_runs_folder_rules(clean_copy: Path, lint_evaluator: Evaluator) -> None:
    (clean_copy / "metadata.yaml").write_text("name: clean-addon\nversion: 1.0 beta\n")
    (clean_copy / "README.md").unlink()
    report = run_lint([clean_copy], lint_evaluator)
    assert {f.rule for f in report.findings} == {"MD03", "ST04"}


def test_catalog_layout_finds_every_addon(tmp_path: Path, lint_evaluator: Evaluator) -> None:
    for where in ("addons/clean-addon", "experimental/addons/clean-addon"):
        shutil.copytree(CLEAN, tmp_path / where)
    (tmp_path / "addons" / "half-done").mkdir()
    (tmp_path / "addons" / "half-done" / "template.cue").write_text("package main\n")
    report = run_lint([tmp_path], lint_evaluator, select=["ST"], cwd=tmp_path)
    assert [a.path for a in report.addons] == [
        "addons/clean-addon",
        "addons/half-done",
        "experimental/addons/clean-addon",
    ]
    assert [(f.rule, f.file) for f in report.findings] == [
        ("ST01", "addons/half-done"),
        ("ST04", "addons/half-done"),
    ]
