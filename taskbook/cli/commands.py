"""Which module defines each command: read before anything heavy is imported.

The CLI builds its Typer app for the command being run (`app.make_app`) and
chooses how to run it (`one_shot`) from this table alone, without typer.
tests/test_cli_app.py checks the table against what the modules register.
"""

from __future__ import annotations

import os

# The command modules in the order their commands appear in `--help`, and the
# commands each registers.
MODULES: dict[str, tuple[str, ...]] = {
    "setup": ("init", "config"),
    "read": ("list", "show", "stats", "next"),
    "edit": ("add", "plan", "log", "start", "done", "block", "drop", "reopen",
             "submit", "approve", "reject"),
    "board": ("board",),
    "git": ("diff", "history", "merge-driver"),
    "check": ("check",),
    "mcp_cmd": ("mcp",),
    "build": ("build", "scan"),
}
MODULE_OF = {cmd: mod for mod, cmds in MODULES.items() for cmd in cmds}
# global options that take a value (the command name comes after it)
_VALUED = ("--book", "-b")


def command_name(argv: list[str]) -> str | None:
    """The command `argv` runs, or None when it is help, completion or unknown."""
    if os.environ.get("_TASKBOOK_COMPLETE"):
        return None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in _VALUED:
            i += 2
            continue
        if a.startswith("-"):
            if a.startswith("--book=") or (a.startswith("-b") and len(a) > 2):
                i += 1
                continue
            return None  # --help, --version, completion options, or a mistake
        return a if a in MODULE_OF else None
    return None


def one_shot(argv: list[str]) -> bool:
    """Does `argv` run a command that reads or edits the book once and exits
    (a build and a scan too: their diagnostics and tasks live to the end)?"""
    return MODULE_OF.get(command_name(argv) or "") in ("read", "edit", "build")
