"""One style for user-facing text: counts agree with their noun, no doubled punctuation, one shape of
success line (docs/architecture.md#output-style)."""

from __future__ import annotations

import re
import tokenize

import pytest

from tests.conftest import ROOT
from veladdon.errors import InputError
from veladdon.wording import plural


@pytest.mark.parametrize(("count", "text"), [(0, "0 addons"), (1, "1 addon"), (2, "2 addons")])
def test_plural(count: int, text: str) -> None:
    assert plural(count, "addon") == text


def test_plural_irregular() -> None:
    assert (plural(1, "index", "indexes"), plural(3, "index", "indexes")) == ("1 index", "3 indexes")


def test_a_sentence_before_the_hint_loses_its_full_stop() -> None:
    err = InputError("the addon is in use.", hint="delete the Applications first")
    assert err.one_line() == "the addon is in use; delete the Applications first"
    assert InputError("waiting...", hint="retry").one_line() == "waiting...; retry"


def test_no_user_facing_string_hedges_a_plural_or_says_successfully_first() -> None:
    """`1 object(s)` and `Successfully delete ...` were in the CLI; plural() and `X deleted successfully.`
    replaced them. The source is scanned so that a new message cannot bring them back."""
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    found = []
    for path in sorted((ROOT / "src" / "veladdon").rglob("*.py")):
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                if token.type in kinds and re.search(r"[a-z]\(s\)|\bSuccessfully\b|\.;", token.string):
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string}")
    assert found == []
