"""`taskbook board`: open the Textual review board on the book.

Textual costs ~300 ms to import, so it is imported inside the command only:
`list`, `add` and the rest never load it.  The book is read before the app
starts, so a missing or unreadable book fails like every other command: one
line on stderr, a non-zero exit, no full-screen flash.
"""

from __future__ import annotations

import typer

from .common import State


def register(app: typer.Typer) -> None:
    app.command("board")(board_cmd)


def board_cmd(ctx: typer.Context) -> None:
    """Review the book in a terminal board: tree, status columns, live updates.

    Approve or reject plans, change statuses, add tasks, sub-problems, plan
    steps and log entries, open the book in $EDITOR at a task; the board
    reloads when the book changes on disk.  Press ? inside for every key.
    """
    st: State = ctx.obj
    from ..tui.state import BoardState
    state = BoardState(st)
    state.load()
    from ..tui.app import BoardApp
    BoardApp(state).run()
