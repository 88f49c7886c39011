"""`veladdon lint`: rules with stable IDs over addon folders, run in parallel, cached, reported as text,
JSON, SARIF or GitHub annotations. No cluster is contacted."""

from veladdon.lint.engine import discover, lint_paths
from veladdon.lint.model import AddonResult, Finding, LintReport, Rule, Severity, Summary
from veladdon.lint.ruleset import all_rules, select_rules

__all__ = [
    "AddonResult",
    "Finding",
    "LintReport",
    "Rule",
    "Severity",
    "Summary",
    "all_rules",
    "discover",
    "lint_paths",
    "select_rules",
]
