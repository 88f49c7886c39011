"""Addon parameters from the command line and from files, parsed the way `vela addon enable` does.

`vela addon enable <addon> k=v ...` feeds every positional word to Helm's `strvals` parser (the
`--set` syntax), so `image.tag=1.1` nests, `{a,b}` is a list, `3` is an int but `1.1` and `007`
stay strings. `parse_set` ports that parser rule for rule, quirks included, because addon READMEs
and scripts are written against it.

Precedence in `combine`, lowest first (later sources override earlier ones):

1. `-f/--values` files, in the order given, deep-merged (nested mappings merge key by key; lists
   and scalars are replaced);
2. positional `KEY=VALUE` words, in order;
3. `--set` expressions, in order;
4. `--clusters`, which sets the `clusters` parameter (as upstream, it overrides a `clusters=` word).

Words and `--set` expressions are parsed *into* the merged values, like `helm --set` after `-f`:
`--set image.tag=2` keeps `image.repo` from a file, `list[1]=x` changes one element, and setting a
key below a value that is not a mapping (or indexing one that is not a list) is an error.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from veladdon.addon.yamlutil import YamlError, load_yaml
from veladdon.errors import InputError

__all__ = [
    "CLUSTERS_KEY",
    "clusters_from_args",
    "combine",
    "deep_merge",
    "load_values_file",
    "parse_clusters",
    "parse_set",
]

CLUSTERS_KEY = "clusters"

_SET_HINT = r"write KEY=VALUE (dotted keys nest, {a,b} is a list, a backslash escapes , . [ =)"

# Helm's limits (strvals.MaxIndex, strvals.MaxNestedNameLevel).
_MAX_INDEX = 65536
_MAX_NESTED_NAME_LEVEL = 30

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_DECIMAL_RE = re.compile(r"[+-]?[0-9]+")


# --------------------------------------------------------------------------------------------------
# Helm strvals


class _EOF(Exception):
    """End of input. Helm's parser treats errors wrapping io.EOF as a normal end of the expression."""


class _ParseError(Exception):
    pass


def _q(text: str) -> str:
    """Go's %q, close enough for messages."""
    return json.dumps(text, ensure_ascii=False)


def _typed(value: str) -> Any:
    """strvals' typedVal: booleans and null in any case, base-10 int64 not starting with `0`."""
    folded = value.casefold()  # Go's strings.EqualFold
    if folded == "true":
        return True
    if folded == "false":
        return False
    if folded == "null":
        return None
    if value == "0":
        return 0
    if value and value[0] != "0" and _DECIMAL_RE.fullmatch(value):
        number = int(value)
        if _INT64_MIN <= number <= _INT64_MAX:
            return number
    return value


