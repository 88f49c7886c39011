"""veladdon.jsonable: the one way a dataclass becomes JSON (issue #15 item 6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from veladdon.jsonable import Jsonable, json_field, to_json


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Inner(Jsonable):
    api_version: str
    hidden: bool = field(default=False, metadata=json_field(omitempty=True))


@dataclass(frozen=True)
class Outer(Jsonable):
    name: str
    inner: Inner = field(metadata=json_field(inline=True, omit=("hidden",)))
    owner_name: str = field(default="", metadata=json_field("owner.name"))
    owner_kind: str = field(default="", metadata=json_field("owner.kind"))
    colour: Colour = Colour.RED
    items: tuple[Inner, ...] = ()
    secret: str = field(default="", metadata=json_field(skip=True))
    note: str | None = field(default=None, metadata=json_field("comment", omitempty=True))


def test_names_nesting_inlining_and_values() -> None:
    value = Outer("x", Inner("v1", True), "o", "K", items=(Inner("v2"), Inner("v3", True)), secret="s")
    assert value.to_json() == {
        "name": "x",
        "apiVersion": "v1",
        "owner": {"name": "o", "kind": "K"},
        "colour": "red",
        "items": [{"apiVersion": "v2"}, {"apiVersion": "v3", "hidden": True}],
    }
    assert list(value.to_json()) == ["name", "apiVersion", "owner", "colour", "items"]  # declaration order
    assert to_json(Outer("y", Inner("v1"), note="n"))["comment"] == "n"
    assert type(to_json(Colour.RED)) is str
