"""Shared wording for user-facing text (the output style: docs/architecture.md#output-style)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 addon`, `2 addons`, `0 addons`; `many` for irregular nouns (`plural(n, "index", "indexes")`)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
