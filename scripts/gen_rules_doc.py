"""Regenerate docs/rules.md from the rule set (same text as `veladdon lint --list-rules --format
markdown`); tests/lint/test_reporters.py fails when the committed file differs."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from veladdon.lint.reporters import rules_markdown  # noqa: E402
from veladdon.lint.ruleset import all_rules  # noqa: E402


def main() -> None:
    target = ROOT / "docs" / "rules.md"
    target.write_text(rules_markdown(all_rules()), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
