"""Semantic versions and constraints the way `vela addon` judges them.

KubeVela relies on Masterminds semver v3, which is more lenient than SemVer 2.0 (`v1.2` is 1.2.0,
`1.2.02` is 1.2.2) and has its own constraint grammar and prerelease rule. Addon catalogs are written
against that behaviour, so this module ports it instead of using a strict SemVer library: the
regular expressions below are Masterminds' own, the constraint functions follow its `constraints.go`
branch for branch, and `check_semver` adds KubeVela's `v`-stripping and prerelease fallback on top.

Versions keep the text they were parsed from (`Version.original`): veladdon prints versions as
stored, and only normalises (`str(version)`) where upstream does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from veladdon.errors import InputError, VeladdonError

__all__ = [
    "Constraint",
    "DependencyError",
    "DependencyLike",
    "Version",
    "VersionError",
    "VersionNotFoundError",
    "check_semver",
    "choose_helm_version",
    "dependency_version_to_install",
    "format_available_versions",
    "is_semver",
    "limit_string_length",
    "merge_available",
    "parse_version",
    "satisfies",
    "sort_versions_descending",
    "validate_dependencies",
]


class VersionError(InputError):
    """A version or constraint that cannot be parsed (a bad flag or a bad metadata.yaml: exit 2)."""


class VersionNotFoundError(VeladdonError):
    """The requested version is not among those a registry offers (exit 1, as an addon no registry
    has: the request is well formed, the registry just lacks it)."""


class DependencyError(VeladdonError):
    """A dependency no installed or available version can satisfy (the enable fails: exit 1)."""


# --------------------------------------------------------------------------------------------------
# Versions

_UINT64_MAX = (1 << 64) - 1

# Masterminds' lenient ("loose") version regex: NewVersion accepts what this matches.
_VERSION_RE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)


def _numeric_identifier(part: str) -> int | None:
    """The value of a prerelease identifier Go's ParseUint accepts, else None (it compares as text)."""
    if part.isascii() and part.isdigit():
        value = int(part)
        if value <= _UINT64_MAX:
            return value
    return None


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    si, oi = _numeric_identifier(s), _numeric_identifier(o)
    if si is None and oi is None:
        return 1 if s > o else -1
    if oi is None:  # o is text, s a number: numbers sort first
        return -1
    if si is None:
        return 1
    return 1 if si > oi else -1


def _compare_prerelease(v: str, o: str) -> int:
    sparts, oparts = v.split("."), o.split(".")
    for i in range(max(len(sparts), len(oparts))):
        d = _compare_pre_part(
            sparts[i] if i < len(sparts) else "",
            oparts[i] if i < len(oparts) else "",
        )
        if d:
            return d
    return 0


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A parsed version. Ordering and equality are SemVer precedence (build metadata ignored), as
    Masterminds' Compare; `original` keeps the text as written so it can be printed unchanged."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""
    build: str = ""
    original: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.original:  # built from fields: "as stored" is the normalised form
            object.__setattr__(self, "original", str(self))

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.build:
            text += f"+{self.build}"
        return text

    def compare(self, other: Version) -> int:
        """-1, 0 or 1, exactly as Masterminds' `Version.Compare`."""
        for a, b in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if a != b:
                return -1 if a < b else 1
        if self.prerelease == other.prerelease:
            return 0
        if not self.prerelease:
            return 1
        if not other.prerelease:
            return -1
        return _compare_prerelease(self.prerelease, other.prerelease)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) == 0

    def __lt__(self, other: Version) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) < 0

    def __hash__(self) -> int:
        return hash((self.major, self.minor, self.patch, self.prerelease))


def _validate_prerelease(pre: str) -> bool:
    """Masterminds rejects numeric prerelease identifiers with a leading zero (ErrSegmentStartsZero)."""
    return not any(part.isdigit() and len(part) > 1 and part[0] == "0" for part in pre.split("."))


def _try_parse(text: str) -> Version | None:
    m = _VERSION_RE.fullmatch(text)
    if m is None:
        return None
    major = int(m.group(1))
    minor = int(m.group(2)[1:]) if m.group(2) else 0
    patch = int(m.group(3)[1:]) if m.group(3) else 0
    if max(major, minor, patch) > _UINT64_MAX:
        return None
    pre = m.group(5) or ""
    if pre and not _validate_prerelease(pre):
        return None
    return Version(major, minor, patch, pre, m.group(8) or "", original=text)


def parse_version(text: str) -> Version:
    """Parse like Masterminds' NewVersion: optional `v`, 1–3 numeric parts (leading zeros allowed),
    prerelease and build metadata. Raises VersionError on anything else."""
    version = _try_parse(text)
    if version is None:
        raise VersionError(f"invalid semantic version: {text!r}")
    return version


