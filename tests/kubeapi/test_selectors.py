from __future__ import annotations

import pytest

from tests.kubeapi.errors import APIError
from tests.kubeapi.selectors import Requirement, parse_field_selector, parse_label_selector

LABELS = {"app": "web", "tier": "front", "empty": ""}


@pytest.mark.parametrize(
    ("text", "requirements"),
    [
        ("", ()),
        ("app=web", (Requirement("app", "=", ("web",)),)),
        ("app==web", (Requirement("app", "=", ("web",)),)),
        ("app != web", (Requirement("app", "!=", ("web",)),)),
        ("app in (web, db)", (Requirement("app", "in", ("web", "db")),)),
        ("app notin (db)", (Requirement("app", "notin", ("db",)),)),
        ("app", (Requirement("app", "exists"),)),
        ("!app", (Requirement("app", "!exists"),)),
        ("example.com/app=x,b", (Requirement("example.com/app", "=", ("x",)), Requirement("b", "exists"))),
        ("empty=", (Requirement("empty", "=", ("",)),)),
    ],
)
def test_parse(text: str, requirements: tuple[Requirement, ...]) -> None:
    assert parse_label_selector(text).requirements == requirements


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("app=web", True),
        ("app=db", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (db,web)", True),
        ("app notin (web)", False),
        ("missing notin (web)", True),
        ("tier", True),
        ("!tier", False),
        ("app=web,tier=front", True),
        ("app=web,tier=back", False),
        ("empty=", True),
    ],
)
def test_match(text: str, matches: bool) -> None:
    assert parse_label_selector(text).matches(LABELS) is matches


@pytest.mark.parametrize("text", ["app in web", "app in (web", "=x", "app=web,", "app=(x)", "a b"])
def test_bad_syntax_is_400(text: str) -> None:
    with pytest.raises(APIError) as err:
        parse_label_selector(text)
    assert err.value.code == 400


def test_field_selector() -> None:
    obj = {"metadata": {"name": "a", "namespace": "ns"}}
    assert parse_field_selector("metadata.name=a,metadata.namespace==ns").matches(obj)
    assert not parse_field_selector("metadata.name!=a").matches(obj)
    with pytest.raises(APIError) as err:
        parse_field_selector("spec.x=1")
    assert err.value.code == 400 and "field label not supported" in err.value.message
