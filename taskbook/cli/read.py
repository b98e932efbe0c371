"""Read commands: list, show, stats, next.  Each has --json (see README)."""

from __future__ import annotations

from typing import List, Optional

import typer

from .. import export
from ..model import Book, Status, Task
from ..query import counts, next_task, parse_statuses, progress, resolve
from .common import State, complete_address
from .output import emit_json, info

JSON_HELP = "Print JSON (schema in README) instead of text."


def register(app: typer.Typer) -> None:
    app.command("list")(list_cmd)
    app.command("show")(show_cmd)
    app.command("stats")(stats_cmd)
    app.command("next")(next_cmd)


def _state(ctx: typer.Context) -> State:
    return ctx.obj


def _select(book: Book, statuses: set[Status] | None, show_all: bool) -> list[tuple[Task, bool, list]]:
    """Filter the tree: keep matching tasks, and their ancestors as context."""
    def want(t: Task) -> bool:
        if statuses is not None:
            return t.status in statuses
        return show_all or t.status.is_open

    def walk(t: Task):
        kids = [k for k in (walk(c) for c in t.children) if k is not None]
        if want(t):
            return (t, True, kids)
        if kids:
            return (t, False, kids)
        return None

    return [k for k in (walk(t) for t in book.tasks) if k is not None]


def _to_json(node) -> dict:
    t, matched, kids = node
    return export.task_json(t, [_to_json(k) for k in kids], context=not matched)


def list_cmd(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", "-a", help="Include done and dropped tasks."),
    status: Optional[List[str]] = typer.Option(
        None, "--status", "-s", metavar="STATUS",
        help="Only tasks with this status (todo, planned, approved, working, blocked, "
             "done, dropped, unknown, or open); repeat or comma-separate for several."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List tasks as a tree with their addresses (open tasks unless --all/--status).

    A task that does not match but has a sub-task that does is shown dimmed
    for context (in JSON: "context": true).
    """
    st = _state(ctx)
    loaded = st.load()
    book = loaded.book
    statuses = parse_statuses(status)
    nodes = _select(book, statuses, show_all)
    if as_json:
        out = export.book_meta(book, str(loaded.path))
        out["tasks"] = [_to_json(n) for n in nodes]
        emit_json(out)
        return
    total = sum(1 for _ in book.all_tasks())
    if total == 0:
        info(f"no tasks in {loaded.path} ({_plain_reason(book)})")
        return
    from .human import print_tree
    shown = print_tree(book, nodes)
    what = "matching" if statuses is not None else ("" if show_all else "open")
    summary = f"{shown} {what} of {total} tasks".replace("  ", " ")
    if not shown:
        summary = f"no {what} tasks ({total} in the book)".replace("  ", " ")
    if not show_all and statuses is None:
        summary += "; --all shows done and dropped ones too"
    info(summary)


def _plain_reason(book: Book) -> str:
    return "no checkbox, 任务：/Task: or status-marked lines were found"


def show_cmd(
    ctx: typer.Context,
    address: str = typer.Argument(..., metavar="ADDRESS", autocompletion=complete_address,
                                  help="Task address from `taskbook list`, or a unique part of its title."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show one task with its sections and sub-problems, rendered as markdown."""
    st = _state(ctx)
    loaded = st.load()
    task = resolve(loaded.book, address)
    if as_json:
        out = export.book_meta(loaded.book, str(loaded.path))
        out["task"] = export.task_json(task)
        out["task"]["source"] = export.task_source(loaded.book, task)
        emit_json(out)
        return
    from .human import print_task
    print_task(loaded.book, task)


def stats_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Count tasks by status, overall and per heading group, with progress."""
    st = _state(ctx)
    loaded = st.load()
    book = loaded.book
    tasks = list(book.all_tasks())
    total = counts(tasks)
    per_group: dict[object, list[Task]] = {}
    for t in tasks:
        per_group.setdefault(t.group, []).append(t)
    groups = []
    for g, ts in per_group.items():
        c = counts(ts)
        done, tot = progress(c)
        groups.append({
            "group": g.path if g is not None else None,
            "title": g.title if g is not None else None,
            "level": g.level if g is not None else 0,
            "line": g.line + 1 if g is not None else None,
            "counts": c, "done": done, "total": tot, "progress": f"{done}/{tot}",
        })
    groups.sort(key=lambda d: d["line"] or 0)
    done, tot = progress(total)
    if as_json:
        out = export.book_meta(book, str(loaded.path))
        out.update({"tasks": len(tasks), "counts": total, "done": done, "total": tot,
                    "progress": f"{done}/{tot}", "groups": groups})
        emit_json(out)
        return
    if not tasks:
        info(f"no tasks in {loaded.path} ({_plain_reason(book)})")
        return
    from .human import print_stats
    print_stats(book, total, done, tot, groups)


def next_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    entries: Optional[int] = typer.Option(
        None, "--entries", "-n", min=0, help="Latest log entries to show (default: config next.log_entries)."),
) -> None:
    """The task to work on now, with its plan and latest log entries.

    A working task comes first (resume it); otherwise the oldest unfinished
    task that is not blocked, descending into its first unfinished sub-problem.
    """
    st = _state(ctx)
    loaded = st.load()
    book = loaded.book
    task = next_task(book)
    n = entries if entries is not None else int(st.config.get("next.log_entries"))
    if as_json:
        out = export.book_meta(book, str(loaded.path))
        out["task"] = None
        if task is not None:
            plan = task.section("plan")
            log = task.section("log")
            out["task"] = export.task_json(task)
            out["path"] = _ancestors(task)
            out["plan"] = [e.text for e in plan.entries] if plan else []
            out["log"] = [e.text for e in log.entries][-n:] if (log and n) else []
            out["reason"] = "working" if task.status is Status.WORKING else "oldest-unfinished"
        emit_json(out)
        return
    if task is None:
        info("nothing to do: every task is done, dropped or blocked")
        return
    from .human import print_next
    print_next(book, task, n)


def _ancestors(task: Task) -> list[dict]:
    out = []
    p = task.parent
    while p is not None:
        out.append({"id": p.id, "title": p.title})
        p = p.parent
    return out[::-1]
