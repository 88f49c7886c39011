"""One stdout console for data and one stderr console for diagnostics (hatch's pattern).

`markup=False, highlight=False`: user text (addon names, CUE messages) is never parsed as Rich markup.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def color_wanted(flag: bool | None, stream_isatty: bool) -> bool:
    """--color/--no-color, then NO_COLOR, then FORCE_COLOR, then: only on a TTY and not in CI."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream_isatty and not os.environ.get("CI")


@dataclass
class Terminal:
    color: bool | None = None
    debug: bool = False
    cue_path: str | None = None
    _out: Console | None = field(default=None, repr=False)
    _err: Console | None = field(default=None, repr=False)

    @property
    def out(self) -> Console:
        if self._out is None:
            self._out = _console(sys.stdout, self.color)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = _console(sys.stderr, self.color)
        return self._err

    def write(self, text: str) -> None:
        """Raw data to stdout, byte for byte (no wrapping, no styling)."""
        sys.stdout.write(text)

    def warn(self, message: str) -> None:
        self.err.print(f"Warning: {message}", style="yellow", soft_wrap=True)

    def info(self, message: str) -> None:
        self.err.print(message, soft_wrap=True)


def _console(stream: object, flag: bool | None) -> Console:
    from rich.console import Console

    isatty = bool(getattr(stream, "isatty", lambda: False)())
    wanted = color_wanted(flag, isatty)
    return Console(
        file=stream,  # type: ignore[arg-type]
        markup=False,
        highlight=False,
        no_color=not wanted,
        force_terminal=wanted if flag is not None or os.environ.get("FORCE_COLOR") else None,
        soft_wrap=True,
    )
