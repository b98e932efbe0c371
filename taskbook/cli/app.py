"""The Typer application: global options and the command groups."""

from __future__ import annotations

from typing import Optional

import typer

from .. import __version__
from .common import State

HELP = """Keep your work as a task tree in one hand-written markdown book.

taskbook reads the book you (and your coding agent) already write: review
trees (`- 任务：…`, `（done）`), checklists (`- [ ] …`) and marked headings
(`### … ✅`), and edits it with minimal diffs, in the book's own style.

Which book: --book PATH, else $TASKBOOK_BOOK, else the `book:` setting of
.taskbook/config.yaml found from here upwards, else TASKBOOK.md there.
"""

app = typer.Typer(
    name="taskbook",
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"taskbook {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    book: Optional[str] = typer.Option(
        None, "--book", "-b", metavar="PATH", envvar="TASKBOOK_BOOK",
        help="The book to use (default: from .taskbook/config.yaml, else TASKBOOK.md)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    ctx.obj = State(book)


from . import board, check, edit, git, mcp_cmd, read, setup  # noqa: E402  (each module registers its commands)

setup.register(app)
read.register(app)
edit.register(app)
board.register(app)
git.register(app)
check.register(app)
mcp_cmd.register(app)
from . import build  # noqa: E402
build.register(app)
