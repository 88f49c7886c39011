"""The error taxonomy every layer raises and the CLI turns into one line and an exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

# At most this many errors of one failure are shown (the first on the `Error:` line), then how many more.
MAX_SHOWN_ERRORS = 10


class ExitCode(IntEnum):
    """veladdon's documented exit codes (docs/exit-codes.md)."""

    OK = 0
    FAILED = 1  # operation failed, or lint findings at the failing level
    USAGE = 2  # bad flag, bad addon folder, bad parameter
    CHANGES = 3  # diff: changes pending
    TIMEOUT = 4  # timed out waiting
    CLUSTER = 5  # cluster unreachable or unauthorised
    INTERRUPTED = 130


def location_text(path: str | None, line: int | None, col: int | None) -> str | None:
    """`path:line:col` (as much of it as is known), or None without a path."""
    if path is None:
        return None
    loc = path
    if line is not None:
        loc += f":{line}"
        if col is not None:
            loc += f":{col}"
    return loc


@dataclass(frozen=True)
class Detail:
    """A further error of the same failure (CUE reports every error of an evaluation at once)."""

    message: str
    path: str | None = None
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        loc = location_text(self.path, self.line, self.col)
        return f"{loc}: {self.message}" if loc and loc not in self.message else self.message


class VeladdonError(Exception):
    """An error a user can act on: what went wrong, where, and what to do."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
        details: Sequence[Detail] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.col = col
        self.hint = hint
        lead = Detail(message, self.path, line, col)
        # CUE can report one error once per use of the value: each is shown once.
        self.details = tuple(d for d in dict.fromkeys(details) if d != lead)

    @property
    def location(self) -> str | None:
        return location_text(self.path, self.line, self.col)

    def one_line(self) -> str:
        """`<where>: <what>; <what to do>` without the `Error:` prefix the CLI adds."""
        text = self.message
        if self.location and self.location not in text:
            text = f"{self.location}: {text}"
        if self.hint:
            if text.endswith(".") and not text.endswith("..."):
                text = text[:-1]  # a message that is a sentence: no `.;`
            text += f"; {self.hint}"
        return text

    def display(self) -> str:
        """one_line(), then each further error (`details`) indented on a line of its own, at most
        MAX_SHOWN_ERRORS in all, then how many were left out. A single error stays one line."""
        shown = self.details[: MAX_SHOWN_ERRORS - 1]
        lines = [self.one_line(), *(f"  {d}" for d in shown)]
        rest = len(self.details) - len(shown)
        if rest:
            lines.append(f"  and {rest} more error{'s' if rest != 1 else ''}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.one_line()


class InputError(VeladdonError):
    """Bad input: an addon folder, a file, a parameter or a flag value (exit 2)."""

    exit_code = ExitCode.USAGE


class EvaluatorError(VeladdonError):
    """No CUE evaluator could be started, or it crashed (exit 1)."""


class ClusterError(VeladdonError):
    """The cluster could not be reached or refused us (exit 5)."""

    exit_code = ExitCode.CLUSTER


class Interrupted(VeladdonError):
    """Ctrl-C (exit 130); the message says what was and was not done where that matters."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, message: str = "interrupted", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class TimedOut(VeladdonError):
    """Waiting for the cluster took longer than --timeout (exit 4)."""

    exit_code = ExitCode.TIMEOUT