class _Parser:
    """A port of Helm's `pkg/strvals` parser (ParseInto) over one expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _read(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        self.pos += 1
        return self.text[self.pos - 1]

    def _unread(self) -> None:
        self.pos -= 1

    def _runes_until(self, stop: str) -> tuple[str, str | None]:
        """Text up to the first unescaped stop character, and that character (None at the end)."""
        out: list[str] = []
        while True:
            r = self._read()
            if r is None:
                return "".join(out), None
            if r in stop:
                return "".join(out), r
            if r == "\\":
                nxt = self._read()
                if nxt is None:
                    return "".join(out), None
                out.append(nxt)
            else:
                out.append(r)

    def parse_into(self, data: dict[str, Any]) -> None:
        try:
            while True:
                self._key(data, 0)
        except _EOF:
            return

    def _key(self, data: dict[str, Any], level: int) -> None:
        k, last = self._runes_until("=[,.")
        if last is None:
            if not k:
                raise _EOF
            raise _ParseError(f"key {_q(k)} has no value")
        if last == "[":
            index = self._key_index()
            lst: list[Any] = []
            if k in data:
                existing = data[k]
                if not isinstance(existing, list):
                    raise _ParseError(f"unable to parse key: {_q(k)} is not a list")
                lst = existing
            try:
                lst = self._list_item(lst, index, level)
            except _EOF:
                _set(data, k, lst)
                raise
            _set(data, k, lst)
            return
        if last == "=":
            try:
                items = self._val_list()
            except _EOF:
                _set(data, k, "")
                raise
            _set(data, k, items if items is not None else _typed(self._val()))
            return
        if last == ",":
            _set(data, k, "")
            raise _ParseError(f"key {_q(k)} has no value (cannot end with ,)")
        # last == "."
        level += 1
        if level > _MAX_NESTED_NAME_LEVEL:
            raise _ParseError(
                "value name nested level is greater than maximum supported nested level of "
                f"{_MAX_NESTED_NAME_LEVEL}"
            )
        inner: dict[str, Any] = {}
        if k in data:
            existing = data[k]
            if not isinstance(existing, dict):
                raise _ParseError(f"unable to parse key: {_q(k)} is not a map")
            inner = existing
        try:
            self._key(inner, level)
        except _EOF:
            if inner:
                _set(data, k, inner)
            raise
        if not inner:
            raise _ParseError(f"key map {_q(k)} has no value")
        _set(data, k, inner)

    def _key_index(self) -> int:
        v, last = self._runes_until("]")
        if last is None:
            raise _EOF  # upstream wraps io.EOF, which ends parsing silently
        if not _DECIMAL_RE.fullmatch(v):
            raise _ParseError(f"error parsing index: strconv.Atoi: parsing {_q(v)}: invalid syntax")
        return int(v)

    def _list_item(self, lst: list[Any], i: int, level: int) -> list[Any]:
        if i < 0:
            raise _ParseError(f"negative {i} index not allowed")
        k, last = self._runes_until("[.=")
        if k:
            raise _ParseError(f"unexpected data at end of array index: {_q(k)}")
        if last is None:
            raise _EOF
        if last == "=":
            try:
                items = self._val_list()
            except _EOF:
                return _set_index(lst, i, "")
            return _set_index(lst, i, items if items is not None else _typed(self._val()))
        if last == "[":
            next_i = self._key_index()
            current: list[Any] = []
            if len(lst) > i and lst[i] is not None:
                if not isinstance(lst[i], list):
                    raise _ParseError(f"unable to parse key: index {i} is not a list")
                current = lst[i]
            return _set_index(lst, i, self._list_item(current, next_i, level))
        # last == "."
        inner: dict[str, Any] = {}
        if len(lst) > i:
            if not isinstance(lst[i], dict):
                lst[i] = {}  # indices set out of order: start an empty mapping
            inner = lst[i]
        self._key(inner, level)
        return _set_index(lst, i, inner)

    def _val(self) -> str:
        v, _ = self._runes_until(",")
        return v

    def _val_list(self) -> list[Any] | None:
        """`{a,b,c}` as a list; None when the value is not a list. Raises _EOF on an empty value."""
        r = self._read()
        if r is None:
            raise _EOF
        if r != "{":
            self._unread()
            return None
        items: list[Any] = []
        while True:
            rs, last = self._runes_until(",}")
            if last is None:
                raise _ParseError("list must terminate with '}'")
            items.append(_typed(rs))
            if last == "}":
                nxt = self._read()
                if nxt is not None and nxt != ",":
                    self._unread()
                return items


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    # Upstream (Helm strvals) silently drops a value whose key is empty (`=x`, `==`, `.a=1`); a user who
    # wrote one meant something, so it is refused.
    if not key:
        raise _ParseError("a key, or a part of a dotted key, is empty")
    data[key] = value


def _set_index(lst: list[Any], index: int, value: Any) -> list[Any]:
    if index < 0:
        raise _ParseError(f"negative {index} index not allowed")
    if index > _MAX_INDEX:
        raise _ParseError(f"index of {index} is greater than maximum supported index of {_MAX_INDEX}")
    if len(lst) <= index:
        lst = lst + [None] * (index + 1 - len(lst))
    lst[index] = value
    return lst


def _parse_into(expression: str, dest: dict[str, Any]) -> None:
    try:
        _Parser(expression).parse_into(dest)
    except _ParseError as exc:
        raise InputError(f"cannot parse parameter {_q(expression)}: {exc}", hint=_SET_HINT) from None


def parse_set(expressions: Iterable[str]) -> dict[str, Any]:
    """Parse `KEY=VALUE[,KEY=VALUE...]` expressions into one nested dict, later ones winning.

    Helm strvals semantics: dotted keys nest, `k={a,b}` is a list, `k[0]=x` sets an index, the value
    runs to the next unescaped `,`, a backslash escapes the next character; `true`/`false` (any
    case) are booleans, `null` is None, `0` and base-10 int64 not starting with `0` are ints, the
    rest (`1.5`, `007`, `1.1`) strings. Raises InputError naming the expression.
    """
    result: dict[str, Any] = {}
    for expression in expressions:
        _parse_into(expression, result)
    return result


# --------------------------------------------------------------------------------------------------
# Clusters


def parse_clusters(flag: str) -> list[str]:
    """`--clusters` as upstream's transClusters: `{local,c1}` or `local, c1` → `["local", "c1"]`.

    One leading `{` and one trailing `}` are dropped, the rest split on `,` and trimmed; nothing
    else is validated (so `{}` gives `[""]`, as upstream). An empty flag gives no clusters.
    """
    if not flag:
        return []
    body = flag.removesuffix("}").removeprefix("{")
    return [part.strip() for part in body.split(",")]


def clusters_from_args(args: Mapping[str, Any]) -> list[str] | None:
    """The `clusters` parameter as a list of names, or None for "all clusters" (upstream getClusters).

    Non-string items are skipped; a missing value, a non-list, or a list without any string is None
    (stored parameters come back from JSON, where upstream sees an untyped list that ends up nil).
    """
    value = args.get(CLUSTERS_KEY)
    if not isinstance(value, list | tuple):
        return None
    names = [item for item in value if isinstance(item, str)]
    return names or None


# --------------------------------------------------------------------------------------------------
# Merging and files


def deep_merge(base: Mapping[str, Any] | None, override: Mapping[str, Any] | None) -> dict[str, Any]:
    """`override` on top of `base`: mappings present on both sides merge key by key, anything else
    (lists, scalars, None) from `override` replaces. Returns new data; the inputs are not touched.

    This is how `vela addon upgrade` merges new parameters into the stored ones (upstream §6.7).
    """
    result: dict[str, Any] = copy.deepcopy(dict(base)) if base else {}
    for key, value in (override or {}).items():
        current = result.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            result[key] = deep_merge(current, value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _jsonable(value: Any) -> Any:
    """What the YAML would be after Kubernetes' YAML→JSON step: string keys, dates as text."""
    if isinstance(value, dict):
        return {_key_text(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def load_values_file(path: str | Path) -> dict[str, Any]:
    """A `-f` values file: a YAML mapping (an empty file is `{}`). Raises InputError with the file
    and, for syntax errors, the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read values file: {exc.strerror or exc}", path=path) from None
    except UnicodeDecodeError:
        raise InputError("values file is not UTF-8 text", path=path) from None
    try:
        data = load_yaml(text)
    except YamlError as exc:
        raise InputError(f"invalid YAML: {exc.problem}", path=path, line=exc.line, col=exc.col) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"values file must be a YAML mapping of parameter names to values, not {_yaml_kind(data)}",
            path=path,
        )
    result: dict[str, Any] = _jsonable(data)
    return result


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def combine(
    values_files: Sequence[str | Path],
    set_args: Sequence[str],
    positional: Sequence[str],
    clusters: str | None,
) -> dict[str, Any]:
    """All parameter sources merged in the documented precedence (see the module docstring)."""
    result: dict[str, Any] = {}
    for path in values_files:
        result = deep_merge(result, load_values_file(path))
    for expression in [*positional, *set_args]:
        _parse_into(expression, result)
    if clusters:
        result[CLUSTERS_KEY] = parse_clusters(clusters)
    return result
