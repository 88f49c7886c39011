"""Versions and constraints: upstream's own cases (upstream §12) first, then Masterminds semantics."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from veladdon.addon.versions import (
    Constraint,
    DependencyError,
    Version,
    VersionError,
    VersionNotFoundError,
    check_semver,
    choose_helm_version,
    dependency_version_to_install,
    format_available_versions,
    is_semver,
    limit_string_length,
    merge_available,
    parse_version,
    satisfies,
    sort_versions_descending,
    validate_dependencies,
)
from veladdon.errors import ExitCode, InputError

# --------------------------------------------------------------------------------------------------
# TestCheckSemVer (pkg/addon/addon_test.go), every case


@pytest.mark.parametrize(
    ("actual", "constraint", "expected"),
    [
        ("v1.2.1", "<=v1.2.1", True),
        ("v1.2.1", ">v1.2.1", False),
        ("v1.2.1", "<=v1.2.3", True),
        ("v1.2", "<=v1.2.3", True),
        ("v1.2.1", ">v1.2.3", False),
        ("v1.2.1", "=v1.2.1", True),
        ("1.2.1", "=v1.2.1", True),
        ("1.2.1", "", True),
        ("v1.2.2", "<=v1.2.3, >=v1.2.1", True),
        ("v1.2.0", "v1.2.0, <=v1.2.3", True),
        ("1.2.2", "v1.2.2", True),
        ("1.2.02", "v1.2.2", True),
        ("1.3.0-beta.1", ">=v1.3.0-alpha.1", True),
        ("1.3.0-alpha.2", ">=v1.3.0-alpha.1", True),
        ("1.2.3", ">=v1.3.0-alpha.1", False),
        ("v1.4.0-alpha.3", ">=v1.3.0-beta.2", True),
        ("v1.4.0-beta.1", ">=v1.3.0", True),
        ("v1.4.0", ">=v1.3.0-beta.2", True),
        ("1.2.4-beta.2", ">=v1.2.4-beta.3", False),
        ("1.5.0-beta.2", ">=1.5.0", False),
        ("1.5.0-alpha.2", ">=1.5.0", False),
        ("1.5.0-rc.2", ">=1.5.0-beta.1", True),
        ("1.5.0-rc.2", ">=1.5.0-rc.1", True),
        ("1.5.0-rc.1", ">=1.5.0-alpha.1", True),
        ("1.5.0-rc.2", ">=1.5.0", False),
        ("1.5.0-rc.2", ">=1.4.0", True),
    ],
)
def test_check_semver_upstream(actual: str, constraint: str, expected: bool) -> None:
    assert check_semver(actual, constraint) is expected


@pytest.mark.parametrize(
    ("actual", "constraint", "expected"),
    [
        # the `>=X` shortcut compares raw text after the first `=`: with a `v` it does not fire and
        # the core version is tried instead, exactly as upstream
        ("1.5.0-beta.2", ">=v1.5.0", True),
        ("1.5.0-beta.2", ">= 1.5.0", True),
        ("v1.29.2", ">=1.20.0", True),
        ("v1.19.16", ">=1.20.0", False),
        ("1.4.0-beta.1", ">=1.3.0, <1.4.0", False),
        ("1.3.5-beta.1", ">=1.3.0, <1.4.0", True),
        ("1.2.3", ">=1.0 || <0.5", True),
        ("1.2.3+build-7", ">=1.2.3", True),
    ],
)
def test_check_semver_more(actual: str, constraint: str, expected: bool) -> None:
    assert check_semver(actual, constraint) is expected


@pytest.mark.parametrize(
    ("actual", "constraint"), [("latest", ">=1.0.0"), ("1.0.0", ">=abc"), ("1.0", "1.x.y")]
)
def test_check_semver_errors(actual: str, constraint: str) -> None:
    with pytest.raises(VersionError):
        check_semver(actual, constraint)


def test_version_error_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        parse_version("nope")
    assert info.value.exit_code is ExitCode.USAGE


# --------------------------------------------------------------------------------------------------
# TestSortVersionsDescending, every case


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ([], []),
        (["1.2.3"], ["1.2.3"]),
        (["0.1.0", "1.2.3", "1.0.0", "1.1.0"], ["1.2.3", "1.1.0", "1.0.0", "0.1.0"]),
        (
            ["1.2.3", "1.2.3-rc.1", "1.2.3-rc.2", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-1", "1.0.0+1"],
            ["1.2.3", "1.2.3-rc.2", "1.2.3-rc.1", "1.0.0+1", "1.0.0-alpha.1", "1.0.0-alpha", "1.0.0-1"],
        ),
        (["v1.0.0", "1.1", "2", "1-2", "1+2"], ["2.0.0", "1.1.0", "1.0.0", "1.0.0+2", "1.0.0-2"]),
        (["2.0.0", "1a", "b", "1,2", "1.0.0"], ["2.0.0", "1.0.0"]),
    ],
)
def test_sort_versions_descending(versions: list[str], expected: list[str]) -> None:
    assert sort_versions_descending(versions) == expected


def test_sort_keeps_input_order_for_equal_precedence() -> None:
    assert sort_versions_descending(["1.0.0+b", "1.0.0", "1.0.0+a"]) == ["1.0.0+b", "1.0.0", "1.0.0+a"]


# --------------------------------------------------------------------------------------------------
# Parsing and ordering


@pytest.mark.parametrize(
    ("text", "normalised", "parts"),
    [
        ("1.2.3", "1.2.3", (1, 2, 3, "", "")),
        ("v1.2.3", "1.2.3", (1, 2, 3, "", "")),
        ("v1.2", "1.2.0", (1, 2, 0, "", "")),
        ("2", "2.0.0", (2, 0, 0, "", "")),
        ("1.2.02", "1.2.2", (1, 2, 2, "", "")),
        ("01.002.0003", "1.2.3", (1, 2, 3, "", "")),
        ("1.2.3-rc.1+build.5", "1.2.3-rc.1+build.5", (1, 2, 3, "rc.1", "build.5")),
        ("1-2", "1.0.0-2", (1, 0, 0, "2", "")),
        ("1.0.0-x-y.0-1", "1.0.0-x-y.0-1", (1, 0, 0, "x-y.0-1", "")),
        ("1.0.0+001", "1.0.0+001", (1, 0, 0, "", "001")),
    ],
)
def test_parse_version(text: str, normalised: str, parts: tuple[int, int, int, str, str]) -> None:
    v = parse_version(text)
    assert str(v) == normalised
    assert v.original == text
    assert (v.major, v.minor, v.patch, v.prerelease, v.build) == parts
    assert is_semver(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v",
        "V1.2.3",
        "1.2.3.4",
        "1a",
        "b",
        "1,2",
        " 1.2.3",
        "1.2.3\n",
        "1.2.3-",
        "1.2.3-rc..1",
        "1.2.3-01",  # numeric prerelease identifiers may not start with 0
        "1.2.3+",
        "1.2.3-rc_1",
        "18446744073709551616.0.0",
        "latest",
    ],
)
def test_parse_version_rejects(text: str) -> None:
    assert not is_semver(text)
    with pytest.raises(VersionError):
        parse_version(text)


@pytest.mark.parametrize(
    "ascending",
    [
        # the SemVer 2.0 precedence example
        [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ],
        ["0.9.9", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-a", "1.0.0", "1.0.1", "1.10.0", "2.0.0"],
    ],
)
def test_precedence(ascending: list[str]) -> None:
    parsed = [parse_version(t) for t in ascending]
    assert sorted(reversed(parsed)) == parsed
    assert all(a < b for a, b in itertools.pairwise(parsed))


def test_equality_ignores_v_and_build_and_hashes_alike() -> None:
    assert parse_version("v1.2.0") == parse_version("1.2")
    assert parse_version("1.0.0+1") == parse_version("1.0.0")
    assert parse_version("1.0.0-rc.1") != parse_version("1.0.0")
    assert len({parse_version("v1.2.0"), parse_version("1.2.0"), parse_version("1.2.0+x")}) == 1
    assert parse_version("1.2.0") != "1.2.0"


def test_version_is_frozen() -> None:
    v = parse_version("1.0.0")
    with pytest.raises(AttributeError):
        v.major = 2  # type: ignore[misc]


def test_version_from_fields_prints_normalised() -> None:
    assert str(Version(1, 2, 3, "beta.1")) == "1.2.3-beta.1"
    assert Version(1, 2, 3, "beta.1").original == "1.2.3-beta.1"


# --------------------------------------------------------------------------------------------------
# Masterminds constraints (satisfies = plain Masterminds, no KubeVela adjustments)


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        # comparison operators and aliases
        ("=1.2.3", "1.2.3", True),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "v1.2.3", True),
        ("v1.2.3", "1.2.3", True),
        ("=1.2.3", "1.2.4", False),
        ("!=1.2.3", "1.2.4", True),
        ("!=1.2.3", "1.2.3", False),
        (">1.2.3", "1.2.4", True),
        (">1.2.3", "1.2.3", False),
        ("<1.2.3", "1.2.2", True),
        ("<1.2.3", "1.2.3", False),
        (">=1.2.3", "1.2.3", True),
        ("=>1.2.3", "1.2.3", True),
        ("<=1.2.3", "1.2.3", True),
        ("=<1.2.3", "1.2.4", False),
        ("> 1.2.3", "1.3.0", True),
        ("  >=  1.2.3  ", "1.3.0", True),
        # AND: comma or blanks; OR: ||
        (">=1.2.3, <2.0.0", "1.9.9", True),
        (">=1.2.3, <2.0.0", "2.0.0", False),
        (">=1.2.3 <2.0.0", "1.5.0", True),
        (">= 1.2.3 < 2.0.0", "2.1.0", False),
        (">=1.0.0,<1.5.0||>=2.0.0", "2.3.0", True),
        (">=1.0.0, <1.5.0 || >=2.0.0", "1.7.0", False),
        ("1.2.3 || 1.2.5", "1.2.5", True),
        # tilde: patch-level changes (minor when only a major is given)
        ("~1.2.3", "1.2.9", True),
        ("~1.2.3", "1.3.0", False),
        ("~1.2.3", "1.2.2", False),
        ("~>1.2.3", "1.2.9", True),
        ("~1.2", "1.2.0", True),
        ("~1.2", "1.3.0", False),
        ("~1", "1.9.9", True),
        ("~1", "2.0.0", False),
        ("~1.x", "1.5.0", True),
        ("~0.0.0", "5.0.0", True),
        ("~*", "0.1.0", True),
        # caret: compatible with the leftmost non-zero part
        ("^1.2.3", "1.9.0", True),
        ("^1.2.3", "2.0.0", False),
        ("^1.2.3", "1.2.2", False),
        ("^1.2", "1.2.0", True),
        ("^1", "1.99.0", True),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("^0.2", "0.2.0", True),
        ("^0.2", "0.3.0", False),
        ("^0.0.3", "0.0.3", True),
        ("^0.0.3", "0.0.4", False),
        ("^0.0", "0.0.9", True),
        ("^0.0", "0.1.0", False),
        ("^0", "0.9.0", True),
        ("^0", "1.0.0", False),
        ("^*", "3.0.0", False),  # Masterminds' caret treats `*` as 0.0.0 with only the major dirty
        ("^*", "0.0.0", True),
        # x-ranges and wildcards
        ("1.2.x", "1.2.9", True),
        ("1.2.x", "1.3.0", False),
        ("1.2.*", "1.2.0", True),
        ("1.X", "1.7.0", True),
        ("1.x", "2.0.0", False),
        ("*", "0.0.1", True),
        ("x", "42.0.0", True),
        ("1.2", "1.2.7", True),
        ("1", "1.5.0", True),
        ("1", "2.0.0", False),
        ("!=1.2.x", "1.2.5", False),
        ("!=1.2.x", "1.3.0", True),
        ("!=1.x", "1.9.0", False),
        ("!=1.x", "2.0.0", True),
        (">1.x", "1.9.0", False),
        (">1.x", "2.0.0", True),
        (">1.2", "1.2.9", False),
        (">1.2", "1.3.0", True),
        ("<=1.2", "1.2.9", True),
        ("<=1.2", "1.3.0", False),
        ("<=1.x", "1.99.0", True),
        ("<=1.x", "2.0.0", False),
        # hyphen ranges: inclusive, and an upper bound with fewer parts admits its whole range
        ("1.2 - 1.4.5", "1.2.0", True),
        ("1.2 - 1.4.5", "1.4.5", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        ("1.2.3 - 2", "2.9.0", True),
        ("1.2.3 - 2", "1.2.2", False),
        ("1.0 - 1.4 || 3.0 - 3.4", "3.2.0", True),
        ("1.0 - 1.4 || 3.0 - 3.4", "2.0.0", False),
    ],
)
def test_satisfies(constraint: str, version: str, expected: bool) -> None:
    assert satisfies(version, constraint) is expected


# Masterminds' own TestConstraintCheck / TestConstraintsCheck tables (constraints_test.go),
# as `constraint | version | expected`.
MASTERMINDS_CASES = """
=2.0.0 | 1.2.3 | F
=2.0.0 | 2.0.0 | T
=2.0 | 1.2.3 | F
=2.0 | 2.0.0 | T
=2.0 | 2.0.1 | T
4.1 | 4.1.0 | T
!=4.1.0 | 4.1.0 | F
!=4.1.0 | 4.1.1 | T
!=4.1 | 4.1.0 | F
!=4.1 | 4.1.1 | F
!=4.1 | 5.1.0-alpha.1 | F
!=4.1-alpha | 4.1.0 | T
!=4.1 | 5.1.0 | T
<11 | 0.1.0 | T
<11 | 11.1.0 | F
<1.1 | 0.1.0 | T
<1.1 | 1.1.0 | F
<1.1 | 1.1.1 | F
<=11 | 1.2.3 | T
<=11 | 12.2.3 | F
<=11 | 11.2.3 | T
<=1.1 | 1.2.3 | F
<=1.1 | 0.1.0 | T
<=1.1 | 1.1.0 | T
<=1.1 | 1.1.1 | T
>1.1 | 4.1.0 | T
>1.1 | 1.1.0 | F
>0 | 0 | F
>0 | 1 | T
>0 | 0.0.1-alpha | F
>0.0 | 0.0.1-alpha | F
>0-0 | 0.0.1-alpha | F
>0.0-0 | 0.0.1-alpha | F
>0 | 0.0.0-alpha | F
>0-0 | 0.0.0-alpha | F
>0.0.0-0 | 0.0.0-alpha | T
>1.2.3-alpha.1 | 1.2.3-alpha.2 | T
>1.2.3-alpha.1 | 1.3.3-alpha.2 | T
>11 | 11.1.0 | F
>11.1 | 11.1.0 | F
>11.1 | 11.1.1 | F
>11.1 | 11.2.1 | T
>=11 | 11.1.2 | T
>=11.1 | 11.1.2 | T
>=11.1 | 11.0.2 | F
>=1.1 | 4.1.0 | T
>=1.1 | 1.1.0 | T
>=1.1 | 0.0.9 | F
>=0 | 0.0.1-alpha | F
>=0.0 | 0.0.1-alpha | F
>=0-0 | 0.0.1-alpha | T
>=0.0-0 | 0.0.1-alpha | T
>=0 | 0.0.0-alpha | F
>=0-0 | 0.0.0-alpha | T
>=0.0.0-0 | 0.0.0-alpha | T
>=0.0.0-0 | 1.2.3 | T
>=0.0.0-0 | 3.4.5-beta.1 | T
<0 | 0.0.0-alpha | F
<0-z | 0.0.0-alpha | T
>=0 | 0 | T
=0 | 1 | F
* | 1 | T
* | 4.5.6 | T
* | 1.2.3-alpha.1 | F
*-0 | 1.2.3-alpha.1 | T
2.* | 1 | F
2.* | 3.4.5 | F
2.* | 2.1.1 | T
2.1.* | 2.1.1 | T
2.1.* | 2.2.1 | F
2 | 1 | F
2 | 3.4.5 | F
2 | 2.1.1 | T
2.1 | 2.1.1 | T
2.1 | 2.2.1 | F
~1.2.3 | 1.2.4 | T
~1.2.3 | 1.3.4 | F
~1.2 | 1.2.4 | T
~1.2 | 1.3.4 | F
~1 | 1.2.4 | T
~1 | 2.3.4 | F
~0.2.3 | 0.2.5 | T
~0.2.3 | 0.3.5 | F
~1.2.3-beta.2 | 1.2.3-beta.4 | T
~1.2.3-beta.2 | 1.2.4-beta.2 | T
~1.2.3-beta.2 | 1.3.4-beta.2 | F
^1.2.3 | 1.8.9 | T
^1.2.3 | 2.8.9 | F
^1.2.3 | 1.2.1 | F
^1.1.0 | 2.1.0 | F
^1.2.0 | 2.2.1 | F
^1.2.0 | 1.2.1-alpha.1 | F
^1.2.0-alpha.0 | 1.2.1-alpha.1 | T
^1.2.0-alpha.0 | 1.2.1-alpha.0 | T
^1.2.0-alpha.2 | 1.2.0-alpha.1 | F
^1.2 | 1.8.9 | T
^1.2 | 2.8.9 | F
^1 | 1.8.9 | T
^1 | 2.8.9 | F
^0.2.3 | 0.2.5 | T
^0.2.3 | 0.5.6 | F
^0.2 | 0.2.5 | T
^0.2 | 0.5.6 | F
^0.0.3 | 0.0.3 | T
^0.0.3 | 0.0.4 | F
^0.0 | 0.0.3 | T
^0.0 | 0.1.4 | F
^0.0 | 1.0.4 | F
^0 | 0.2.3 | T
^0 | 1.1.4 | F
^0.2.3-beta.2 | 0.2.3-beta.4 | T
^0.2.3-beta.2 | 0.2.4-beta.2 | T
^0.2.3-beta.2 | 0.3.4-beta.2 | F
^0.2.3-beta.2 | 0.2.3-beta.2 | T
~0.0.0 | 1.2.3 | T
0.x.x | 1.2.3 | F
0.0.x | 1.2.3 | F
0.0.0 | 1.2.3 | F
^0.0.0 | 1.2.3 | F
= 2.0 | 1.2.3 | F
= 2.0 | 2.0.0 | T
4.1.x | 4.1.3 | T
1.x | 1.4 | T
!=4.1-alpha | 4.1.0-alpha | F
!=4.1-alpha | 4.1.1-alpha | F
!=4.x | 5.1.0 | T
!=4.x | 4.1.0 | F
!=4.1.x | 4.2.0 | T
!=4.2.x | 4.2.3 | F
<1.x | 1.1.1 | F
<1.x | 0.1.1 | T
<1.x | 2.0.0 | F
<1.1.x | 1.2.1 | F
<1.1.x | 1.1.500 | F
<1.1.x | 1.0.500 | T
<1.2.x | 1.1.1 | T
>=1.1 | 4.1.0-beta | F
<=1.1 | 0.1.0-alpha | F
<=1.1-a | 0.1.0-alpha | T
<=1.x | 1.1.0 | T
<=2.x | 3.0.0 | F
<=1.1.x | 1.2.500 | F
<=4.5 | 3.4.0 | T
<=4.5 | 3.7.0 | T
<=4.5 | 4.6.3 | F
>1.1, <2 | 1.1.1 | F
>1.1, <2 | 1.2.1 | T
>1.1, <3 | 4.3.2 | F
>=1.1, <2, !=1.2.3 | 1.2.3 | F
>1.1    <3 | 4.3.2 | F
>=1.1    <2    !=1.2.3 | 1.2.3 | F
>=1.1, <2, !=1.2.3 || > 3 | 4.1.2 | T
>=1.1, <2, !=1.2.3 || > 3 | 3.1.2 | F
>=1.1, <2, !=1.2.3 || >= 3 | 3.0.0 | T
>=1.1, <2, !=1.2.3 || > 3 | 3.0.0 | F
>=1.1, <2, !=1.2.3 || > 3 | 1.2.3 | F
>=1.1 <2 !=1.2.3 || > 3 | 4.1.2 | T
> 1.1, <     2 | 1.1.1 | F
>   1.1, <2 | 1.2.1 | T
>= 1.1, <     2, !=1.2.3 | 1.2.3 | F
>=1.1    < 2    != 1.2.3 | 1.2.3 | F
>= 1.1 < 2 !=1.2.3 || > 3 | 3.0.0 | F
1.1 - 2 | 1.1.1 | T
1.5.0 - 4.5 | 3.7.0 | T
1.1-3 | 4.3.2 | F
^1.1 | 1.1.1 | T
^1.1 | 4.3.2 | F
^1.x | 1.1.1 | T
^2.x | 1.1.1 | F
^1.x | 2.1.1 | F
^1.x | 1.1.1-beta1 | F
^1.1.2-alpha | 1.2.1-beta1 | T
^1.2.x-alpha | 1.1.1-beta1 | F
^0.0.1 | 0.0.1 | T
^0.0.1 | 0.3.1 | F
~* | 2.1.1 | T
~1 | 2.1.1 | F
~1 | 1.3.5 | T
~1 | 1.4 | T
~1 | 1.3.5-beta | F
~1.x | 2.1.1 | F
~1.x | 1.3.5 | T
~1.x | 1.4 | T
~1.1 | 1.1.1 | T
~1.1 | 1.1.1-alpha | F
~1.1-alpha | 1.1.1-beta | T
~1.1.1-beta | 1.1.1-alpha | F
~1.1.1-beta | 1.1.1 | T
~1.3.6-alpha | 1.3.5-beta | F
~1.3.5-alpha | 1.3.5-beta | T
~1.2.3 | 1.2.5 | T
~1.2.3 | 1.2.2 | F
~1.2.3 | 1.3.2 | F
~1.1 | 1.2.3 | F
~1.3 | 2.4.5 | F
"""


def _table(text: str) -> list[tuple[str, str, bool]]:
    rows = []
    for line in text.strip().splitlines():
        constraint, version, expected = (cell.strip() for cell in line.split(" | "))
        rows.append((constraint, version, expected == "T"))
    return rows


@pytest.mark.parametrize(("constraint", "version", "expected"), _table(MASTERMINDS_CASES))
def test_masterminds_tables(constraint: str, version: str, expected: bool) -> None:
    assert Constraint.parse(constraint).check(version) is expected


@pytest.mark.parametrize(
    ("constraint", "alternatives", "terms"),
    [
        (">= 1.1", 1, 1),
        (">40.50.60, < 50.70", 1, 2),
        ("2.0", 1, 1),
        ("v2.3.5-20161202202307-sha.e8fc5e5", 1, 1),
        (">= 1.2.3 < 2.0", 1, 2),
        (">= 1.2.3 < 2.0 || => 3.0 < 4", 2, 2),
        (">= 1.2.3, < 2.0 || => 3.0, < 4", 2, 2),
        ("3 - 4 || => 3.0, < 4", 2, 2),
        ("12.3.34 ~1.2.3", 1, 2),
    ],
)
def test_masterminds_new_constraint(constraint: str, alternatives: int, terms: int) -> None:
    parsed = Constraint.parse(constraint)
    assert len(parsed.alternatives) == alternatives
    assert len(parsed.alternatives[0]) == terms


@pytest.mark.parametrize(
    "constraint", [">= bar", "BAR >= 1.2.3", "12.3.4.1234", "12.23.4.1234", "12.3.34~ 1.2.3"]
)
def test_masterminds_new_constraint_errors(constraint: str) -> None:
    with pytest.raises(VersionError):
        Constraint.parse(constraint)


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        # a constraint without a prerelease never admits a prerelease version...
        (">=1.0.0", "1.2.0-beta.1", False),
        ("<2.0.0", "1.0.0-rc.1", False),
        ("^1.0.0", "1.5.0-alpha", False),
        ("~1.2", "1.2.5-rc.1", False),
        ("1.2.x", "1.2.5-rc.1", False),
        ("*", "1.0.0-rc.1", False),
        # ...except a plain `!=` (Masterminds checks prereleases there only for wildcards)
        ("!=1.2.3", "1.2.4-beta", True),
        ("!=1.x", "2.0.0-beta", False),
        # a term with a prerelease admits prereleases, ordered by precedence
        (">=1.2.0-beta.1", "1.2.0-beta.2", True),
        (">=1.2.0-beta.1", "1.2.0-alpha.9", False),
        (">=1.2.0-beta.1", "1.5.0-rc.1", True),
        (">=1.2.0-0", "1.2.0-alpha", True),
        ("=1.2.3-rc.1", "1.2.3-rc.1", True),
        ("^1.2.3-beta.2", "1.2.3-beta.4", True),
        ("^1.2.3-beta.2", "2.0.0-beta.1", False),
        ("~1.2.3-beta.2", "1.2.4-beta.2", True),
        # but each term judges for itself: the upper bound has none here
        (">=1.0.0-alpha, <2.0.0", "1.5.0-beta", False),
        (">=1.0.0-alpha, <2.0.0-0", "1.5.0-beta", True),
        ("1.2.3-alpha.1 - 1.2.3", "1.2.3-beta", False),
        # build metadata is ignored
        ("=1.2.3", "1.2.3+build.1", True),
        ("=1.2.3+build.1", "1.2.3", True),
    ],
)
def test_satisfies_prereleases(constraint: str, version: str, expected: bool) -> None:
    assert satisfies(version, constraint) is expected


@pytest.mark.parametrize(
    "constraint",
    [
        "",
        "   ",
        ">=",
        "abc",
        ">=1.2.3 ||",
        "|| 1.0",
        ">=1.2.3,,<2",
        "=>>1.0",
        "1.2.3.4",
        ">=1.0 && <2.0",
        "1|2",
    ],
)
def test_constraint_rejects(constraint: str) -> None:
    with pytest.raises(VersionError):
        Constraint.parse(constraint)


def test_constraint_object() -> None:
    c = Constraint.parse(">=1.2, <2 || ^3")
    assert str(c) == ">=1.2, <2 || ^3"
    assert [len(terms) for terms in c.alternatives] == [2, 1]
    assert c.check("1.5.0") and c.check(parse_version("3.1.0"))
    assert not c.check("2.5.0")
    with pytest.raises(VersionError):
        c.check("garbage")


def test_long_blank_runs_do_not_backtrack() -> None:
    # folded before validation: a pathological constraint still fails fast
    with pytest.raises(VersionError):
        Constraint.parse(("1" + " " * 50) * 30 + "!")


# --------------------------------------------------------------------------------------------------
# TestChooseAddonVersion (versioned_registry_test.go) and Helm version choice (upstream §9.4)

HELM_VERSIONS = ["v1.4.0-beta1", "v1.3.6", "v1.2.0"]


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("v1.2.0", "v1.2.0"),
        ("1.2.0", "v1.2.0"),
        (None, "v1.3.6"),
        ("", "v1.3.6"),
        ("v1.4.0-beta1", "v1.4.0-beta1"),
    ],
)
def test_choose_helm_version_upstream(requested: str | None, expected: str) -> None:
    assert choose_helm_version(HELM_VERSIONS, requested, "fluxcd") == expected


@pytest.mark.parametrize(
    ("available", "requested", "expected"),
    [
        (["1.0.0", "2.0.0", "1.5.0"], None, "2.0.0"),  # any input order
        (["2.0.0-rc.1", "1.9.0", "latest"], None, "1.9.0"),
        (["1.2.0"], "v1.2.0", "1.2.0"),
        (["v1.2", "1.2.0"], "1.2", "v1.2"),  # exact text apart from the `v`; no normalising
        (["1.0.0", "1.0.0+b"], None, "1.0.0"),
    ],
)
def test_choose_helm_version(available: list[str], requested: str | None, expected: str) -> None:
    assert choose_helm_version(available, requested, "x") == expected


@pytest.mark.parametrize(
    ("available", "requested", "message"),
    [
        (["1.0.0", "2.0.0"], "3.0.0", "specified version 3.0.0 for addon fluxcd not exist"),
        (["1.0.0"], "1.0", "specified version 1.0 for addon fluxcd not exist"),
        (["2.0.0-rc.1", "latest"], None, "specified version  for addon fluxcd not exist"),
        ([], None, "specified version  for addon fluxcd not exist"),
    ],
)
def test_choose_helm_version_missing(available: list[str], requested: str | None, message: str) -> None:
    with pytest.raises(VersionNotFoundError) as info:
        choose_helm_version(available, requested, "fluxcd")
    assert info.value.message == message


# --------------------------------------------------------------------------------------------------
# TestCalculateDependencyVersionToInstall, every case

FOUR = ["1.0.0", "1.2.3", "1.3.0", "2.0.0"]
RANGE = ">=1.2.3, <2.0.0"
MISMATCH = "addon addon1 version '>=1.2.3, <2.0.0' does not match installed version '1.2.0'"


@pytest.mark.parametrize(
    ("name", "constraint", "installed", "available", "expected"),
    [
        ("addon1", "", None, FOUR, "2.0.0"),
        ("addon1", "", "1.2.3", None, "1.2.3"),
        ("addon1", RANGE, None, FOUR, "1.3.0"),
        ("addon1", RANGE, "1.2.3", None, "1.2.3"),
        ("addon1", RANGE, "1.2.3", FOUR, "1.2.3"),
        # beyond upstream's table
        ("addon1", "", None, ["v1.0.0", "v2.0.0", "junk"], "v2.0.0"),  # returned as stored
        ("addon1", ">=v1.1", None, ["v1.0.0", "v1.1.0"], "v1.1.0"),
        ("addon1", ">=1.0.0", None, ["1.1.0-rc.1", "1.0.5"], "1.1.0-rc.1"),  # checkSemVer's fallback
        ("addon1", ">=1.1.0", None, ["1.1.0-rc.1", "1.0.5"], None),  # ...but not for `>=` its own core
        ("addon1", "", "weird", None, "weird"),
    ],
)
def test_dependency_version_to_install(
    name: str, constraint: str, installed: str | None, available: list[str] | None, expected: str | None
) -> None:
    if expected is None:
        with pytest.raises(DependencyError):
            dependency_version_to_install(name, constraint, installed, available)
    else:
        assert dependency_version_to_install(name, constraint, installed, available) == expected


@pytest.mark.parametrize(
    ("name", "constraint", "installed", "available", "message"),
    [
        ("", "", None, None, "dependency name cannot be empty"),
        ("addon1", RANGE, None, None, "no available addon with name addon1"),
        (
            "addon1",
            RANGE,
            None,
            ["1.0.0", "1.2.0", "2.0.0"],
            "no available addon with name addon1 and version '>=1.2.3, <2.0.0', "
            "available versions [1.0.0 1.2.0 2.0.0]",
        ),
        ("addon1", RANGE, "1.2.0", None, MISMATCH),
        # beyond upstream's table
        ("addon1", RANGE, "1.2.0", FOUR, MISMATCH),
        ("addon1", "", None, [], "no available addon with name addon1"),
        ("addon1", "", None, ["latest"], "no available addon with name addon1"),
        (
            "addon1",
            ">=1",
            None,
            [],
            "no available addon with name addon1 and version '>=1', available versions []",
        ),
        (
            "addon1",
            "bogus",
            "1.0.0",
            None,
            "addon addon1 version 'bogus' does not match installed version '1.0.0'",
        ),
    ],
)
def test_dependency_version_to_install_errors(
    name: str, constraint: str, installed: str | None, available: list[str] | None, message: str
) -> None:
    with pytest.raises(DependencyError) as info:
        dependency_version_to_install(name, constraint, installed, available)
    assert info.value.message == message
    assert info.value.exit_code is ExitCode.FAILED


# --------------------------------------------------------------------------------------------------
# TestValidateAddonDependencies


@dataclass(frozen=True)
class Dep:
    name: str
    version: str = ""


def test_validate_dependencies_none() -> None:
    validate_dependencies("addon1", [], {}, {})


def test_validate_dependencies_satisfied() -> None:
    validate_dependencies("addon2", [Dep("addon1", RANGE)], {}, {"addon1": FOUR})


def test_validate_dependencies_collects_all_errors() -> None:
    deps = [Dep("addon1", RANGE), Dep("addon2", RANGE), Dep("addon3", RANGE)]
    with pytest.raises(DependencyError) as info:
        validate_dependencies("addon4", deps, {}, {})
    assert info.value.message == (
        "addon addon4 has unresolvable dependency addon1: no available addon with name addon1; "
        "addon addon4 has unresolvable dependency addon2: no available addon with name addon2; "
        "addon addon4 has unresolvable dependency addon3: no available addon with name addon3"
    )


def test_validate_dependencies_prefers_installed() -> None:
    with pytest.raises(DependencyError) as info:
        validate_dependencies("app", [Dep("fluxcd", ">=2.0.0")], {"fluxcd": "1.0.0"}, {"fluxcd": ["2.0.0"]})
    assert info.value.message == (
        "addon app has unresolvable dependency fluxcd: "
        "addon fluxcd version '>=2.0.0' does not match installed version '1.0.0'"
    )


# --------------------------------------------------------------------------------------------------
# TestListAvailableAddons


def test_merge_available_upstream() -> None:
    registries = [
        {"addon1": ["1.0.0"], "addon2": ["2.0.0"]},
        {"addon1": ["1.2.0", "1.1.0"], "addon3": ["3.0.0"]},
    ]
    assert merge_available(registries) == {
        "addon1": ["1.2.0", "1.1.0", "1.0.0"],
        "addon2": ["2.0.0"],
        "addon3": ["3.0.0"],
    }


def test_merge_available_dedupes_and_keeps_spelling() -> None:
    registries = [{"a": ["v1.0.0", "2.0.0-rc.1"]}, {"a": ["1.0.0", "2.0.0", "nightly", "1.5"]}, {}]
    assert merge_available(registries) == {"a": ["2.0.0", "2.0.0-rc.1", "1.5", "v1.0.0", "nightly"]}


def test_merge_available_does_not_mutate() -> None:
    first = {"a": ["1.0.0"]}
    merge_available([first, {"a": ["2.0.0"]}])
    assert first == {"a": ["1.0.0"]}


# --------------------------------------------------------------------------------------------------
# TestGenerateAvailableVersions / TestLimitStringLength (references/cli/addon_test.go, upstream §8.2)


@pytest.mark.parametrize(
    ("versions", "installed", "limit", "expected"),
    [
        (["1.2.3", "1.2.2", "1.2.1"], "1.2.1", 3, "[1.2.1, 1.2.3, 1.2.2]"),
        (["1.2.3", "1.2.2", "1.2.1", "1.2.0"], "1.2.1", 3, "[1.2.1, 1.2.3, 1.2.2, ...]"),
        (["1.2.3", "1.2.2", "1.2.1", "1.2.0"], None, 3, "[1.2.3, 1.2.2, 1.2.1, ...]"),
        (["1.2.3", "1.2.2"], "9.9.9", 3, "[1.2.3, 1.2.2]"),
        ([], "1.0.0", 3, "[]"),
        ([], None, 0, "[]"),
        (["1.0.0"], None, 0, "[...]"),
        (["3", "2", "1"], "", 3, "[3, 2, 1]"),
        (["5", "4", "3", "2", "1"], None, 8, "[5, 4, 3, 2, 1]"),
        (["5", "4", "3", "2", "1"], "1", -1, "[1, 5, 4, 3, 2]"),
    ],
)
def test_format_available_versions(
    versions: list[str], installed: str | None, limit: int, expected: str
) -> None:
    assert format_available_versions(versions, installed, limit) == expected


def test_format_available_versions_highlight_and_no_mutation() -> None:
    versions = ["1.2.3", "1.2.2", "1.2.1"]
    out = format_available_versions(versions, "1.2.2", 3, highlight=lambda v: f"*{v}*")
    assert out == "[*1.2.2*, 1.2.3, 1.2.1]"
    assert versions == ["1.2.3", "1.2.2", "1.2.1"]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("4444", 4, "4444"),
        ("3333", 3, "333..."),
        ("22", 3, "22"),
        ("abc", 0, "abc"),
        ("abc", -1, "abc"),
        ("", 3, ""),
        ("héllo", 2, "h..."),  # byte count; a split character is dropped
        ("héllo", 3, "hé..."),
    ],
)
def test_limit_string_length(text: str, limit: int, expected: str) -> None:
    assert limit_string_length(text, limit) == expected