def is_semver(text: str) -> bool:
    """True when `parse_version` would accept `text`."""
    return _try_parse(text) is not None


# --------------------------------------------------------------------------------------------------
# Constraints (Masterminds constraints.go)

_WS = r"[\t\n\f\r ]"  # Go's \s
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CONSTRAINT_RE = re.compile(rf"^{_WS}*({_OPS}){_WS}*({_CV}){_WS}*\Z")
_RANGE_RE = re.compile(rf"{_WS}*({_CV}){_WS}+-{_WS}+({_CV}){_WS}*")
_FIND_RE = re.compile(rf"({_OPS}){_WS}*({_CV})")
_VALID_RE = re.compile(
    rf"^({_WS}*({_OPS}){_WS}*({_CV}){_WS}*)((?:{_WS}+|,{_WS}*)({_OPS}){_WS}*({_CV}){_WS}*)*\Z"
)
_WS_RUN_RE = re.compile(rf"{_WS}+")


def _is_x(text: str) -> bool:
    return text in ("x", "X", "*")


@dataclass(frozen=True)
class _Term:
    """One comparison such as `>=1.2` (Masterminds' `constraint`)."""

    op: str
    con: Version
    orig: str
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def check(self, v: Version) -> bool:
        # Masterminds v3: a term without a prerelease never admits a prerelease version (every
        # operator checks this first, except a plain `!=1.2.3`).
        if v.prerelease and not self.con.prerelease and (self.op != "!=" or self.dirty):
            return False
        return _OPERATORS[self.op](v, self)


def _not_equal(v: Version, c: _Term) -> bool:
    if c.dirty:
        if c.con.major != v.major:
            return True
        if c.con.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if c.con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            if v.prerelease or c.con.prerelease:
                return _compare_prerelease(v.prerelease, c.con.prerelease) != 0
            return False
    return v != c.con


def _greater_than(v: Version, c: _Term) -> bool:
    if not c.dirty:
        return v.compare(c.con) == 1
    if v.major != c.con.major:
        return v.major > c.con.major
    if c.minor_dirty:  # `>11` needs 12 or higher
        return False
    if c.patch_dirty:  # `>11.1` needs 11.2 or higher
        return v.minor > c.con.minor
    return v.compare(c.con) == 1


def _less_than(v: Version, c: _Term) -> bool:
    return v.compare(c.con) < 0


def _greater_equal(v: Version, c: _Term) -> bool:
    return v.compare(c.con) >= 0


def _less_equal(v: Version, c: _Term) -> bool:
    if not c.dirty:
        return v.compare(c.con) <= 0
    if v.major > c.con.major:
        return False
    return not (v.major == c.con.major and v.minor > c.con.minor and not c.minor_dirty)


def _tilde(v: Version, c: _Term) -> bool:
    if v < c.con:
        return False
    if c.con.major == 0 and c.con.minor == 0 and c.con.patch == 0 and not c.minor_dirty and not c.patch_dirty:
        return True  # ~0.0.0 / ~* admit everything
    if v.major != c.con.major:
        return False
    return not (v.minor != c.con.minor and not c.minor_dirty)


def _tilde_or_equal(v: Version, c: _Term) -> bool:
    if c.dirty:
        return _tilde(v, c)
    return v == c.con


def _caret(v: Version, c: _Term) -> bool:
    if v < c.con:
        return False
    if c.con.major > 0 or c.minor_dirty:
        return v.major == c.con.major
    if v.major > 0:  # constraint major is 0 from here on
        return False
    if c.con.minor > 0 or c.patch_dirty:
        return v.minor == c.con.minor
    if v.minor > 0:
        return False
    return c.con.patch == v.patch


_OPERATORS: dict[str, Callable[[Version, _Term], bool]] = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater_than,
    "<": _less_than,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _parse_term(text: str, whole: str) -> _Term:
    m = _CONSTRAINT_RE.match(text)
    if m is None:
        raise VersionError(f"improper constraint: {whole!r}")
    op, ver = m.group(1), m.group(2)
    major, minor, patch, pre = m.group(3), m.group(4) or "", m.group(5) or "", m.group(6) or ""
    dirty = minor_dirty = patch_dirty = False
    if _is_x(major):
        ver, dirty = f"0.0.0{pre}", True
    elif _is_x(minor[1:]) or minor == "":
        ver, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif _is_x(patch[1:]) or patch == "":
        ver, dirty, patch_dirty = f"{major}{minor}.0{pre}", True, True
    con = _try_parse(ver)
    if con is None:
        raise VersionError(f"improper constraint: {whole!r}")
    return _Term(op, con, m.group(2), dirty, minor_dirty, patch_dirty)


