"""Turning a LintReport into text for people, JSON, SARIF 2.1.0 and GitHub annotations, and the rule
list into text, JSON or the Markdown of docs/rules.md. Pure functions of their input: byte-stable."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from veladdon import __version__
from veladdon.lint.model import Finding, LintReport, Rule, Severity
from veladdon.lint.ruleset import AREAS
from veladdon.wording import plural

FORMATS = ("text", "json", "sarif", "github")
RULE_FORMATS = ("text", "json", "markdown")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def format_text(report: LintReport, *, color: bool = False) -> str:
    """Findings grouped per addon (clean addons listed once at the end), then a summary line."""

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    clean = []
    for addon in report.addons:
        if not addon.findings:
            clean.append(addon.path)
            continue
        lines.append(paint(addon.path, _BOLD))
        for f in sorted(addon.findings, key=Finding.sort_key):
            where = f.location()
            if where.startswith(addon.path + "/"):
                where = where[len(addon.path) + 1 :]
            elif where == addon.path:
                where = "./"
            sev = paint(f"{f.severity.value:<7}", _COLORS[f.severity])
            message = " ".join(f.message.split())  # one line per finding, whatever CUE printed
            lines.append(f"  {where}: {sev} {paint(f.rule, _DIM)} {message}")
        lines.append("")
    if clean:
        lines.append(f"clean: {', '.join(clean)}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_line(report: LintReport) -> str:
    """`1 error, 0 warnings, 2 infos in 3 addons`: the text report's last line."""
    s = report.summary
    counts = [plural(s.errors, "error"), plural(s.warnings, "warning"), plural(s.infos, "info")]
    return f"{', '.join(counts)} in {plural(s.addons, 'addon')}"


def format_json(report: LintReport) -> str:
    data = {
        "findings": [f.to_json() for f in report.findings],
        "summary": report.summary.to_json(),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def artifact_location(file: str) -> dict[str, str]:
    """A path under the working directory (how lint shows those) is a relative URI under %SRCROOT%;
    any other path is shown absolute and becomes an absolute `file://` URI, claiming no base."""
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


def sarif_document(report: LintReport) -> dict[str, Any]:
    """SARIF 2.1.0 with every active rule in `tool.driver.rules` and a `results` array even when empty
    (GitHub code scanning rejects a run without one)."""
    index = {rule.id: i for i, rule in enumerate(report.rules)}
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.details},
            "help": {"text": rule.details, "markdown": f"{rule.details}\n\nSee docs/rules.md#{rule.anchor}."},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"tags": [rule.area]},
        }
        for rule in report.rules
    ]
    results = []
    for f in report.findings:
        location: dict[str, Any] = {"artifactLocation": artifact_location(f.file)}
        if f.line is not None:
            region: dict[str, int] = {"startLine": f.line}
            if f.col is not None:
                region["startColumn"] = f.col
            location["region"] = region
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": location}],
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "veladdon",
                        "semanticVersion": __version__,
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def format_sarif(report: LintReport) -> str:
    return json.dumps(sarif_document(report), indent=2, sort_keys=True) + "\n"


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(report: LintReport) -> str:
    """GitHub Actions workflow commands: one `::error file=…,line=…,col=…,title=RULE::message` each."""
    lines = []
    for f in report.findings:
        props = [f"file={_escape_property(f.file)}"]
        if f.line is not None:
            props.append(f"line={f.line}")
            if f.col is not None:
                props.append(f"col={f.col}")
        props.append(f"title={_escape_property(f.rule)}")
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)


def format_report(report: LintReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return format_json(report)
    if fmt == "sarif":
        return format_sarif(report)
    if fmt == "github":
        return format_github(report)
    return format_text(report, color=color)


# --- the rule list -----------------------------------------------------------------------------------


def rules_text(rules: Sequence[Rule]) -> str:
    width = max((len(r.name) for r in rules), default=0)
    return "".join(f"{r.id}  {r.name:<{width}}  {r.severity.value:<7}  {r.summary}\n" for r in rules)


def rules_json(rules: Sequence[Rule]) -> str:
    data = [
        {"id": r.id, "name": r.name, "severity": r.severity.value, "area": r.area, "summary": r.summary}
        for r in rules
    ]
    return json.dumps(data, indent=2) + "\n"


def rules_markdown(rules: Sequence[Rule]) -> str:
    """docs/rules.md, generated from the registry (`veladdon lint --list-rules --format markdown`)."""
    out = [
        "# veladdon lint rules",
        "",
        "<!-- Generated by `veladdon lint --list-rules --format markdown` (scripts/gen_rules_doc.py); "
        "do not edit by hand: a test compares this file with the rules. -->",
        "",
        "Severities: **error** fails `veladdon lint` (exit 1); **warning** fails it with `--strict`; "
        "**info** never fails it. Select or skip rules with `--select`/`--ignore` and an ID (`CU01`), "
        "a name (`cue.list-arithmetic`), an ID prefix (`CU`) or an area (`cue`). See [lint.md](lint.md) "
        "for running lint in CI.",
        "",
        "| ID | name | severity | checks |",
        "|---|---|---|---|",
    ]
    for r in rules:
        out.append(f"| [{r.id}](#{r.anchor}) | `{r.name}` | {r.severity.value} | {_md_cell(r.summary)} |")
    for area in AREAS:
        in_area = [r for r in rules if r.area == area]
        if not in_area:
            continue
        out += ["", f"## {area}"]
        for r in in_area:
            out += [
                "",
                f"### {r.id}",
                "",
                f"`{r.name}` · **{r.severity.value}** · {r.summary}.",
                "",
                r.details,
            ]
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def format_rules(rules: Sequence[Rule], fmt: str) -> str:
    if fmt == "json":
        return rules_json(rules)
    if fmt == "markdown":
        return rules_markdown(rules)
    return rules_text(rules)


__all__ = [
    "FORMATS",
    "RULE_FORMATS",
    "format_github",
    "format_json",
    "format_report",
    "format_rules",
    "format_sarif",
    "format_text",
    "rules_markdown",
    "sarif_document",
]
