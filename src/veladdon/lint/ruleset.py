"""The rule set: every rule is declared once, next to its check, and everything else (--list-rules,
docs/rules.md, SARIF `tool.driver.rules`, --select/--ignore) reads it from here, so they cannot drift."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from veladdon.errors import InputError
from veladdon.lint.model import Rule, Severity

if TYPE_CHECKING:
    from veladdon.lint.context import LintContext

CheckFn = Callable[["LintContext"], None]

_RULES: dict[str, Rule] = {}
_CHECKS: list[Check] = []

AREAS = (
    "Structure",
    "Metadata",
    "Parameters",
    "Template",
    "Resources",
    "Definitions",
    "CUE portability",
    "Versioning",
)


@dataclass(frozen=True)
class Check:
    """A function that may report findings for the rules it names (one pass can serve several rules)."""

    fn: CheckFn
    rules: tuple[str, ...]


def define(
    id: str,
    name: str,
    severity: Severity,
    summary: str,
    details: str,
    *,
    area: str,
    needs: Iterable[str] = (),
) -> Rule:
    """Declare a rule; IDs and names must be unique."""
    if id in _RULES or any(r.name == name for r in _RULES.values()):
        raise ValueError(f"duplicate rule {id} {name}")
    if area not in AREAS:
        raise ValueError(f"unknown area {area}")
    rule = Rule(id, name, severity, summary, " ".join(details.split()), area, frozenset(needs))
    _RULES[id] = rule
    return rule


def check(*rules: Rule) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` as the check that reports `rules`."""

    def wrap(fn: CheckFn) -> CheckFn:
        _CHECKS.append(Check(fn, tuple(r.id for r in rules)))
        return fn

    return wrap


def _load() -> None:
    import veladdon.lint.rules  # noqa: F401  (registers every rule on import)


def all_rules() -> tuple[Rule, ...]:
    """Every rule, in documentation order (area, then ID)."""
    _load()
    return tuple(sorted(_RULES.values(), key=lambda r: (AREAS.index(r.area), r.id)))


def all_checks() -> tuple[Check, ...]:
    _load()
    return tuple(_CHECKS)


def get_rule(rule_id: str) -> Rule:
    _load()
    return _RULES[rule_id]


def _match(token: str) -> list[Rule]:
    """An ID (`ST01`), a name (`structure.readme`), an ID prefix (`ST`) or an area name (`structure`)."""
    want = token.strip().lower()
    rules = all_rules()
    exact = [r for r in rules if r.id.lower() == want or r.name == want]
    if exact:
        return exact
    return [
        r
        for r in rules
        if (want.isalpha() and r.id.lower().startswith(want) and len(want) == 2)
        or r.name.split(".", 1)[0] == want
        or r.area.lower() == want
    ]


def _expand(tokens: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for raw in tokens:
        for token in raw.split(","):
            if not token.strip():
                continue
            found = _match(token)
            if not found:
                raise InputError(
                    f"unknown rule {token.strip()!r}",
                    hint="`veladdon lint --list-rules` lists the rule IDs and names",
                )
            out.update(r.id for r in found)
    return out


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> tuple[Rule, ...]:
    """The active rules: all (or those selected) minus those ignored. Raises InputError on an unknown ID."""
    rules = all_rules()
    selected = _expand(select)
    ignored = _expand(ignore)
    return tuple(r for r in rules if (not selected or r.id in selected) and r.id not in ignored)


__all__ = ["AREAS", "Check", "all_checks", "all_rules", "check", "define", "get_rule", "select_rules"]
