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

import zlib

from ..model import Task

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def normalise(title: str) -> str:
    """Runs of whitespace as one space (str.split and re's \\s agree on what
    whitespace is), no leading or trailing space."""
    return " ".join(title.split())


def base_address(title: str) -> str:
    n = zlib.crc32(normalise(title).encode("utf-8"))
    a = ALPHABET
    return a[n & 31] + a[(n >> 5) & 31] + a[(n >> 10) & 31] + a[(n >> 15) & 31] + a[(n >> 20) & 31]


def assign_addresses(tasks: list[Task], newest_first: bool) -> dict[str, Task]:
    """Set task.id on every task (given in document order); return id -> task."""
    by_id: dict[str, Task] = {}
    dups: dict[str, list[Task]] = {}
    for t in tasks:
        base = base_address(t.title)
        first = by_id.get(base)
        if first is None:
            t.id = base
            by_id[base] = t
        else:
            dups.setdefault(base, [first]).append(t)
    for base, group in dups.items():
        if newest_first:
            group = group[::-1]
        for k, t in enumerate(group):
            t.id = base if k == 0 else f"{base}-{k + 1}"
            by_id[t.id] = t
    return by_id
