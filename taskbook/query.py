"""Finding tasks: addresses, title search, filters, counts, what to do next."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import AddressError
from .model import Book, Status, Task

Node = tuple[Task, bool, list["Node"]]
"""A task as `select` keeps it: (task, matched the filter, kept children)."""

_ID_LIKE = re.compile(r"[0-9a-z]{3,}(?:-[0-9]+)?")


def resolve(book: Book, text: str) -> Task:
    """A task from its address, a unique address prefix, or a title (part).

    Ambiguous input is an error listing every candidate, never a guess.
    """
    q = text.strip()
    if q.startswith("#"):
        q = q[1:]
    if not q:
        raise AddressError("empty task address")
    task = book.by_id.get(q) or book.by_id.get(q.lower())
    if task is not None:
        return task
    if _ID_LIKE.fullmatch(q.lower()):
        pre = [t for i, t in book.by_id.items() if i.startswith(q.lower())]
        if len(pre) == 1:
            return pre[0]
    tasks = list(book.all_tasks())
    exact = [t for t in tasks if t.title == q]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise _ambiguous(q, exact)
    fold = q.casefold()
    part = [t for t in tasks if fold in t.title.casefold()]
    if len(part) == 1:
        return part[0]
    if len(part) > 1:
        raise _ambiguous(q, part)
    raise AddressError(f"no task matches {text!r}", hint="`taskbook list --all` shows every address",
                       code="unknown-address")


def _ambiguous(q: str, tasks: list[Task]) -> AddressError:
    shown = "; ".join(f"{t.id} {t.title}" for t in tasks[:8])
    more = f"; and {len(tasks) - 8} more" if len(tasks) > 8 else ""
    return AddressError(f"{q!r} matches {len(tasks)} tasks: {shown}{more}", candidates=tasks,
                        hint="use the address (the code before each title)", code="ambiguous-address")


def select(book: Book, statuses: set[Status] | None, show_all: bool) -> list[Node]:
    """Filter the tree: (task, matched, kids) for matching tasks, and for
    their ancestors as context (matched False)."""
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


def parse_statuses(values: list[str] | None) -> set[Status] | None:
    """--status may be repeated or comma-separated; 'open' means not done/dropped."""
    if not values:
        return None
    out: set[Status] = set()
    for v in values:
        for word in v.split(","):
            w = word.strip().lower()
            if not w:
                continue
            if w == "open":
                out |= {s for s in Status if s.is_open}
                continue
            try:
                out.add(Status(w))
            except ValueError:
                names = ", ".join(s.value for s in Status)
                from .errors import UsageError
                raise UsageError(f"unknown status {word!r} (one of: {names}, open)") from None
    return out


def counts(tasks: Iterable[Task]) -> dict[str, int]:
    c = {s.value: 0 for s in Status}
    for t in tasks:
        c[t.status.value] += 1
    return c


def progress(c: dict[str, int]) -> tuple[int, int]:
    """(done, total) where dropped tasks count for neither."""
    total = sum(c.values()) - c["dropped"]
    return c["done"], total


def next_task(book: Book) -> Task | None:
    """What to work on now (seed 000's rule: 先解决旧的未完成的).

    A working task first (resume it, deepest one), otherwise the oldest
    unfinished task that is not blocked, descending into its first unfinished
    sub-problem.
    """
    for t in _age_order(book.tasks, book.newest_first):
        w = _working(t, book.newest_first)
        if w is not None:
            return w
    for t in _age_order(book.tasks, book.newest_first):
        if t.status.is_open and t.status is not Status.BLOCKED:
            return _descend(t, book.newest_first)
    return None


def _age_order(tasks: list[Task], newest_first: bool) -> list[Task]:
    return tasks[::-1] if newest_first else tasks


def _working(t: Task, newest_first: bool) -> Task | None:
    for c in _age_order(t.children, False):
        w = _working(c, newest_first)
        if w is not None:
            return w
    return t if t.status is Status.WORKING else None


def _descend(t: Task, newest_first: bool) -> Task:
    for c in t.children:  # sub-problems are listed in the order they were met
        if c.status.is_open and c.status is not Status.BLOCKED:
            return _descend(c, newest_first)
    return t
