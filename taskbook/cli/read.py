"""Read commands: list, show, stats, next.  Each has --json (see README)."""

from __future__ import annotations

from typing import List, Optional

import typer

from .. import export
from ..model import Book
from ..query import next_task, parse_statuses, resolve, select
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
    nodes = select(book, statuses, show_all)
    if as_json:
        emit_json(export.list_json(book, str(loaded.path), nodes))
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
        emit_json(export.show_json(loaded.book, str(loaded.path), task))
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
    out = export.stats_json(book, str(loaded.path))
    if as_json:
        emit_json(out)
        return
    if not out["tasks"]:
        info(f"no tasks in {loaded.path} ({_plain_reason(book)})")
        return
    from .human import print_stats
    print_stats(book, out["counts"], out["done"], out["total"], out["groups"])


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
        emit_json(export.next_json(book, str(loaded.path), task, n))
        return
    if task is None:
        info("nothing to do: every task is done, dropped or blocked")
        return
    from .human import print_next
    print_next(book, task, n)
