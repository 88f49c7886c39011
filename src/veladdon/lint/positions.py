"""Source positions for findings about values whose parser keeps none (rendered objects, YAML values).

In CUE files a position is found by the one CUE reader (:mod:`veladdon.cue.source`): a field's label,
a string literal, never a comment or another struct's field of the same name. YAML files (whose values
the loader keeps without positions) are searched by text: the first line holding the needle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

from veladdon.addon.model import SourceFile
from veladdon.cue.source import CueSyntaxError, Span, field_position, label_position, string_position


def locate(text: str, needle: str, after_line: int = 1) -> tuple[int, int] | None:
    """1-based (line, col) of the first `needle` on or after `after_line`, else None (YAML text)."""
    lines = text.splitlines()
    for index in range(max(after_line, 1) - 1, len(lines)):
        col = lines[index].find(needle)
        if col >= 0:
            return index + 1, col + 1
    return None


def _in_cue(source: SourceFile, find: Callable[[str], Span | None]) -> tuple[int, int] | None:
    try:
        span = find(source.text)
    except CueSyntaxError:
        return None  # CU03 reports the file; nothing in it can be located
    return (span.line, span.col) if span is not None else None


def _field(text: str, path: tuple[str, ...]) -> Span | None:
    return label_position(text, path[-1]) if path[0] == "*" else field_position(text, path)


def locate_field(
    sources: Iterable[SourceFile | None], *paths: Sequence[str]
) -> tuple[SourceFile, int, int] | None:
    """The first source declaring one of the field `paths` (tried in order), with the position of the
    field's label. A path of one label is a top-level field; a path `("*", label)` is the label at any
    depth. In YAML sources the last label followed by `:` is searched as text."""
    candidates = [s for s in sources if s is not None]
    for path in paths:
        for source in candidates:
            if source.rel.endswith(".cue"):
                pos = _in_cue(source, functools.partial(_field, path=tuple(path)))
            else:
                pos = locate(source.text, f"{path[-1]}:")
            if pos is not None:
                return source, pos[0], pos[1]
    return None


def locate_string(
    sources: Iterable[SourceFile | None], value: str, within: Sequence[str] = ()
) -> tuple[SourceFile, int, int] | None:
    """The first source with a string literal `value` (inside the field `within` when given in CUE
    sources), with its position. In YAML sources `"value"` is searched as text."""
    for source in (s for s in sources if s is not None):
        if source.rel.endswith(".cue"):
            pos = _in_cue(source, lambda text: string_position(text, value, within))
        else:
            pos = locate(source.text, f'"{value}"')
        if pos is not None:
            return source, pos[0], pos[1]
    return None


__all__ = ["locate", "locate_field", "locate_string"]
