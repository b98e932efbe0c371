"""Edit commands: add, plan, log, the status verbs and the review verbs.

Every command resolves its ADDRESS in the book as it is on disk at the moment
of writing (under the lock), so an edit never lands on a stale view.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from typing import Callable, List, Optional

import typer

from .. import edit as ed
from .. import export
from ..errors import TaskbookError, UsageError
from ..model import Book, Status, Task
from ..parse import parse_text
from ..query import resolve
from ..store import Loaded, transact
from ..style import Style
from .common import State, complete_address
from .output import emit_json, info

ADDRESS_HELP = "Task address from `taskbook list`, or a unique part of its title."
JSON_HELP = "Print the changed task as JSON."


def register(app: typer.Typer) -> None:
    app.command("add")(add_cmd)
    app.command("plan")(plan_cmd)
    app.command("log")(log_cmd)
    for name, status, doc in STATUS_VERBS:
        app.command(name, help=doc)(_status_command(status, name))
    app.command("submit")(submit_cmd)
    app.command("approve")(approve_cmd)
    app.command("reject")(reject_cmd)


def _address_arg():
    return typer.Argument(..., metavar="ADDRESS", help=ADDRESS_HELP, autocompletion=complete_address)


class Outcome:
    """What an edit did, for the confirmation message and --json."""

    def __init__(self) -> None:
        self.task: Task | None = None
        self.book: Book | None = None
        self.message = ""


def run_edit(st: State, op: Callable[[Book, Outcome], tuple[str, Callable[[Book], str | None]]],
             *, create: bool = False) -> Outcome:
    """Run one edit transaction.  `op` returns the new text and a check."""
    out = Outcome()

    def fn(loaded: Loaded) -> bytes | None:
        book = loaded.book
        text, check = op(book, out)
        new = ed.apply(book, text, check)
        out.book = new
        return new.render()

    transact(st.path, fn, create=b"" if create else None, order=st.order)
    return out


def _stamp(st: State) -> str | None:
    cfg = st.config
    if not cfg.get("log.timestamp"):
        return None
    return ed.timestamp(str(cfg.get("log.timestamp_format")))


def _finish(out: Outcome, as_json: bool, verb: str) -> None:
    task = out.task
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION, "action": verb,
                   "task": export.task_json(task) if task else None})
        return
    if task is not None:
        info(f"{verb}: {task.id} [{task.status.value}] {task.title}")


def _find_same(new: Book, old: Task) -> Task | None:
    t = new.by_id.get(old.id)
    if t is not None and t.title == old.title:
        return t
    return None


# ------------------------------------------------------------------ add

def add_cmd(
    ctx: typer.Context,
    title: str = typer.Argument(..., help="Title of the new task."),
    under: Optional[str] = typer.Option(None, "--under", "-u", metavar="ADDRESS",
                                        autocompletion=complete_address,
                                        help="Add a sub-problem under this task."),
    group: Optional[str] = typer.Option(None, "--group", "-g", metavar="HEADING",
                                        help="Add at the end of this heading's group (checklists)."),
    plan: Optional[List[str]] = typer.Option(None, "--plan", "-p", metavar="STEP",
                                             help="A plan step for the new task; repeatable."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Add a task where the book's own order puts it.

    Newest-first books (seed 000) get it on top, after the preamble and notes;
    checklists at the end of the last (or --group) heading group.  The line
    uses the book's label (任务：/Task:), marker style and indentation.
    """
    st: State = ctx.obj
    if under and group:
        raise UsageError("--under and --group cannot be used together")

    def op(book: Book, out: Outcome):
        style = Style(book, _language(st, book))
        parent = resolve(book, under) if under else None
        grp = _find_group(book, group) if group else None
        text, span = ed.add_task(book, title, under=parent, group=grp, style=style,
                                 dialect=_dialect(st, book))
        mid = parse_text(text, book.bom)
        new_task = _task_in(mid, span)
        if new_task is None:
            raise ed.EditError("the new task could not be found after adding it; the book is unchanged")
        if plan:
            text = ed.add_plan(mid, new_task, list(plan), Style(mid, style.language))
        before = sum(1 for _ in book.all_tasks())

        def check(new: Book) -> str | None:
            if sum(1 for _ in new.all_tasks()) != before + 1:
                return "the number of tasks did not grow by one"
            t = _task_near(new, span)
            if t is None:
                return "the new task is not where it was written"
            out.task = t
            return None
        return text, check

    out = run_edit(st, op, create=True)
    _finish(out, as_json, "added")


def _task_in(book: Book, span: tuple[int, int]) -> Task | None:
    for t in book.all_tasks():
        if span[0] <= t.line < span[1]:
            return t
    return None


def _task_near(book: Book, span: tuple[int, int]) -> Task | None:
    return _task_in(book, span)


