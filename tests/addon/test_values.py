"""Parameters: Helm strvals parsing, --clusters, merging and files; upstream's cases first (upstream §12)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from veladdon.addon.values import (
    clusters_from_args,
    combine,
    deep_merge,
    load_values_file,
    parse_clusters,
    parse_set,
)
from veladdon.errors import ExitCode, InputError

# --------------------------------------------------------------------------------------------------
# TestParseMap (references/cli/addon_test.go), every case


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["key1=value1"], {"key1": "value1"}),
        (["dbUrl=mongodb=mgset-58800212"], {"dbUrl": "mongodb=mgset-58800212"}),
        (["imagePullSecrets={a,b,c}"], {"imagePullSecrets": ["a", "b", "c"]}),
        (["image.repo=www.test.com", "image.tag=1.1"], {"image": {"repo": "www.test.com", "tag": "1.1"}}),
        (["local=true"], {"local": True}),
        (["replicas=3"], {"replicas": 3}),
    ],
)
def test_parse_map_upstream(args: list[str], expected: dict[str, Any]) -> None:
    assert parse_set(args) == expected


# --------------------------------------------------------------------------------------------------
# strvals typing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("False", False),
        ("null", None),
        ("NULL", None),
        ("0", 0),
        ("3", 3),
        ("-3", -3),
        ("+4", 4),
        ("-01", -1),  # only a leading `0` keeps a string; Go's ParseInt allows a sign first
        ("9223372036854775807", 9223372036854775807),
        ("-9223372036854775808", -9223372036854775808),
        ("9223372036854775808", "9223372036854775808"),  # beyond int64: a string
        ("007", "007"),
        ("00", "00"),
        ("1.5", "1.5"),
        ("1.1", "1.1"),
        ("1e3", "1e3"),
        ("0x1f", "0x1f"),
        ("1_000", "1_000"),
        (" 5", " 5"),
        ("yes", "yes"),
        ("", ""),
        ("truex", "truex"),
    ],
)
def test_typing(value: str, expected: Any) -> None:
    result = parse_set([f"k={value}"])["k"]
    assert result == expected
    assert type(result) is type(expected)


# --------------------------------------------------------------------------------------------------
# strvals syntax


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # several pairs in one argument, later wins
        (["a=1,b=2"], {"a": 1, "b": 2}),
        (["a=1,a=2"], {"a": 2}),
        (["a=1", "a=x"], {"a": "x"}),
        (["a=b,"], {"a": "b"}),
        (["a="], {"a": ""}),
        ([""], {}),
        # nesting
        (["a.b.c=1"], {"a": {"b": {"c": 1}}}),
        (["a.b=1,a.c=2"], {"a": {"b": 1, "c": 2}}),
        (["a.b=1", "a={x}"], {"a": ["x"]}),  # a whole value replaces a map
        # lists
        (["a={1,two,true}"], {"a": [1, "two", True]}),
        (["a={}"], {"a": [""]}),  # upstream: one empty item
        (["a={ x, y }"], {"a": [" x", " y "]}),  # no trimming
        (["a={b,c},d=1"], {"a": ["b", "c"], "d": 1}),
        (["a={b\\,c,d}"], {"a": ["b,c", "d"]}),
        # index syntax
        (["a[0]=x"], {"a": ["x"]}),
        (["a[2]=x"], {"a": [None, None, "x"]}),
        (["a[0]=x,a[1]=y"], {"a": ["x", "y"]}),
        (["a={x,y}", "a[1]=z"], {"a": ["x", "z"]}),
        (["a[0].name=n,a[0].port=80"], {"a": [{"name": "n", "port": 80}]}),
        (["a[1].b=1"], {"a": [None, {"b": 1}]}),
        (["a[0]=s", "a[0].b=1"], {"a": [{"b": 1}]}),  # out-of-order indices start a fresh mapping
        (["a[0][1]=x"], {"a": [[None, "x"]]}),
        (["a[0][0]=x", "a[0][1]=y"], {"a": [["x", "y"]]}),
        (["a[0]={p,q}"], {"a": [["p", "q"]]}),
        (["a[0]="], {"a": [""]}),
        (["x.y[0]=1"], {"x": {"y": [1]}}),
        (["a[+1]=x"], {"a": [None, "x"]}),
        # escapes
        (["a=b\\,c"], {"a": "b,c"}),
        (["a\\.b=1"], {"a.b": 1}),
        (["a\\[0\\]=1"], {"a[0]": 1}),
        (["a\\=b=c"], {"a=b": "c"}),
        (["a=c:\\\\dir"], {"a": "c:\\dir"}),
        (["a=b\\"], {"a": "b"}),  # a trailing backslash is dropped
        (["a=x=y.z[0]"], {"a": "x=y.z[0]"}),
        # unicode and blanks are data
        (["name=héllo wörld"], {"name": "héllo wörld"}),
        ([" a =1"], {" a ": 1}),
        # upstream silently ignores these (an empty key is refused: see test_parse_set_errors)
        (["a[0]"], {"a": []}),
        (["a[0"], {}),
        (["a."], {}),
    ],
)
def test_parse_set(args: list[str], expected: dict[str, Any]) -> None:
    assert parse_set(args) == expected


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("a", 'key "a" has no value'),
        ("=x", "a key, or a part of a dotted key, is empty"),
        ("==", "a key, or a part of a dotted key, is empty"),
        (".a=1", "a key, or a part of a dotted key, is empty"),
        ("a,b=c", 'key "a" has no value (cannot end with ,)'),
        ("a=1,b", 'key "b" has no value'),
        ("a={b,c", "list must terminate with '}'"),
        ("a={b}c", 'key "c" has no value'),
        ("a.=1", "a key, or a part of a dotted key, is empty"),
        ("a[x]=1", 'error parsing index: strconv.Atoi: parsing "x": invalid syntax'),
        ("a[]=1", 'error parsing index: strconv.Atoi: parsing "": invalid syntax'),
        ("a[-1]=1", "negative -1 index not allowed"),
        ("a[65537]=1", "index of 65537 is greater than maximum supported index of 65536"),
        ("a[0]x=1", 'unexpected data at end of array index: "x"'),
        ("a[0].b", 'key "b" has no value'),
        ("." * 31 + "a=1", "value name nested level is greater than maximum supported nested level of 30"),
    ],
)
def test_parse_set_errors(arg: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_set([arg])
    assert info.value.message == f"cannot parse parameter {json.dumps(arg)}: {message}"
    assert info.value.exit_code is ExitCode.USAGE
    assert info.value.hint


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a=1", "a.b=2"], 'unable to parse key: "a" is not a map'),
        (["a=null", "a.b=2"], 'unable to parse key: "a" is not a map'),
        (["a=1", "a[0]=2"], 'unable to parse key: "a" is not a list'),
        (["a.b=1", "a[0]=2"], 'unable to parse key: "a" is not a list'),
        (["a[0]=1", "a[0][0]=2"], "unable to parse key: index 0 is not a list"),
    ],
)
def test_parse_set_type_conflicts(args: list[str], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_set(args)
    assert info.value.message == f"cannot parse parameter {json.dumps(args[-1])}: {message}"


def test_nesting_limit_is_thirty_levels() -> None:
    key = ".".join(f"k{i}" for i in range(31))
    value: Any = parse_set([f"{key}=1"])
    for i in range(31):
        value = value[f"k{i}"]
    assert value == 1


# --------------------------------------------------------------------------------------------------
# TestTransCluster, and --clusters


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("{cluster1, cluster2}", ["cluster1", "cluster2"]),
        ("{cluster1,cluster2}", ["cluster1", "cluster2"]),
        ("{cluster1,  cluster2   }", ["cluster1", "cluster2"]),
        ("local,c1", ["local", "c1"]),
        ("local", ["local"]),
        ("{local}", ["local"]),
        ("{{a}}", ["{a}"]),  # one brace stripped on each side
        ("{}", [""]),
        ("a,,b", ["a", "", "b"]),
        ("", []),
    ],
)
def test_parse_clusters(flag: str, expected: list[str]) -> None:
    assert parse_clusters(flag) == expected


# --------------------------------------------------------------------------------------------------
# TestGetClusters


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"clusters": ["c1", "c2"]}, ["c1", "c2"]),
        ({"clusters": ["c1", 2, None, "c3"]}, ["c1", "c3"]),
        ({"clusters": ("c1",)}, ["c1"]),
        ({"clusters": "c1"}, None),
        ({"clusters": None}, None),
        ({"clusters": []}, None),
        ({"clusters": [1, 2]}, None),
        ({"other": ["c1"]}, None),
        ({}, None),
    ],
)
def test_clusters_from_args(args: dict[str, Any], expected: list[str] | None) -> None:
    assert clusters_from_args(args) == expected


# --------------------------------------------------------------------------------------------------
# TestMergeAddonInstallArgs (stored args + new args, compared as compact sorted JSON) and upstream §6.7

HUB = '{"clusters":[""],"imagePullSecrets":["test-hub"],"repo":"hub.vela.com","serviceType":"NodePort"}'
NESTED = '{"clusters":[""],"p1":{"p11":"p11-v1","p12":"p12-v1"}}'


@pytest.mark.parametrize(
    ("stored", "new", "merged"),
    [
        (HUB, {"serviceType": "NodePort"}, HUB),
        (
            '{"clusters":[""]}',
            {"repo": "hub.vela.com", "serviceType": "NodePort", "imagePullSecrets": ["test-hub"]},
            HUB,
        ),
        (
            HUB,
            {"imagePullSecrets": ["test-hub-2"]},
            '{"clusters":[""],"imagePullSecrets":["test-hub-2"],"repo":"hub.vela.com","serviceType":"NodePort"}',
        ),
        (
            NESTED,
            {"p1": {"p12": "p12-v2", "p13": "p13-v1"}},
            '{"clusters":[""],"p1":{"p11":"p11-v1","p12":"p12-v2","p13":"p13-v1"}}',
        ),
        (None, {"p1": {"p12": "p12-v2", "p13": "p13-v1"}}, '{"p1":{"p12":"p12-v2","p13":"p13-v1"}}'),
        (NESTED, None, NESTED),
    ],
)
def test_merge_addon_install_args(stored: str | None, new: dict[str, Any] | None, merged: str) -> None:
    base = json.loads(stored) if stored else None
    result = deep_merge(base, new)
    assert json.dumps(result, sort_keys=True, separators=(",", ":")) == merged


@pytest.mark.parametrize(
    ("base", "override", "expected"),
    [
        ({"a": {"b": 1}}, {"a": 2}, {"a": 2}),
        ({"a": 1}, {"a": {"b": 2}}, {"a": {"b": 2}}),
        ({"a": [1, 2, 3]}, {"a": [9]}, {"a": [9]}),
        ({"a": [1]}, {"a": []}, {"a": []}),
        ({"a": True}, {"a": False}, {"a": False}),
        ({"a": "x"}, {"a": ""}, {"a": ""}),
        ({"a": 1}, {"a": None}, {"a": None}),
        ({"a": {"b": {"c": 1, "d": 2}}}, {"a": {"b": {"d": 3}}}, {"a": {"b": {"c": 1, "d": 3}}}),
        ({}, {}, {}),
        (None, None, {}),
    ],
)
def test_deep_merge(
    base: dict[str, Any] | None, override: dict[str, Any] | None, expected: dict[str, Any]
) -> None:
    assert deep_merge(base, override) == expected


def test_deep_merge_never_mutates_or_shares() -> None:
    base = {"p1": {"p11": "v1"}, "list": [1, {"x": 1}]}
    override = {"p1": {"p12": "v2"}, "new": {"deep": [1]}}
    base_before, override_before = copy.deepcopy(base), copy.deepcopy(override)
    result = deep_merge(base, override)
    result["p1"]["p11"] = "changed"
    result["list"][1]["x"] = 2
    result["new"]["deep"].append(2)
    assert base == base_before
    assert override == override_before


# --------------------------------------------------------------------------------------------------
# Values files


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_values_file(tmp_path: Path) -> None:
    path = write(tmp_path, "v.yaml", "image:\n  repo: nginx\n  tag: '1.1'\nreplicas: 3\nports: [80, 443]\n")
    assert load_values_file(path) == {
        "image": {"repo": "nginx", "tag": "1.1"},
        "replicas": 3,
        "ports": [80, 443],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("# only a comment\n", {}),
        ("---\n", {}),
        ("1: one\nnull: x\n", {"1": "one", "null": "x"}),
        ("true: yes\n", {"true": True}),
        ("when: 2024-01-02\n", {"when": "2024-01-02"}),
        ("a: 1\n---\nb: 2\n", {"a": 1}),  # the first document, as KubeVela reads one object per file
    ],
)
def test_load_values_file_shapes(tmp_path: Path, text: str, expected: dict[str, Any]) -> None:
    assert load_values_file(write(tmp_path, "v.yaml", text)) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- a\n- b\n", "not a list"),
        ("just text\n", "not a string"),
        ("42\n", "not a number"),
    ],
)
def test_load_values_file_not_a_mapping(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "v.yaml", text)
    with pytest.raises(InputError) as info:
        load_values_file(path)
    assert fragment in info.value.message
    assert info.value.path == str(path)


def test_load_values_file_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(InputError) as info:
        load_values_file(path)
    assert info.value.path == str(path)
    assert info.value.line is not None and info.value.line >= 2
    assert info.value.message.startswith("invalid YAML")
    assert str(info.value).startswith(f"{path}:{info.value.line}")


def test_load_values_file_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_values_file(tmp_path / "nope.yaml")
    assert info.value.path == str(tmp_path / "nope.yaml")


def test_load_values_file_binary(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError):
        load_values_file(path)


# --------------------------------------------------------------------------------------------------
# combine: files < positional words < --set < --clusters


def test_combine_precedence(tmp_path: Path) -> None:
    first = write(
        tmp_path, "1.yaml", "image: {repo: nginx, tag: '1.0'}\nreplicas: 1\nports: [80]\nclusters: [x]\n"
    )
    second = write(tmp_path, "2.yaml", "image: {tag: '2.0'}\nports: [8080, 8443]\n")
    result = combine(
        [first, second],
        ["replicas=3", "image.pullPolicy=Always"],
        ["replicas=2", "ports[1]=9443", "debug=true"],
        "{local, c1}",
    )
    assert result == {
        "image": {"repo": "nginx", "tag": "2.0", "pullPolicy": "Always"},
        "replicas": 3,
        "ports": [8080, 9443],
        "debug": True,
        "clusters": ["local", "c1"],
    }


def test_combine_clusters_overrides_word() -> None:
    assert combine([], [], ["clusters={a,b}"], "c") == {"clusters": ["c"]}
    assert combine([], [], ["clusters={a,b}"], None) == {"clusters": ["a", "b"]}
    assert combine([], [], ["clusters={a,b}"], "") == {"clusters": ["a", "b"]}


def test_combine_empty() -> None:
    assert combine([], [], [], None) == {}


def test_combine_set_into_scalar_from_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "v.yaml", "image: nginx\n")
    with pytest.raises(InputError) as info:
        combine([path], ["image.tag=1"], [], None)
    assert '"image.tag=1"' in info.value.message


def test_combine_does_not_touch_files_data(tmp_path: Path) -> None:
    path = write(tmp_path, "v.yaml", "a: {b: 1}\n")
    combine([path], ["a.c=2"], [], None)
    assert load_values_file(path) == {"a": {"b": 1}}