def _rewrite_ranges(text: str) -> str:
    """`1.2 - 1.4` → `>= 1.2, <= 1.4` (Masterminds' rewriteRange)."""
    out = text
    for m in _RANGE_RE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)}", 1)
    return out


@dataclass(frozen=True)
class Constraint:
    """A Masterminds v3 constraint: `||` separates alternatives, commas or spaces join terms that must
    all hold; operators `= != > < >= <= ~ ~> ^`, x-ranges (`1.2.x`, `*`) and hyphen ranges."""

    text: str
    alternatives: tuple[tuple[_Term, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        # Runs of blanks are folded first: equivalent for the grammar, and it keeps the validating
        # regular expression (nested repetition) from backtracking badly on long blank runs.
        folded = _rewrite_ranges(_WS_RUN_RE.sub(" ", text))
        alternatives: list[tuple[_Term, ...]] = []
        for part in folded.split("||"):
            if not _VALID_RE.match(part):
                raise VersionError(f"improper constraint: {text!r}")
            found = [m.group(0) for m in _FIND_RE.finditer(part)] or [part]
            alternatives.append(tuple(_parse_term(t, text) for t in found))
        return cls(text, tuple(alternatives))

    def check(self, version: Version | str) -> bool:
        v = parse_version(version) if isinstance(version, str) else version
        return any(all(term.check(v) for term in terms) for terms in self.alternatives)

    def __str__(self) -> str:
        return self.text


def satisfies(version_text: str, constraint_text: str) -> bool:
    """Plain Masterminds semantics (no KubeVela adjustments). Raises VersionError on bad input."""
    return Constraint.parse(constraint_text).check(parse_version(version_text))


def check_semver(actual: str, constraint: str) -> bool:
    """KubeVela's `checkSemVer`, used for system requirements and dependency constraints.

    On top of Masterminds: every `v` in the constraint becomes a blank (so `>=v1.2` works) and one
    leading `v` is stripped from the version. When that fails for a prerelease version and the
    constraint names no prerelease, the version's core is tried instead (`1.4.0-beta.1` satisfies
    `>=1.3.0`) — except for `>=X` where the text after the first `=` is exactly that core
    (`1.5.0-beta.1` does not satisfy `>=1.5.0`). Raises VersionError for unparseable input.
    """
    if not constraint:
        return True
    try:
        parsed = Constraint.parse(constraint.replace("v", " "))
    except VersionError:
        raise VersionError(f"improper constraint: {constraint!r}") from None
    if parsed.check(parse_version(actual.removeprefix("v"))):
        return True
    if "-" in actual and "-" not in constraint:
        core = actual[: actual.index("-")].removeprefix("v")
        if ">=" in constraint and constraint[constraint.index("=") + 1 :] == core:
            return False
        return parsed.check(parse_version(core))
    return False


def _matches(actual: str, constraint: str) -> bool:
    """check_semver with upstream's error handling at its call sites: an error is "no match"."""
    try:
        return check_semver(actual, constraint)
    except VersionError:
        return False


# --------------------------------------------------------------------------------------------------
# Choosing versions


def sort_versions_descending(texts: Iterable[str]) -> list[str]:
    """Highest first, normalised (`v1.0.0` → `1.0.0`, `2` → `2.0.0`), unparseable entries dropped:
    upstream's `sortVersionsDescending`. Equal precedence keeps input order."""
    return [str(v) for v in _sorted_parsed(texts)]


def _sorted_parsed(texts: Iterable[str]) -> list[Version]:
    parsed = [v for v in map(_try_parse, texts) if v is not None]
    return sorted(parsed, reverse=True)


def choose_helm_version(available: Sequence[str], requested: str | None, addon_name: str) -> str:
    """The version of a Helm-registry addon to load, as stored in the index.

    With `requested`, the first exact match ignoring one leading `v` on both sides (`1.2.0` selects
    `v1.2.0`); without, the highest version that parses and has no prerelease. `available` may be in
    any order: it is ranked like Helm's index (descending, unparseable last) before choosing.
    """
    ranked = _rank_like_helm(available)
    if requested:
        wanted = requested.removeprefix("v")
        for text in ranked:
            if text.removeprefix("v") == wanted:
                return text
    else:
        for text in ranked:
            v = _try_parse(text)
            if v is not None and not v.prerelease:
                return text
    raise VersionNotFoundError(f"specified version {requested or ''} for addon {addon_name} not exist")


def _rank_like_helm(texts: Sequence[str]) -> list[str]:
    parsed = [(v, t) for t in texts if (v := _try_parse(t)) is not None]
    parsed.sort(key=lambda pair: pair[0], reverse=True)
    return [t for _, t in parsed] + [t for t in texts if _try_parse(t) is None]


def dependency_version_to_install(
    name: str,
    constraint: str,
    installed: str | None,
    available: Sequence[str] | None,
) -> str:
    """The version of dependency `name` to use (upstream's `calculateDependencyVersionToInstall`).

    An installed dependency wins if it satisfies `constraint`; otherwise the highest available
    version satisfying it (highest overall without a constraint). `available` is None when no
    registry offers the addon. Returns the version as stored, not normalised (see module docs).
    Raises DependencyError with upstream's exact texts.
    """
    if not name:
        raise DependencyError("dependency name cannot be empty")
    if installed is not None:
        if not constraint or _matches(installed, constraint):
            return installed
        raise DependencyError(
            f"addon {name} version '{constraint}' does not match installed version '{installed}'"
        )
    if available is None:
        raise DependencyError(f"no available addon with name {name}")
    ranked = _sorted_parsed(available)
    if not constraint:
        if not ranked:  # upstream would index an empty list and panic
            raise DependencyError(f"no available addon with name {name}")
        return ranked[0].original
    for v in ranked:
        if _matches(str(v), constraint):
            return v.original
    raise DependencyError(
        f"no available addon with name {name} and version '{constraint}', "
        f"available versions [{' '.join(available)}]"
    )


class DependencyLike(Protocol):
    """What `validate_dependencies` needs of a dependency (e.g. `veladdon.addon.model.Dependency`)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


def validate_dependencies(
    addon_name: str,
    dependencies: Iterable[DependencyLike],
    installed: Mapping[str, str],
    available: Mapping[str, Sequence[str]],
) -> None:
    """Check every dependency can be satisfied; all failures are reported together, joined by `; `
    (upstream's `validateAddonDependencies`). `installed` maps name → installed version."""
    problems: list[str] = []
    for dep in dependencies:
        try:
            dependency_version_to_install(
                dep.name, dep.version, installed.get(dep.name), available.get(dep.name)
            )
        except DependencyError as exc:
            problems.append(f"addon {addon_name} has unresolvable dependency {dep.name}: {exc.message}")
    if problems:
        raise DependencyError("; ".join(problems))


def merge_available(registries: Sequence[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
    """Union of the addon versions several registries offer (upstream's `listAvailableAddons`).

    Each name's versions are de-duplicated (by normalised form; the first spelling seen is kept) and
    sorted highest first, keeping the stored spelling. Unparseable versions, which upstream drops
    only when two registries share an addon, are kept at the end: nothing can select them anyway.
    """
    merged: dict[str, list[str]] = {}
    for registry in registries:
        for name, versions in registry.items():
            merged.setdefault(name, []).extend(versions)
    result: dict[str, list[str]] = {}
    for name, versions in merged.items():
        seen: set[str] = set()
        unique: list[str] = []
        for text in versions:
            parsed = _try_parse(text)
            key = str(parsed) if parsed is not None else f"\0{text}"
            if key not in seen:
                seen.add(key)
                unique.append(text)
        result[name] = _rank_like_helm(unique)
    return result


# --------------------------------------------------------------------------------------------------
# Display


def format_available_versions(
    versions: Sequence[str],
    installed: str | None,
    limit: int,
    *,
    highlight: Callable[[str], str] | None = None,
) -> str:
    """`[1.2.1, 1.2.3, 1.2.2, ...]` as `vela addon list/status` prints it: the installed version
    first, the rest in the given order, at most `limit` shown then `...` (`limit` < 0: no limit).
    `highlight` styles the installed version (upstream prints it bold green on a terminal)."""
    ordered = list(versions)
    if installed and installed in ordered:
        ordered.remove(installed)
        ordered.insert(0, installed)
    shown: list[str] = []
    for count, version in enumerate(ordered):
        if count == limit:
            shown.append("...")
            break
        shown.append(highlight(version) if highlight and installed and version == installed else version)
    return "[" + ", ".join(shown) + "]"


def limit_string_length(s: str, n: int) -> str:
    """The first `n` bytes of `s` plus `...` when it is longer (`n` <= 0: unchanged). Counts UTF-8
    bytes like upstream; a character cut in half is dropped rather than printed broken."""
    if n <= 0:
        return s
    data = s.encode()
    if len(data) > n:
        return data[:n].decode(errors="ignore") + "..."
    return s
