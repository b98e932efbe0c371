"""One task's story across versions of the book (for `taskbook history`).

Walks the versions newest first and follows the task by address.  An address
is a hash of the title, so a retitle would end the trail; `match_tasks`
recognises a retitle when the new title sits in the old one's place with the
same content (or a similar title), and the walk then goes on under the old
address.  A retitle it does not recognise ends the trail in an "added" event:
the task's history then starts at that commit.  Pure: the CLI reads git.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Book
from .treediff import TaskDiff, added_change, match_tasks, removed_change, task_change


def follow(steps: Iterable[tuple[Any, Book, Book]], address: str) -> tuple[list[tuple[Any, TaskDiff]], str]:
    """steps: (label, older book, newer book), newest first.

    Returns the changes to the task, newest first, each with its step's
    label, and where the trail starts: "added" (the step that created the
    task, or a retitle not recognised) or "unknown" (the history ran out
    while the task existed: a renamed book or a shallow clone).
    """
    cur = address
    out: list[tuple[Any, TaskDiff]] = []
    for label, old, new in steps:
        if cur in new.by_id:
            m = match_tasks(old, new)
            task = new.by_id[cur]
            if cur not in m:
                out.append((label, added_change(new, task)))
                return out, "added"
            d = task_change(old, old.by_id[m[cur]], new, task, m)
            if d is not None:
                out.append((label, d))
            cur = m[cur]
        elif cur in old.by_id:
            # gone from the newer book: retitled away (when asked about an
            # old address) or removed
            m = match_tasks(old, new)
            later = {v: k for k, v in m.items()}.get(cur)
            if later is not None:
                d = task_change(old, old.by_id[cur], new, new.by_id[later], m)
                if d is not None:
                    out.append((label, d))
            else:
                out.append((label, removed_change(old, old.by_id[cur])))
    return out, "unknown"