def _find_group(book: Book, name: str):
    q = name.strip().lstrip("#").strip()
    exact = [g for g in book.groups if g.title == q]
    if len(exact) == 1:
        return exact[0]
    part = [g for g in book.groups if q.casefold() in g.title.casefold()]
    if len(part) == 1:
        return part[0]
    if not part:
        heads = "; ".join(g.title for g in book.groups[:10])
        raise UsageError(f"no heading matches {name!r}" + (f" (headings: {heads})" if heads else ""))
    shown = "; ".join(f"line {g.line + 1}: {g.title}" for g in part[:8])
    raise UsageError(f"{name!r} matches {len(part)} headings: {shown}")


def _language(st: State, book: Book) -> str:
    lang = str(st.config.get("language"))
    if lang == "auto" or (book.dialect.value != "plain" and any(True for _ in book.all_tasks())):
        return book.language if lang == "auto" else lang
    return lang


def _dialect(st: State, book: Book):
    from ..model import Dialect
    value = str(st.config.get("dialect"))
    if book.dialect is not Dialect.PLAIN or value == "auto":
        return None
    return Dialect(value)


# ----------------------------------------------------------------- plan

def plan_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    steps: Optional[List[str]] = typer.Argument(None, metavar="STEP...", help="Plan steps to append."),
    edit: bool = typer.Option(False, "--edit", "-e",
                              help="Write the plan in $EDITOR from the plan template."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Append numbered steps to the task's plan (修改计划 / Plan), creating it if missing."""
    st: State = ctx.obj
    items = list(steps or [])
    if edit:
        if items:
            raise UsageError("give steps as arguments or use --edit, not both")
        loaded = st.load()
        task = resolve(loaded.book, address)
        items = _plan_from_editor(loaded.book, task)
        if not items:
            info("the plan was left empty: nothing written")
            return
    if not items:
        raise UsageError("no plan steps given (pass them as arguments, or use --edit)")

    def op(book: Book, out: Outcome):
        task = resolve(book, address)
        text = ed.add_plan(book, task, items, Style(book, _language(st, book)))
        return text, _same_task_check(task, out, lambda t: _count(t, "plan") >= len(items))

    out = run_edit(st, op)
    _finish(out, as_json, "planned")


def _count(t: Task, kind: str) -> int:
    s = t.section(kind)
    return len(s.entries) if s else 0


def _same_task_check(task: Task, out: Outcome, ok: Callable[[Task], bool]):
    def check(new: Book) -> str | None:
        t = _find_same(new, task)
        if t is None:
            return "the task changed its address"
        if not ok(t):
            return "the task does not show the change"
        out.task = t
        return None
    return check


def _plan_from_editor(book: Book, task: Task) -> list[str]:
    from ..templates import read_template
    lang = book.language
    template = read_template(f"plan.{lang}.md").replace("{title}", task.title)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="taskbook-plan-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(template)
        try:
            rc = subprocess.call([*shlex.split(editor), path])
        except OSError as e:
            raise UsageError(f"cannot start the editor {editor!r}: {e.strerror}") from None
        if rc != 0:
            raise TaskbookError(f"the editor exited with status {rc}; nothing written")
        with open(path, encoding="utf-8") as f:
            text = f.read()
    finally:
        os.unlink(path)
    return plan_steps_from_template(text)


def plan_steps_from_template(text: str) -> list[str]:
    """Turn the filled plan template into steps: headed blocks become one step
    each ("修改目的：…"), numbered lines under the steps heading become steps."""
    import re
    lines = [ln.rstrip() for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    steps: list[str] = []
    heading = None
    body: list[str] = []

    def flush() -> None:
        parts = [re.sub(r"^\s*(?:\d+[.)]|[-*+])\s*", "", b).strip() for b in body]
        parts = [p for p in parts if p]
        if heading is None:
            steps.extend(parts)
        elif heading[1]:
            steps.extend(parts)
        elif parts:
            steps.append(f"{heading[0]}{'；'.join(parts) if heading[2] else '; '.join(parts)}")

    for ln in lines:
        m = re.match(r"^(\S[^:：]{0,30})([:：])\s*$", ln)
        if m:
            flush()
            name = m.group(1)
            is_steps = name.strip().lower() in ("具体步骤", "steps", "步骤")
            zh = m.group(2) == "："
            heading = (name + m.group(2), is_steps, zh)
            body = []
        else:
            body.append(ln)
    flush()
    return steps


# ------------------------------------------------------------------ log

def log_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    message: str = typer.Argument(..., help="The log entry."),
    no_time: bool = typer.Option(False, "--no-time", help="Do not prefix the date and time."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Append an entry to the task's execution log (执行记录 / Log), creating it if missing."""
    st: State = ctx.obj
    if not message.strip():
        raise UsageError("the log message is empty")
    stamp = None if no_time else _stamp(st)

    def op(book: Book, out: Outcome):
        task = resolve(book, address)
        before = _count(task, "log")
        text = ed.add_log(book, task, message.strip(), stamp=stamp,
                          style=Style(book, _language(st, book)))
        return text, _same_task_check(task, out, lambda t: _count(t, "log") == before + 1)

    out = run_edit(st, op)
    _finish(out, as_json, "logged")


# --------------------------------------------------------- status verbs

STATUS_VERBS = [
    ("start", Status.WORKING, "Mark the task as being worked on (working)."),
    ("done", Status.DONE, "Mark the task done (refused while sub-problems are open, unless --force)."),
    ("block", Status.BLOCKED, "Mark the task blocked (`next` skips it); --note says why."),
    ("drop", Status.DROPPED, "Drop the task: it will not be done."),
    ("reopen", Status.TODO, "Reopen the task: back to todo."),
]


PAST = {"start": "started", "done": "done", "block": "blocked", "drop": "dropped",
        "reopen": "reopened"}


def change_status(st: State, address: str, status: Status, *, force: bool = False,
                  note: str | None = None, require: Callable[[Task], str | None] | None = None,
                  log_prefix: str = "") -> Outcome:
    stamp = _stamp(st)

    def op(book: Book, out: Outcome):
        task = resolve(book, address)
        if require is not None and not force:
            problem = require(task)
            if problem:
                raise UsageError(problem, hint="use --force to do it anyway")
        style = Style(book, _language(st, book))
        text = ed.set_status(book, task, status, style)
        if note:
            mid = parse_text(text, book.bom)
            t2 = _find_same(mid, task)
            if t2 is None:
                raise ed.EditError("the task changed its address; the book is unchanged")
            text = ed.add_log(mid, t2, f"{log_prefix}{note}", stamp=stamp, style=Style(mid, style.language))
        return text, _same_task_check(task, out, lambda t: t.status is status)

    return run_edit(st, op)


def _open_children(task: Task) -> str | None:
    open_kids = [c for c in task.children if c.status.is_open]
    if open_kids:
        names = "; ".join(f"{c.id} {c.title}" for c in open_kids[:5])
        return f"{task.id} has {len(open_kids)} unfinished sub-problem(s): {names}"
    return None


def _status_command(status: Status, name: str):
    def command(
        ctx: typer.Context,
        address: str = _address_arg(),
        note: Optional[str] = typer.Option(None, "--note", "-m", help="Also write this to the task's log."),
        force: bool = typer.Option(False, "--force", "-f",
                                   help="Mark done even with unfinished sub-problems."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        st: State = ctx.obj
        require = _open_children if status is Status.DONE else None
        prefix = {"block": "blocked: ", "drop": "dropped: "}.get(name, "")
        out = change_status(st, address, status, force=force, note=note, require=require,
                            log_prefix=prefix)
        _finish(out, as_json, PAST[name])

    command.__name__ = f"{name}_cmd"
    return command


# --------------------------------------------------------- review verbs

def submit_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    force: bool = typer.Option(False, "--force", "-f", help="Submit even without a plan."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Ask for review: the plan is written and waits for approval (planned)."""
    def require(t: Task) -> str | None:
        if _count(t, "plan") == 0:
            return f"{t.id} has no plan yet: write one with `taskbook plan {t.id} STEP...`"
        return None
    out = change_status(ctx.obj, address, Status.PLANNED, force=force, require=require)
    _finish(out, as_json, "submitted")


def approve_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    note: Optional[str] = typer.Option(None, "--note", "-m", help="A remark for the log."),
    force: bool = typer.Option(False, "--force", "-f", help="Approve a task that is not waiting for review."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Approve the task's plan (planned -> approved); the agent may start."""
    def require(t: Task) -> str | None:
        if t.status is not Status.PLANNED:
            return f"{t.id} is {t.status.value}, not waiting for review (planned)"
        return None
    out = change_status(ctx.obj, address, Status.APPROVED, force=force, note=note, require=require,
                        log_prefix="approved: ")
    _finish(out, as_json, "approved")


def reject_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    note: str = typer.Option(..., "--note", "-m", help="Why: written to the task's log."),
    force: bool = typer.Option(False, "--force", "-f", help="Reject a task that is not under review."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Send the plan back (planned/approved -> todo) with a note in the log."""
    if not note.strip():
        raise UsageError("--note must say why the plan is rejected")

    def require(t: Task) -> str | None:
        if t.status not in (Status.PLANNED, Status.APPROVED):
            return f"{t.id} is {t.status.value}, not waiting for review (planned)"
        return None
    out = change_status(ctx.obj, address, Status.TODO, force=force, note=note.strip(),
                        require=require, log_prefix="rejected: ")
    _finish(out, as_json, "rejected")
