"""The JSON shapes of read commands (schema documented in README.md).

Stable contract: fields are only ever added; SCHEMA_VERSION changes when a
field changes meaning or disappears.
"""

from __future__ import annotations

from .model import Book, Section, Task

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
