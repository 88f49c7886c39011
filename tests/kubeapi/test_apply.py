"""Server-side apply ownership, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubeapi.apply import fields_from_v1, fields_to_v1, leaf_paths, server_side_apply, track_update
from tests.kubeapi.errors import APIError

NOW = "2024-01-01T00:00:00Z"


def cm(data: dict[str, str], **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", **meta}, "data": data}


def owners(obj: dict[str, Any]) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    return {
        (e["manager"], e["operation"]): fields_from_v1(e["fieldsV1"])
        for e in obj["metadata"]["managedFields"]
    }


def apply(
    live: dict[str, Any] | None, applied: dict[str, Any], manager: str, force: bool = False
) -> dict[str, Any]:
    return server_side_apply(live, applied, manager, force, "v1", NOW)


def test_leaf_paths_skip_server_fields_and_treat_lists_atomically() -> None:
    obj = cm({"a": "1"}, labels={"l": "v"}, uid="u", resourceVersion="1")
    obj["spec"] = {"list": [{"x": 1}], "empty": {}}
    assert leaf_paths(obj) == {
        ("data", "a"),
        ("metadata", "labels", "l"),
        ("spec", "list"),
        ("spec", "empty"),
    }


def test_fields_v1_round_trip() -> None:
    paths = {("data", "a"), ("metadata", "labels", "l")}
    doc = fields_to_v1(paths)
    assert doc == {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:l": {}}}}
    assert fields_from_v1(doc) == paths


def test_first_apply_owns_everything_it_applied() -> None:
    obj = apply(None, cm({"a": "1"}), "m")
    assert owners(obj) == {("m", "Apply"): {("data", "a")}}


def test_shared_ownership_when_values_agree() -> None:
    obj = apply(None, cm({"a": "1"}), "one")
    obj = apply(obj, cm({"a": "1"}), "two")
    assert owners(obj)[("one", "Apply")] == owners(obj)[("two", "Apply")] == {("data", "a")}


def test_conflict_then_force_takes_ownership() -> None:
    obj = apply(None, cm({"a": "1", "b": "1"}), "one")
    with pytest.raises(APIError) as err:
        apply(obj, cm({"a": "2"}), "two")
    assert err.value.code == 409
    assert err.value.details is not None
    assert err.value.details["causes"][0] == {
        "reason": "FieldManagerConflict",
        # An Apply manager is named alone; "using <version> at <time>" is for Update managers.
        "message": 'conflict with "one"',
        "field": ".data.a",
    }
    forced = apply(obj, cm({"a": "2"}), "two", force=True)
    assert forced["data"] == {"a": "2", "b": "1"}
    assert owners(forced) == {("one", "Apply"): {("data", "b")}, ("two", "Apply"): {("data", "a")}}


def test_dropped_fields_are_removed_unless_someone_else_owns_them() -> None:
    obj = apply(None, cm({"a": "1", "b": "1", "c": "1"}), "one")
    obj = apply(obj, cm({"c": "1"}), "two")
    obj = apply(obj, cm({"a": "1"}), "one")
    assert obj["data"] == {"a": "1", "c": "1"}
    obj = apply(obj, cm({}, labels={"l": "v"}), "one")
    assert obj["data"] == {"c": "1"}
    assert obj["metadata"]["labels"] == {"l": "v"}


def test_update_takes_changed_fields_from_appliers() -> None:
    applied = apply(None, cm({"a": "1", "b": "1"}), "applier")
    edited = {**applied, "data": {"a": "2", "b": "1"}}
    track_update(applied, edited, "editor", "v1", NOW)
    assert owners(edited) == {("applier", "Apply"): {("data", "b")}, ("editor", "Update"): {("data", "a")}}
    # The applier no longer owns `a`, so applying without it leaves the editor's value alone.
    again = apply(edited, cm({"b": "1"}), "applier")
    assert again["data"] == {"a": "2", "b": "1"}


def test_owner_references_and_finalizers_are_owned_item_by_item() -> None:
    ref_a = {"apiVersion": "v1", "kind": "ConfigMap", "name": "a", "uid": "uid-a"}
    ref_b = {"apiVersion": "v1", "kind": "ConfigMap", "name": "b", "uid": "uid-b"}

    def body(refs: list[dict[str, Any]], finalizers: list[str]) -> dict[str, Any]:
        obj = cm({})
        if refs:
            obj["metadata"]["ownerReferences"] = refs
        if finalizers:
            obj["metadata"]["finalizers"] = finalizers
        return obj

    obj = apply(None, body([ref_a], ["x"]), "one")
    obj = apply(obj, body([ref_b], ["y"]), "two")
    assert obj["metadata"]["ownerReferences"] == [ref_a, ref_b]
    assert obj["metadata"]["finalizers"] == ["x", "y"]
    fields = {m["manager"]: m["fieldsV1"] for m in obj["metadata"]["managedFields"]}
    assert fields["two"]["f:metadata"] == {
        "f:finalizers": {'v:"y"': {}},
        "f:ownerReferences": {'k:{"uid":"uid-b"}': {}},
    }
    with pytest.raises(APIError) as err:
        apply(obj, body([{**ref_a, "controller": True}], []), "two")
    assert err.value.details is not None
    assert err.value.details["causes"][0]["field"] == '.metadata.ownerReferences[uid="uid-a"]'
    obj = apply(obj, body([], []), "one")
    assert obj["metadata"]["ownerReferences"] == [ref_b]
    assert obj["metadata"]["finalizers"] == ["y"]
    obj = apply(obj, cm({}), "two")
    assert "ownerReferences" not in obj["metadata"] and "finalizers" not in obj["metadata"]
