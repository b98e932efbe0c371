"""The Typer application: global options and the command groups.

Every call is a fresh process, so the app is built for the command being run:
`make_app(argv)` imports only the module that defines that command and keeps
only that command (Typer inspects every registered function's signature when
it builds the click group, ~25 ms for all of them).  `--help`, completion and anything
that is not a known command get the whole app, so help, "did you mean" and
completion see every command.
"""

from __future__ import annotations

import importlib
from typing import Optional

import typer

from .. import __version__
from .commands import MODULE_OF, MODULES, command_name
from .common import State

HELP = """Keep your work as a task tree in one hand-written markdown book.

taskbook reads the book you (and your coding agent) already write: review
trees (`- 任务：…`, `（done）`), checklists (`- [ ] …`) and marked headings
(`### … ✅`), and edits it with minimal diffs, in the book's own style.

Which book: --book PATH, else $TASKBOOK_BOOK, else the `book:` setting of
.taskbook/config.yaml found from here upwards, else TASKBOOK.md there.
"""

def _version(value: bool) -> None:
    if value:
        print(f"taskbook {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    book: Optional[str] = typer.Option(
        None, "--book", "-b", metavar="PATH", envvar="TASKBOOK_BOOK",
        help="The book to use (default: from .taskbook/config.yaml, else TASKBOOK.md)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    ctx.obj = State(book)


def make_app(argv: list[str] | None = None) -> typer.Typer:
    """The app with the command `argv` runs, or with every command."""
    app = typer.Typer(
        name="taskbook",
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    name = command_name(argv) if argv is not None else None
    modules = [MODULE_OF[name]] if name else list(MODULES)
    for mod in modules:
        importlib.import_module(f"{__package__}.{mod}").register(app)
    if name:  # only the command being run is turned into a click command
        app.registered_commands = [c for c in app.registered_commands if c.name == name]
        app.registered_groups = [g for g in app.registered_groups if g.name == name]
    return app
