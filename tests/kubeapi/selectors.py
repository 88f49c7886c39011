"""Label and field selectors, parsed the way apimachinery's `labels.Parse` accepts them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import APIError, bad_request

_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_TOKEN = re.compile(r"\s*(==|!=|=|!|\(|\)|,|[^\s=!(),]+)")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # one of: =, !=, in, notin, exists, !exists
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # `!=` and `notin` also match objects without the key, as in apimachinery.
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise bad_request(f"unable to parse requirement: unexpected input at {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _check_key(key: str) -> None:
    if not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise bad_request(
            f'unable to parse requirement: values[0][{key}]: Invalid value: "{key}": '
            "name part must consist of alphanumeric characters"
        )


def _check_value(value: str) -> None:
    if len(value) > 63 or not _VALUE.match(value):
        raise bad_request(
            f'unable to parse requirement: values[0][{value}]: Invalid value: "{value}": '
            "a valid label must be an empty string or consist of alphanumeric characters"
        )


def parse_label_selector(text: str) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),h notin (i),j,!k`; raises a 400 `APIError` on bad syntax."""
    tokens = _tokens(text)
    requirements: list[Requirement] = []
    i = 0

    def take() -> str:
        nonlocal i
        if i >= len(tokens):
            raise bad_request(f"unable to parse requirement: unexpected end of selector {text!r}")
        token = tokens[i]
        i += 1
        return token

    while i < len(tokens):
        token = take()
        if token == "!":
            key = take()
            _check_key(key)
            requirements.append(Requirement(key, "!exists"))
        else:
            key = token
            _check_key(key)
            nxt = tokens[i] if i < len(tokens) else ","
            if nxt == ",":
                requirements.append(Requirement(key, "exists"))
            elif nxt in ("=", "==", "!="):
                i += 1
                value = ""
                if i < len(tokens) and tokens[i] != ",":
                    value = take()
                _check_value(value)
                requirements.append(Requirement(key, "!=" if nxt == "!=" else "=", (value,)))
            elif nxt in ("in", "notin"):
                i += 1
                if take() != "(":
                    raise bad_request(f"unable to parse requirement: found '{tokens[i - 1]}', expected: '('")
                values: list[str] = []
                while True:
                    value = take()
                    if value == ")":
                        break
                    if value == ",":
                        continue
                    _check_value(value)
                    values.append(value)
                requirements.append(Requirement(key, nxt, tuple(values)))
            else:
                raise bad_request(
                    f"unable to parse requirement: found '{nxt}', expected: in, notin, =, ==, !=, gt, lt"
                )
        if i < len(tokens):
            if tokens[i] != ",":
                raise bad_request(f"unable to parse requirement: found '{tokens[i]}', expected: ','")
            i += 1
            if i >= len(tokens):
                raise bad_request("unable to parse requirement: found '', expected: identifier")
    return LabelSelector(tuple(requirements))


FieldGetter = Callable[[dict[str, Any]], str | None]

FIELD_GETTERS: dict[str, FieldGetter] = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name"),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace", ""),
}


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[FieldGetter, bool, str], ...]  # (getter, equal?, value)

    def matches(self, obj: dict[str, Any]) -> bool:
        return all(((getter(obj) or "") == value) == equal for getter, equal, value in self.terms)


def parse_field_selector(text: str, extra: Mapping[str, FieldGetter] | None = None) -> FieldSelector:
    """Only `metadata.name` and `metadata.namespace` (plus per-kind `extra`) are supported, as for CRDs."""
    getters = {**FIELD_GETTERS, **(extra or {})}
    terms: list[tuple[FieldGetter, bool, str]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.match(r"^([^=!]+)(==|!=|=)(.*)$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if field not in getters:
            raise APIError(400, f"field label not supported: {field}", "BadRequest")
        terms.append((getters[field], op != "!=", value))
    return FieldSelector(tuple(terms))
