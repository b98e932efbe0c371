"""Edit commands: add, plan, log, the status verbs and the review verbs.

Every command resolves its ADDRESS in the book as it is on disk at the moment
of writing (under the lock), so an edit never lands on a stale view.  The
transactions themselves live in `taskbook.actions`, shared with the board;
this module turns options into calls and results into messages.
"""

from __future__ import annotations

import os
from typing import List, Optional

import typer

from .. import actions, export
from ..actions import Outcome
from ..errors import TaskbookError, UsageError
from ..model import Book, Task
from ..query import resolve
from .common import State, complete_address
from .output import emit_json, info

ADDRESS_HELP = "Task address from `taskbook list`, or a unique part of its title."
JSON_HELP = "Print the changed task as JSON."


def register(app: typer.Typer) -> None:
    app.command("add")(add_cmd)
    app.command("plan")(plan_cmd)
    app.command("log")(log_cmd)
    for name, _status, doc in actions.STATUS_VERBS:
        app.command(name, help=doc)(_status_command(name))
    app.command("submit")(submit_cmd)
    app.command("approve")(approve_cmd)
    app.command("reject")(reject_cmd)


def _address_arg():
    return typer.Argument(..., metavar="ADDRESS", help=ADDRESS_HELP, autocompletion=complete_address)


def _finish(out: Outcome, as_json: bool, verb: str) -> None:
    for notice in out.notices:
        info(notice)
    task = out.task
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION, "action": verb,
                   "task": export.task_json(task) if task else None})
        return
    if task is not None:
        info(f"{verb}: {task.id} [{task.status.value}] {task.title}")


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
    out = actions.add_task(st, title, under=under, group=group, plan=list(plan or []))
    _finish(out, as_json, "added")


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
    out = actions.add_plan(st, address, items)
    _finish(out, as_json, "planned")


def _plan_from_editor(book: Book, task: Task) -> list[str]:
    from ..templates import read_template
    lang = book.language
    template = read_template(f"plan.{lang}.md").replace("{title}", task.title)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    import shlex
    import subprocess
    import tempfile
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
    out = actions.add_log(st, address, message, stamp=None if no_time else actions.CONFIG)
    _finish(out, as_json, "logged")


# --------------------------------------------------------- status verbs

def _status_command(name: str):
    def command(
        ctx: typer.Context,
        address: str = _address_arg(),
        note: Optional[str] = typer.Option(None, "--note", "-m", help="Also write this to the task's log."),
        force: bool = typer.Option(False, "--force", "-f",
                                   help="Mark done even with unfinished sub-problems."),
        commit: Optional[bool] = typer.Option(
            None, "--commit/--no-commit",
            help="Log the current git commit and branch (done: default from config done.commit)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        out = actions.status_verb(ctx.obj, name, address, note=note, force=force, commit=commit)
        _finish(out, as_json, actions.PAST[name])

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
    out = actions.submit(ctx.obj, address, force=force)
    _finish(out, as_json, "submitted")


def approve_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    note: Optional[str] = typer.Option(None, "--note", "-m", help="A remark for the log."),
    force: bool = typer.Option(False, "--force", "-f", help="Approve a task that is not waiting for review."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Approve the task's plan (planned -> approved); the agent may start."""
    out = actions.approve(ctx.obj, address, note=note, force=force)
    _finish(out, as_json, "approved")


def reject_cmd(
    ctx: typer.Context,
    address: str = _address_arg(),
    note: str = typer.Option(..., "--note", "-m", help="Why: written to the task's log."),
    force: bool = typer.Option(False, "--force", "-f", help="Reject a task that is not under review."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Send the plan back (planned/approved -> todo) with a note in the log."""
    out = actions.reject(ctx.obj, address, note, force=force)
    _finish(out, as_json, "rejected")
