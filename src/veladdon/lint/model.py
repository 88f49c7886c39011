"""What lint produces: rules with stable IDs, findings with positions, and the report over many addons."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from veladdon.jsonable import Jsonable, json_field


class Severity(StrEnum):
    """Ordered by weight: `error` fails a run, `warning` fails it with `--strict`, `info` never does."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Rule:
    """One check. `id` never changes once released (users write it in `--ignore`); `name` is an alias."""

    id: str
    name: str
    severity: Severity
    summary: str  # one line, no trailing period: shown by --list-rules and in SARIF
    details: str  # a paragraph for docs/rules.md: what is checked, why, and how to fix it
    area: str  # the docs section: Structure, Metadata, ...
    needs: frozenset[str] = frozenset()  # what the rule reads beyond the folder: "addon", "cue", "git"

    @property
    def anchor(self) -> str:
        return self.id.lower()


@dataclass(frozen=True)
class Finding(Jsonable):
    """One problem. `file` is shown as given to users (relative to the working directory when under it)."""

    file: str
    line: int | None
    col: int | None
    rule: str
    message: str
    severity: Severity = field(compare=False)
    addon: str = field(
        default="", compare=False, metadata=json_field(skip=True)
    )  # the addon folder, as shown

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line or 0, self.col or 0, self.rule, self.message)

    def location(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc


@dataclass(frozen=True)
class AddonResult:
    """The findings of one addon folder, and whether they came from the cache."""

    path: str  # the addon folder, as shown
    findings: tuple[Finding, ...]
    cached: bool = False


@dataclass(frozen=True)
class Summary(Jsonable):
    addons: int
    errors: int
    warnings: int
    infos: int


@dataclass(frozen=True)
class LintReport:
    """Every addon linted in one run, in path order, with the rules that were active."""

    addons: tuple[AddonResult, ...]
    rules: tuple[Rule, ...]

    @property
    def findings(self) -> list[Finding]:
        return sorted((f for a in self.addons for f in a.findings), key=Finding.sort_key)

    @property
    def summary(self) -> Summary:
        counts = {s: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity] += 1
        return Summary(
            len(self.addons), counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO]
        )

    def failed(self, strict: bool = False) -> bool:
        """Exit 1 when this is true: any error, or with `strict` any warning."""
        summary = self.summary
        return summary.errors > 0 or (strict and summary.warnings > 0)


__all__ = ["AddonResult", "Finding", "LintReport", "Rule", "Severity", "Summary"]
