from __future__ import annotations

from typing import Any

import pytest

from tests.kubeapi.errors import APIError
from tests.kubeapi.patch import json_patch, merge_patch, strategic_merge_patch

# RFC 7386, Appendix A: (original, patch, result).
RFC7386_APPENDIX_A: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC7386_APPENDIX_A)
def test_merge_patch_rfc7386_appendix(original: Any, patch: Any, result: Any) -> None:
    assert merge_patch(original, patch) == result


def test_merge_patch_does_not_mutate_its_input() -> None:
    original = {"a": {"b": 1}}
    merge_patch(original, {"a": {"b": 2}})
    assert original == {"a": {"b": 1}}


def test_json_patch_operations() -> None:
    doc = {"a": {"b": 1}, "l": [1, 2]}
    ops = [
        {"op": "add", "path": "/a/c", "value": 2},
        {"op": "replace", "path": "/a/b", "value": 3},
        {"op": "remove", "path": "/l/0"},
        {"op": "move", "from": "/a/c", "path": "/d"},
        {"op": "copy", "from": "/d", "path": "/e"},
        {"op": "test", "path": "/e", "value": 2},
    ]
    assert json_patch(doc, ops) == {"a": {"b": 3}, "l": [2], "d": 2, "e": 2}
    assert doc == {"a": {"b": 1}, "l": [1, 2]}


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/a", "value": 2}],
        [{"op": "remove", "path": "/missing"}],
        [{"op": "bogus", "path": "/a"}],
    ],
)
def test_json_patch_failures_are_422(ops: list[dict[str, Any]]) -> None:
    with pytest.raises(APIError) as err:
        json_patch({"a": 1}, ops)
    assert err.value.code == 422


def test_json_patch_must_be_a_list() -> None:
    with pytest.raises(APIError) as err:
        json_patch({"a": 1}, {"op": "add"})
    assert err.value.code == 400


def test_strategic_merge_by_merge_key_and_directives() -> None:
    pod = {
        "containers": [
            {"name": "a", "image": "1", "ports": [{"containerPort": 80, "name": "http"}]},
            {"name": "b", "image": "1"},
        ],
        "args": ["x"],
    }
    patch = {
        "containers": [
            {"name": "a", "ports": [{"containerPort": 81}]},
            {"name": "b", "$patch": "delete"},
            {"name": "c", "image": "2"},
        ],
        "args": ["y"],
    }
    result = strategic_merge_patch(pod, patch)
    assert result["containers"] == [
        {"name": "a", "image": "1", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81}]},
        {"name": "c", "image": "2"},
    ]
    assert result["args"] == ["y"]  # lists without a merge key are replaced


def test_strategic_merge_replace_and_primitive_lists() -> None:
    obj = {"metadata": {"finalizers": ["a"], "labels": {"x": "1", "y": "2"}}}
    patch = {
        "metadata": {
            "finalizers": ["b"],
            "$deleteFromPrimitiveList/finalizers": ["a"],
            "labels": {"$patch": "replace", "z": "3"},
        }
    }
    result = strategic_merge_patch(obj, patch)
    assert result["metadata"] == {"finalizers": ["b"], "labels": {"z": "3"}}
