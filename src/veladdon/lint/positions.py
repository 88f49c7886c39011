"""Finding source positions by text, for values whose parser keeps no positions (YAML values, rendered
objects). A position that points near the problem beats none: editors and GitHub jump to it."""

from __future__ import annotations

from collections.abc import Iterable

from veladdon.addon.model import SourceFile


def locate(text: str, needle: str, after_line: int = 1) -> tuple[int, int] | None:
    """1-based (line, col) of the first `needle` on or after `after_line`, else None."""
    lines = text.splitlines()
    for index in range(max(after_line, 1) - 1, len(lines)):
        col = lines[index].find(needle)
        if col >= 0:
            return index + 1, col + 1
    return None


def locate_in(sources: Iterable[SourceFile | None], *needles: str) -> tuple[SourceFile, int, int] | None:
    """The first source holding one of `needles` (tried in order), with its position."""
    candidates = [s for s in sources if s is not None]
    for needle in needles:
        for source in candidates:
            pos = locate(source.text, needle)
            if pos is not None:
                return source, pos[0], pos[1]
    return None


__all__ = ["locate", "locate_in"]
