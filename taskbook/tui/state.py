"""The board's state, kept outside the widgets: the book, filters, folds.

Widgets only draw rows computed here and post messages; the screen asks
this object to reload or to act.  Every action names its task by address
and title and runs as a `taskbook.actions` transaction, which re-reads the
book under the lock: a change made on disk since the board last looked
(the agent, an editor, git) is edited, never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import actions
from ..errors import TaskbookError
from ..model import Book, Status, Task
from ..store import load
from . import view


class BoardState:
    """One book on screen and what the user chose to see of it."""

    def __init__(self, target: actions.Target) -> None:
        self.target = target
        self.filter = view.Filter()
        self.collapsed: set[str] = set()
        self.book: Book | None = None
        self.data = b""
        self.signature: tuple[int, int, int] | None = None
        self.problem: str | None = None    # why the last reload failed, shown in the header
        self.generation = 0                # bumped on every new book, for render caches

    @property
    def path(self) -> Path:
        return Path(self.target.path)

    # ------------------------------------------------------------ disk

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self) -> None:
        """Read the book now; raises TaskbookError if it cannot be read."""
        # stat before reading: if the file is replaced in between, the next
        # poll sees a newer signature and reads again, never misses a change
        sig = self._stat()
        loaded = load(self.path, self.target.order)
        self.signature = sig
        self.problem = None
        if loaded.data != self.data or self.book is None:
            self.data = loaded.data
            self.book = loaded.book
            self.generation += 1

    def poll(self) -> bool:
        """Reload if the file changed on disk; True if the book is new."""
        sig = self._stat()
        if sig == self.signature and self.problem is None:
            return False
        before = self.generation
        try:
            self.load()
        except TaskbookError as e:
            # a half-written or vanished book: keep showing the last good one
            self.signature = sig
            self.problem = e.message
            return False
        return self.generation != before

    # ------------------------------------------------------------ views

    def tree_rows(self) -> list[view.Row]:
        assert self.book is not None
        return view.tree_rows(self.book, self.filter, self.collapsed)

    def columns(self) -> dict[Status, list[view.Row]]:
        assert self.book is not None
        return view.board_columns(self.book, self.filter)

    def task(self, address: str | None) -> Task | None:
        if address is None or self.book is None:
            return None
        return self.book.by_id.get(address)

    @property
    def needs_review(self) -> int:
        return view.needs_review(self.book) if self.book is not None else 0

    # ---------------------------------------------------------- actions

    def act(self, verb: str, task: Task, text: str = "", *, force: bool = False) -> actions.Outcome:
        """Run one verb on `task` as shown; reload; return what happened.

        Raises actions.NeedsForce when a review rule refuses (the screen
        asks and calls again with force=True), TaskbookError otherwise.
        """
        t = self.target
        a, title = task.id, task.title
        if verb == "approve":
            out = actions.approve(t, a, force=force, title=title)
        elif verb == "reject":
            out = actions.reject(t, a, text, force=force, title=title)
        elif verb == "block":
            out = actions.status_verb(t, "block", a, note=text or None, force=force, title=title)
        elif verb in ("start", "done", "drop", "reopen"):
            out = actions.status_verb(t, verb, a, force=force, title=title)
        elif verb == "sub":
            out = actions.add_task(t, text, under=a, under_title=title)
        elif verb == "plan":
            out = actions.add_plan(t, a, [text.strip()], title=title)
        elif verb == "log":
            out = actions.add_log(t, a, text, title=title)
        else:
            raise ValueError(f"unknown verb {verb!r}")
        self.load()
        return out

    def add_task(self, title: str) -> actions.Outcome:
        out = actions.add_task(self.target, title)
        self.load()
        return out
