"""YAML in and out: errors with lines, and byte-stable output (sorted keys, block style)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import yaml

try:  # the C loader/dumper is several times faster where PyYAML was built with libyaml
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class YamlError(Exception):
    """A YAML syntax error with a 1-based line and column where PyYAML knows them."""

    def __init__(self, problem: str, line: int | None, col: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.col = col


def _wrap(exc: yaml.YAMLError) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return YamlError(str(problem), None, None)
    return YamlError(str(problem), mark.line + 1, mark.column + 1)


def load_yaml(text: str) -> Any:
    """The first document of `text` (as KubeVela reads one object per file)."""
    try:
        for doc in yaml.load_all(text, Loader=_Loader):
            return doc
    except yaml.YAMLError as exc:
        raise _wrap(exc) from exc
    return None


def load_yaml_all(text: str) -> list[Any]:
    try:
        return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        raise _wrap(exc) from exc


def load_yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """The first document plus the 1-based line of each top-level key (for error positions)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader) if node is not None else None
    except yaml.YAMLError as exc:
        raise _wrap(exc) from exc
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines[str(key_node.value)] = key_node.start_mark.line + 1
    return data, lines


def dump_yaml(obj: Any) -> str:
    """Kubernetes-style YAML: keys sorted, block style, unicode kept, no aliases."""
    return yaml.dump(
        obj,
        Dumper=_NoAliasDumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _NoAliasDumper(_Dumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str_enum(dumper: _NoAliasDumper, value: StrEnum) -> yaml.Node:
    return dumper.represent_str(value.value)


# Actions are StrEnums (an enable's `created`, a diff's `change`): written as the plain strings they are.
_NoAliasDumper.add_multi_representer(StrEnum, _represent_str_enum)
