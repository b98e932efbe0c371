"""The board: one column per status, each a TaskList, side by side.

Left and right move between columns; the column of the selected task gets
the focus when the board is shown, so switching views keeps the selection.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ...cli.human import ICON, STYLE
from ...model import Status
from ..rows import column_line
from ..view import BOARD_STATUSES, Row
from .task_list import TaskList


class Board(Horizontal):
    """Six columns: todo, planned, approved, working, blocked, done."""

    def compose(self) -> ComposeResult:
        for s in BOARD_STATUSES:
            with Vertical(classes="column", id=f"col-{s.value}"):
                yield Static(id=f"head-{s.value}", classes="column-head")
                yield TaskList(column_line, folding=False, empty="—", id=f"list-{s.value}",
                               classes="column-list")

    def lists(self) -> list[TaskList]:
        return [self.query_one(f"#list-{s.value}", TaskList) for s in BOARD_STATUSES]

    def set_columns(self, columns: dict[Status, list[Row]], select: str | None,
                    hidden_done: int | None = None) -> None:
        """Fill the columns; `hidden_done` says how many done tasks are hidden."""
        for s, task_list in zip(BOARD_STATUSES, self.lists()):
            rows = columns.get(s, [])
            # the count before the name: a narrow column cuts the name, not the count
            head = Text(f"{ICON[s]} ", style=STYLE[s])
            head.append(str(len(rows)), style="bold")
            head.append(f" {s.value}", style=STYLE[s])
            self.query_one(f"#head-{s.value}", Static).update(head)
            if s is Status.DONE and hidden_done:
                task_list.empty = f"{hidden_done} hidden · h"
            else:
                task_list.empty = "—"
            task_list.set_rows(rows, select if select is not None and select in
                               {r.key for r in rows} else None)

    def focused_list(self) -> TaskList | None:
        for task_list in self.lists():
            if task_list.has_focus:
                return task_list
        return None

    def focus_task(self, address: str | None) -> None:
        """Focus the column holding `address`, else the first non-empty one."""
        lists = self.lists()
        for task_list in lists:
            if address is not None and task_list.has(address):
                task_list.select(address)
                if not task_list.has_focus:
                    task_list.focus()
                return
        current = self.focused_list()
        if current is not None:
            return
        for task_list in lists:
            if task_list.rows:
                task_list.focus()
                return
        lists[0].focus()

    def on_task_list_sideways(self, message: TaskList.Sideways) -> None:
        message.stop()
        lists = self.lists()
        i = lists.index(message.task_list) + message.step
        if 0 <= i < len(lists):
            lists[i].focus()
