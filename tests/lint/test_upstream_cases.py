"""Lint reports every case of issue 12 with its own rule: what render and enable refuse is an error,
what they accept with a warning is a finding too (tests/data/addons/, one fixture per case)."""

from __future__ import annotations

import pytest

from tests.conftest import ADDONS
from tests.lint.conftest import run_lint
from veladdon.cue.evaluator import Evaluator
from veladdon.lint.model import Severity

# fixture → (rule, severity, file:line, words in the message)
EXPECTED = {
    "app-no-kind": ("TP05", Severity.WARNING, "template.cue:3", "has no apiVersion and no kind"),
    "app-wrong-kind": ("TP02", Severity.ERROR, "template.cue:5", 'kind "Deployment" are ignored'),
    "version-not-semver": ("MD08", Severity.WARNING, "metadata.yaml:2", "not a semantic version"),
    "trait-unknown-spec-field": ("DF05", Severity.ERROR, "definitions/labels.cue:7", "KubeVela v1.10"),
    "definition-undeclared-parameter": (
        "DF06",
        Severity.ERROR,
        "definitions/web.cue:14",
        'reference "parameter" not found',
    ),
    "outputs-no-apiversion": ("TP04", Severity.ERROR, "template.cue:9", "has no apiVersion"),
    "outputs-no-kind": ("TP04", Severity.ERROR, "template.cue:9", "has no kind"),
    "outputs-no-name": ("TP04", Severity.ERROR, "template.cue:9", "has no metadata.name"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_case_is_reported_with_its_rule(name: str, lint_evaluator: Evaluator) -> None:
    rule, severity, where, words = EXPECTED[name]
    report = run_lint([ADDONS / name], lint_evaluator)
    findings = [
        (f.rule, f.severity, f"{f.file.split(name + '/', 1)[-1]}:{f.line}", f.message)
        for f in report.findings
    ]
    assert len(findings) == 1, findings
    got_rule, got_severity, got_where, message = findings[0]
    assert (got_rule, got_severity, got_where) == (rule, severity, where)
    assert words in message
    assert "_veladdon" not in message and "None" not in message
    assert report.failed(strict=True)
    assert report.failed() == (severity is Severity.ERROR)


def test_config_template_render_accepts_is_clean(lint_evaluator: Evaluator) -> None:
    """The terraform-provider shape: upstream and render accept it, so lint has nothing to say."""
    report = run_lint([ADDONS / "config-template-interpolation"], lint_evaluator)
    assert list(report.findings) == []
