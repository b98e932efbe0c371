"""Task addresses: short, stable, derived from the title.

An address is five characters of a hash of the task's normalised title (status
marks, labels and checkboxes excluded), so it does not change when the task is
finished or when other tasks are added, finished or removed.  Tasks whose
titles hash alike (duplicates such as seed 000's two
"error[E0521]: borrowed data escapes outside of method") are told apart by a
suffix given in order of age: the oldest keeps the bare address and newer ones
get "-2", "-3" ..., so adding a task never renames an existing one.  Age
follows the book's own order: newest-first books (seed 000) are read bottom-up.
"""

from __future__ import annotations

import re
import zlib

from ..model import Task

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
LENGTH = 5
_WS = re.compile(r"\s+")


def normalise(title: str) -> str:
    return _WS.sub(" ", title).strip()


def base_address(title: str) -> str:
    n = zlib.crc32(normalise(title).encode("utf-8"))
    out = []
    for _ in range(LENGTH):
        out.append(ALPHABET[n & 31])
        n >>= 5
    return "".join(out)


def assign_addresses(tasks: list[Task], newest_first: bool) -> dict[str, Task]:
    """Set task.id on every task (given in document order); return id -> task."""
    by_base: dict[str, list[Task]] = {}
    for t in tasks:
        by_base.setdefault(base_address(t.title), []).append(t)
    by_id: dict[str, Task] = {}
    for base, group in by_base.items():
        if newest_first:
            group = group[::-1]
        for k, t in enumerate(group):
            t.id = base if k == 0 else f"{base}-{k + 1}"
            by_id[t.id] = t
    return by_id
