"""The main screen: header, tree or board, detail pane, search, key bar.

It turns keys into `BoardState` calls and state into widget updates; the
widgets themselves never touch the book.  A timer polls the file so that
what the agent, an editor or git writes shows up within half a second, with
the same task selected and the list scrolled where it was.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from ...actions import PAST, NeedsForce
from ...cli.output import safe
from ...errors import TaskbookError
from ...model import Status, Task
from ...query import counts
from ..rows import tree_line
from ..state import BoardState
from ..widgets.bars import KeyBar, header_text
from ..widgets.board import Board
from ..widgets.detail import Detail
from ..widgets.task_list import TaskList
from .dialogs import ConfirmScreen, PromptScreen, StatusScreen
from .help import HelpScreen

POLL_SECONDS = 0.4
DETAIL_REST = 0.05  # seconds the cursor rests before the detail pane follows it

# key, action, key-bar label, help text
KEYS = [
    ("a", "approve", "approve", "approve the plan: planned → approved, the agent may start"),
    ("r", "reject", "reject", "send the plan back to todo; asks for a comment, written to the log"),
    ("s", "start", "start", "mark working"),
    ("d", "done", "done", "mark done (asks first while sub-problems are open)"),
    ("b", "block", "block", "mark blocked; asks for an optional reason for the log"),
    ("x", "drop", "drop", "drop: it will not be done"),
    ("o", "reopen", "reopen", "back to todo"),
    ("n", "add_task", "add task", "add a task where the book puts new ones"),
    ("u", "add_sub", "sub-problem", "add a sub-problem under the selected task"),
    ("p", "add_plan", "plan step", "append a step to the task's plan"),
    ("l", "add_log", "log", "append an entry to the task's execution log"),
    ("e", "edit", "edit", "open the book in $EDITOR at this task's line"),
    ("slash", "search", "search", "filter by text in titles (or an address prefix)"),
    ("f", "status_filter", "status", "show one status, open tasks, or all"),
    ("exclamation_mark", "review_filter", "review", "only plans waiting for review (again: all)"),
    ("h", "toggle_finished", "finished", "show or hide done and dropped tasks"),
    ("v", "switch_view", "tree/board", "switch between the task tree and the status board"),
    ("question_mark", "help", "help", "this screen"),
    ("q", "quit", "quit", "leave the board"),
]
VERB_NAME = {"approve": "approve", "reject": "reject", "start": "start", "done": "finish",
             "block": "block", "drop": "drop", "reopen": "reopen"}
DONE_WORD = {**PAST, "approve": "approved", "reject": "rejected", "sub": "sub-problem added",
             "plan": "plan step added", "log": "logged"}


class MainScreen(Screen[None]):
    """The board itself."""

    BINDINGS = [Binding(k, a, label) for k, a, label, _ in KEYS] + [
        Binding("escape", "clear_filters", "clear filters", show=False),
    ]

    def __init__(self, state: BoardState) -> None:
        super().__init__()
        self.state = state
        self.view = "tree"
        self.selected: str | None = None
        self._column: TaskList | None = None      # last focused board column
        self._detail_for: str | None = None
        self._detail_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        with Container(id="body", classes="-tree"):
            yield TaskList(tree_line, folding=True, empty="no tasks to show (h, f, ! or esc change "
                           "what is shown)", id="tree")
            yield Board(id="board")
            yield Detail(id="detail")
        with Vertical(id="bottom"):
            yield Input(placeholder="/ filter by text · Enter keeps it · Esc clears", id="search",
                        compact=True)
            yield KeyBar(id="keys")

    # ------------------------------------------------------- accessors

    @property
    def tree(self) -> TaskList:
        return self.query_one("#tree", TaskList)

    @property
    def board(self) -> Board:
        return self.query_one("#board", Board)

    @property
    def detail(self) -> Detail:
        return self.query_one("#detail", Detail)

    @property
    def search(self) -> Input:
        return self.query_one("#search", Input)

    def active_list(self) -> TaskList:
        """The list whose cursor is the selection: the tree, or a column."""
        if self.view == "tree":
            return self.tree
        focused = self.board.focused_list()
        if focused is not None:
            return focused
        for task_list in self.board.lists():
            if self.selected is not None and task_list.has(self.selected):
                return task_list
        return self._column or self.board.lists()[0]

    def selected_task(self) -> Task | None:
        """The task under the cursor of the list in use (None if it is empty)."""
        return self.state.task(self.active_list().address)

    # ------------------------------------------------------- lifecycle

    def on_mount(self) -> None:
        self.refresh_views()
        self.tree.focus()
        self.set_interval(POLL_SECONDS, self.poll)

    def poll(self) -> None:
        """Reload when the book changed on disk (the timer calls this)."""
        problem = self.state.problem
        if self.state.poll():
            self.refresh_views()
        elif self.state.problem != problem:
            self._update_header()

    def refresh_views(self, select: str | None = None) -> None:
        """Rebuild what is shown from the state, keeping the selection."""
        if select is not None:
            self.selected = select
        self._rebuild(self.view)
        self._update_header()

    def _rebuild(self, which: str) -> None:
        """Recompute the rows of one view (the hidden one waits until shown)."""
        if which == "tree":
            self.tree.set_rows(self.state.tree_rows(), self.selected)
            self._take_selection(self.tree, now=True)
        else:
            flt = self.state.filter
            book = self.state.book
            hidden = None
            if flt.statuses is None and not flt.show_finished and book is not None:
                hidden = sum(1 for t in book.all_tasks() if t.status is Status.DONE and flt.text_ok(t))
            self.board.set_columns(self.state.columns(), self.selected, hidden)
            focused = self.board.focused_list()
            if focused is not None and self.selected is not None and not focused.has(self.selected):
                self.board.focus_task(self.selected)    # its status changed: follow it
            self._take_selection(self.active_list(), now=True)

    def _take_selection(self, task_list: TaskList, *, now: bool = False) -> None:
        """Follow the list's cursor: the selection and the detail pane.

        An empty list (everything filtered out) keeps the remembered
        selection, so clearing the filter brings the same task back.  After
        a cursor move the detail pane follows once the cursor has rested
        for DETAIL_REST: the cursor is painted at once and never waits for
        markdown to render, even with a key held down.
        """
        if task_list.address is not None:
            self.selected = task_list.address
        self._detail_for = task_list.address
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if now:
            self._show_detail()
        else:
            self._detail_timer = self.set_timer(DETAIL_REST, self._show_detail)

    def _show_detail(self) -> None:
        self._detail_timer = None
        self.detail.show(self.state.book, self.state.task(self._detail_for))

    def _update_header(self) -> None:
        self.query_one("#header", Static).update(header_text(self.state, self.view))

    # -------------------------------------------------------- messages

    def on_task_list_highlighted(self, message: TaskList.Highlighted) -> None:
        if message.task_list is self.active_list():
            self._take_selection(message.task_list)

    def on_task_list_fold(self, message: TaskList.Fold) -> None:
        if message.fold:
            self.state.collapsed.add(message.address)
        else:
            self.state.collapsed.discard(message.address)
        self.refresh_views(select=message.address)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        widget = event.widget
        if isinstance(widget, TaskList) and widget is not self.tree:
            self._column = widget
            self.selected = widget.address     # an empty column selects nothing
            self._take_selection(widget)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.state.filter.text = event.value
            self.refresh_views()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            if not event.value.strip():
                self.search.remove_class("-active")
            self.active_list().focus()

    # ------------------------------------------------------- view keys

    def action_switch_view(self) -> None:
        self.view = "board" if self.view == "tree" else "tree"
        body = self.query_one("#body")
        body.set_class(self.view == "tree", "-tree")
        body.set_class(self.view == "board", "-board")
        self._rebuild(self.view)
        self._update_header()
        # the view just shown is displayed from the next refresh on: focus it then
        self.call_after_refresh(self._focus_view)

    def _focus_view(self) -> None:
        if self.view == "board":
            self.board.focus_task(self.selected)
        else:
            self.tree.focus()
        self._take_selection(self.active_list(), now=True)

    def action_search(self) -> None:
        self.search.add_class("-active")
        self.search.value = self.state.filter.text
        self.search.focus()

    def action_clear_filters(self) -> None:
        flt = self.state.filter
        flt.text = ""
        flt.statuses = None
        self.search.value = ""
        self.search.remove_class("-active")
        self.refresh_views()
        self.active_list().focus()

    def action_status_filter(self) -> None:
        flt = self.state.filter
        if flt.statuses is not None and len(flt.statuses) == 1:
            current = next(iter(flt.statuses)).value
        else:
            current = "all" if flt.show_finished else "open"
        book_counts = counts(self.state.book.all_tasks()) if self.state.book else {}
        self.app.push_screen(StatusScreen(book_counts, current), self._set_status_filter)

    def _set_status_filter(self, choice: str | None) -> None:
        if choice is None:
            return
        flt = self.state.filter
        if choice in ("all", "open"):
            flt.statuses = None
            flt.show_finished = choice == "all"
        else:
            flt.statuses = {Status(choice)}
        self.refresh_views()

    def action_review_filter(self) -> None:
        flt = self.state.filter
        flt.statuses = None if flt.review_only else {Status.PLANNED}
        self.refresh_views()

    def action_toggle_finished(self) -> None:
        flt = self.state.filter
        flt.show_finished = not flt.show_finished
        flt.statuses = None
        self.refresh_views()

    def action_help(self) -> None:
        keys = [(self.app.get_key_display(Binding(k, a)), label, what) for k, a, label, what in KEYS]
        self.app.push_screen(HelpScreen(keys))

    def action_quit(self) -> None:
        self.app.exit()

    # ----------------------------------------------------- edit keys

    def action_approve(self) -> None:
        self._act("approve")

    def action_start(self) -> None:
        self._act("start")

    def action_done(self) -> None:
        self._act("done")

    def action_drop(self) -> None:
        self._act("drop")

    def action_reopen(self) -> None:
        self._act("reopen")

    def action_reject(self) -> None:
        self._ask("reject", "Reject the plan: why? (written to the log)", required=True)

    def action_block(self) -> None:
        self._ask("block", "Block: why? (optional, written to the log)", required=False)

    def action_add_sub(self) -> None:
        self._ask("sub", "New sub-problem under this task", required=True)

    def action_add_plan(self) -> None:
        self._ask("plan", "Add a plan step", required=True)

    def action_add_log(self) -> None:
        self._ask("log", "Add a log entry", required=True)

    def action_add_task(self) -> None:
        def added(title: str | None) -> None:
            if not title:
                return
            try:
                out = self.state.add_task(title)
            except TaskbookError as e:
                self._failed(e)
                return
            self._done("added", out.task, reveal=True)

        self.app.push_screen(PromptScreen("New task", placeholder="title"), added)

    def action_edit(self) -> None:
        """`$EDITOR +LINE book` with the board suspended, then reload."""
        task = self.selected_task()
        line = task.line + 1 if task is not None else 1
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        cmd = [*shlex.split(editor), f"+{line}", str(self.state.path)]
        from textual.app import SuspendNotSupported
        problem = None
        try:
            with self.app.suspend():
                problem = _call(cmd)
        except SuspendNotSupported:  # no terminal to hand over (tests, web)
            problem = _call(cmd, quiet=True)
        if problem:
            self.notify(problem, severity="error", markup=False)
        self.poll()

    # ------------------------------------------------------- plumbing

    def _ask(self, verb: str, question: str, *, required: bool) -> None:
        task = self.selected_task()
        if task is None:
            self.notify("no task selected", severity="warning")
            return

        def answered(text: str | None) -> None:
            if text is None or (required and not text):
                return
            self._act(verb, text, task=task)

        about = f"{task.id}  {task.title}"
        self.app.push_screen(PromptScreen(question, about), answered)

    def _act(self, verb: str, text: str = "", *, task: Task | None = None, force: bool = False) -> None:
        task = task or self.selected_task()
        if task is None:
            self.notify("no task selected", severity="warning")
            return
        try:
            out = self.state.act(verb, task, text, force=force)
        except NeedsForce as e:
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._act(verb, text, task=task, force=True)
            question = f"{e.message}. {VERB_NAME.get(verb, verb).capitalize()} anyway?"
            self.app.push_screen(ConfirmScreen(question), confirmed)
            return
        except TaskbookError as e:
            self._failed(e)
            return
        self._done(DONE_WORD[verb], out.task, reveal=verb == "sub")

    def _done(self, what: str, task: Task | None, *, reveal: bool = False) -> None:
        """After an edit: show the book as written, the task selected.

        A new task (`reveal`) that the filters would hide clears them: the
        user just typed its title and expects to see it.
        """
        self.refresh_views(select=task.id if task is not None else None)
        if task is not None and reveal and not self._visible(task.id):
            flt = self.state.filter
            flt.text = ""
            flt.statuses = None
            self.search.value = ""
            self.search.remove_class("-active")
            self.refresh_views(select=task.id)
        if task is not None:
            if self.view == "board":
                self.board.focus_task(task.id)
            else:
                self.tree.select(task.id)
            self.notify(safe(f"{what}: {task.id} {task.title}"), markup=False)

    def _visible(self, address: str) -> bool:
        if self.view == "tree":
            return self.tree.has(address)
        return any(task_list.has(address) for task_list in self.board.lists())

    def _failed(self, error: TaskbookError) -> None:
        self.notify(safe(error.message), severity="error", markup=False, timeout=8)
        self.poll()


def _call(cmd: list[str], quiet: bool = False) -> str | None:
    """Run the editor; a one-line problem, or None."""
    stream = subprocess.DEVNULL if quiet else None
    try:
        rc = subprocess.call(cmd, stdin=stream, stdout=stream, stderr=stream)
    except OSError as e:
        return f"cannot start the editor {cmd[0]!r}: {e.strerror}"
    return f"the editor exited with status {rc}" if rc else None
