"""Errors a user can meet, each with a one-line message and an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """taskbook's exit statuses (the CLI's contract, README "Exit codes")."""

    OK = 0
    FAILURE = 1        # the operation failed or was refused
    USAGE = 2          # bad usage or bad input
    INTERRUPTED = 130


class TaskbookError(Exception):
    """An error reported to the user as one line; never a traceback."""

    exit_code = ExitCode.FAILURE
    code_default = "error"  # the "code" of the JSON error (docs/json.md)

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code or self.code_default


class UsageError(TaskbookError):
    """Bad input from the user: exit 2."""

    exit_code = ExitCode.USAGE
    code_default = "bad-input"


class BookFormatError(UsageError):
    """The book is not a UTF-8 text file."""

    code_default = "bad-book"


class BookNotFoundError(UsageError):
    code_default = "no-book"


class AddressError(UsageError):
    """An address names no task, or more than one."""

    code_default = "bad-address"

    def __init__(self, message: str, candidates: list | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.candidates = candidates or []


class ConflictError(TaskbookError):
    """The book changed on disk in a way that makes the edit impossible."""

    code_default = "conflict"
