"""ObjectRef is the one identity of an object in veladdon.kube (issue #15 item 5)."""

from __future__ import annotations

from veladdon.kube.records import ObjectRef


def test_identity_is_group_version_kind_namespace_name() -> None:
    a = ObjectRef("v1", "ConfigMap", "x", "one")
    assert a != ObjectRef("v1", "ConfigMap", "x", "two")  # the same `ConfigMap/x` in two namespaces
    assert ObjectRef("apps/v1", "Thing", "x") != ObjectRef("example.com/v1", "Thing", "x")  # two groups
    assert len({a, ObjectRef("v1", "ConfigMap", "x", "two")}) == 2
    assert str(a) == str(ObjectRef("v1", "ConfigMap", "x", "two")) == "ConfigMap/x"  # only how it is shown


def test_adopted_is_not_identity_and_no_namespace_is_one_value() -> None:
    assert ObjectRef("v1", "Namespace", "n", adopted=True) == ObjectRef("v1", "Namespace", "n")
    assert ObjectRef("v1", "Namespace", "n", "") == ObjectRef("v1", "Namespace", "n", None)
    assert ObjectRef("v1", "Namespace", "n", "").namespace is None


def test_group_version_and_texts() -> None:
    ref = ObjectRef("apps/v1", "Deployment", "web", "vela-system")
    assert (ref.group, ref.version) == ("apps", "v1")
    assert (ObjectRef("v1", "Secret", "s").group, ObjectRef("v1", "Secret", "s").version) == ("", "v1")
    assert ref.located() == "Deployment vela-system/web"
    assert ref.path() == "Deployment/vela-system/web"
    assert ObjectRef("v1", "Namespace", "n").located() == "Namespace n"
