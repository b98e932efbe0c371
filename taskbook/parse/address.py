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


def reassign(by_id: dict[str, Task], gone: list[Task], new: list[Task],
             newest_first: bool) -> None:
    """Update `by_id` after the tasks `gone` were replaced by the tasks `new`
    (a local re-parse): only addresses sharing a hash with a changed task can
    change, so only those groups are numbered again, in order of age."""
    affected = {t.id.partition("-")[0] for t in gone}
    new_bases = [(base_address(t.title), t) for t in new]
    affected.update(b for b, _ in new_bases)
    gone_ids = {id(t) for t in gone}
    groups: dict[str, list[Task]] = {}
    for key, t in list(by_id.items()):
        base = key.partition("-")[0]
        if base in affected:
            del by_id[key]
            if id(t) not in gone_ids:
                groups.setdefault(base, []).append(t)
    for b, t in new_bases:
        groups.setdefault(b, []).append(t)
    for base, group in groups.items():
        group.sort(key=lambda t: t.line, reverse=newest_first)
        for k, t in enumerate(group):
            t.id = base if k == 0 else f"{base}-{k + 1}"
            by_id[t.id] = t
