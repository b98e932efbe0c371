"""The JSON shapes of read commands (schema documented in README.md).

Stable contract: fields are only ever added; SCHEMA_VERSION changes when a
field changes meaning or disappears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Book, Section, Status, Task

if TYPE_CHECKING:
    from .query import Node

SCHEMA_VERSION = 1


def section_json(s: Section) -> dict:
    return {
        "kind": s.kind,
        "label": s.label,
        "line": s.line + 1,
        "inline": s.inline or None,
        "entries": [{"line": e.line + 1, "text": e.text} for e in s.entries],
    }


def task_json(t: Task, children: list[dict] | None = None, *, context: bool = False) -> dict:
    d = {
        "id": t.id,
        "title": t.title,
        "status": t.status.value,
        "marker": t.marker,
        "line": t.line + 1,
        "end_line": t.end,
        "depth": t.depth,
        "kind": t.form.kind,
        "group": t.group.path if t.group else None,
        "parent": t.parent.id if t.parent else None,
        "sections": [section_json(s) for s in t.sections],
        "children": children if children is not None else [task_json(c) for c in t.children],
    }
    if context:
        d["context"] = True
    return d


def book_meta(book: Book, path: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "book": path,
        "dialect": book.dialect.value,
        "language": book.language,
        "order": "newest-first" if book.newest_first else "oldest-first",
    }


def task_source(book: Book, t: Task) -> str:
    """The task's own markdown, as written in the book."""
    return "\n".join(book.line_text(i) for i in range(t.line, t.end))


# ------------------------------------------------ whole read-command outputs
# Shared by the CLI's --json and the MCP server, so both speak one contract.

def list_json(book: Book, path: str, nodes: list[Node]) -> dict:
    """`list --json`: `nodes` as made by `query.select` (task, matched, kids)."""
    def node_json(node: Node) -> dict:
        t, matched, kids = node
        return task_json(t, [node_json(k) for k in kids], context=not matched)
    out = book_meta(book, path)
    out["tasks"] = [node_json(n) for n in nodes]
    return out


def show_json(book: Book, path: str, task: Task) -> dict:
    out = book_meta(book, path)
    out["task"] = task_json(task)
    out["task"]["source"] = task_source(book, task)
    return out


def stats_json(book: Book, path: str) -> dict:
    """Counts by status, overall and per heading group, with progress."""
    from .query import counts, progress
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
    out = book_meta(book, path)
    out.update({"tasks": len(tasks), "counts": total, "done": done, "total": tot,
                "progress": f"{done}/{tot}", "groups": groups})
    return out


def next_json(book: Book, path: str, task: Task | None, entries: int) -> dict:
    """`next --json`: the task with its ancestors, plan and latest log entries."""
    out = book_meta(book, path)
    out["task"] = None
    if task is not None:
        plan = task.section("plan")
        log = task.section("log")
        out["task"] = task_json(task)
        out["path"] = ancestors(task)
        out["plan"] = [e.text for e in plan.entries] if plan else []
        out["log"] = [e.text for e in log.entries][-entries:] if (log and entries) else []
        out["reason"] = "working" if task.status is Status.WORKING else "oldest-unfinished"
    return out


def ancestors(task: Task) -> list[dict]:
    out = []
    p = task.parent
    while p is not None:
        out.append({"id": p.id, "title": p.title})
        p = p.parent
    return out[::-1]


def error_json(message: str, code: str = "error", hint: str | None = None,
               candidates: list | None = None) -> dict:
    """`{"error": {...}}`: what --json prints on stderr, and MCP tools return."""
    err: dict = {"code": code, "message": message}
    if hint:
        err["hint"] = hint
    if candidates:
        err["candidates"] = [{"id": t.id, "title": t.title, "line": t.line + 1} for t in candidates]
    return {"error": err}
