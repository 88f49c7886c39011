"""The error taxonomy every layer raises and the CLI turns into one line and an exit code."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Any


class ExitCode(IntEnum):
    """veladdon's documented exit codes (docs/exit-codes.md)."""

    OK = 0
    FAILED = 1  # operation failed, or lint findings at the failing level
    USAGE = 2  # bad flag, bad addon folder, bad parameter
    CHANGES = 3  # diff: changes pending
    TIMEOUT = 4  # timed out waiting
    CLUSTER = 5  # cluster unreachable or unauthorised
    INTERRUPTED = 130


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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.col = col
        self.hint = hint

    @property
    def location(self) -> str | None:
        if self.path is None:
            return None
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc

    def one_line(self) -> str:
        """`<where>: <what>; <what to do>` without the `Error:` prefix the CLI adds."""
        text = self.message
        if self.location and self.location not in text:
            text = f"{self.location}: {text}"
        if self.hint:
            text += f"; {self.hint}"
        return text

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
