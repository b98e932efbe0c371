"""Re-parse an edited book locally: only the top-level list item that changed.

Why: every edit is checked by parsing its result before it is written, and
on a 10,000-task book a whole parse costs ~0.4 s, while an edit touches one
task.  CommonMark gives a top-level list item the same inner structure
wherever it stands, and the blocks after it start afresh, provided the item
is entered and left at clean boundaries.  So the changed region is parsed on
its own and spliced into the old tree; the tasks after it only move.

The region is the top-level item holding the change (with the blank lines
after it).  The shortcut is taken only when every condition that makes the
splice exact holds, and `reparse` returns None otherwise, so the caller
parses the whole text:

* the book has no status emoji (they can turn a book "marked" and make
  headings tasks, a book-wide decision);
* the region starts where a top-level item started before, and its new first
  line opens an item the same way (same indentation and marker);
* parsed on its own, every non-blank line of the region lies inside a
  top-level list item, and no heading stands at its top level;
* the first non-blank line after the region starts a new block whatever the
  region ended with: a bullet item or an ATX heading, or any unindented line
  after a blank one (or the end of the book).

The book-wide facts (dialect, language, order, preamble, addresses) are then
decided again with the parser's own functions.  `TASKBOOK_VERIFY_REPARSE=1`
makes every local re-parse be compared with a whole parse (the test suite
runs with it).

The old Book is left as it was: the result is a new Book that shares with
it the objects the change did not touch (the tasks before the region, when
their heading group and addresses stay the same) and holds copies, moved
by the change's length, of the others.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right

from ..markers import EMOJI
from ..model import Book, Group, Note, Task
from .address import base_address
from .blocks import Blocks, Item, scan
from .tasks import (
    build,
    clean_title,
    decide_dialect,
    dialect_counts,
    first_block_line,
    is_newest_first,
    label_language,
    sample_language,
)

__all__ = ["reparse"]

# a line that opens a top-level list item: indentation, marker, and the gap
_ITEM_PREFIX = re.compile(r"( {0,3})([-+*]|[0-9]{1,9}[.)])([ \t]+)(?=\S)")
# a line that starts a new block after anything: a bullet item or an ATX heading
_FRESH = re.compile(r"(?:[-+*][ \t]+\S|#{1,6}(?:[ \t]|$))")


def reparse(book: Book, lines: list[str], a: int, b: int, k: int) -> Book | None:
    """The Book of `lines`, which are book.lines with old lines [a, b)
    replaced by lines [a, a + k); None when the change cannot be re-parsed
    locally.  `book` is not changed."""
    if book.emoji:
        return None
    region = _region(book, a, b)
    if region is None:
        return None
    r0, r1 = region
    delta = k - (b - a)
    n1 = r1 + delta                      # the region's end in the new lines
    if not _opens_alike(book.lines[r0], lines[r0]):
        return None
    if not _fresh_after(lines, n1):
        return None
    bare = [s[:-1] if s.endswith("\r") else s for s in lines[r0:n1]]
    if any(e in "".join(bare) for e in EMOJI):
        return None
    blocks = scan(bare)
    if not _all_in_items(bare, blocks):
        return None
    found = build(bare, blocks, False)
    new_tasks = found.tasks
    new_all = found.all_tasks
    labelled = _labelled(book, r0, r1, delta, new_all)
    if labelled is None:  # the language must be judged from the whole book
        return None

    old_top = book.tasks
    i0 = bisect_left(old_top, r0, key=_line)
    i1 = bisect_left(old_top, r1, key=_line)
    gone = [t for top in old_top[i0:i1] for t in top.walk()]

    # the new tree: new groups where a heading's text moved or grew
    groups, new_of = _groups(book, r0, r1, delta, lines)
    group = _group_at(book, r0)
    group = new_of.get(id(group), group)
    renumber: dict[str, list[Task]] = {}    # hash -> the tasks to number again
    for t in new_all:
        _move_in_place(t, r0)
        t.group = group
        renumber.setdefault(base_address(t.title), []).append(t)
    # tasks whose titles hash like a changed task's may get a new address
    # ("-2" ...): they are copied, and so is the tree above them
    affected = {t.id.partition("-")[0] for t in gone} | renumber.keys()
    by_id = dict(book.by_id)
    held: dict[int, str] = {}          # id(old task) -> its hash, to number again
    copy_roots: set[int] = set()
    for base in affected:
        for key in list(_keys_with_base(by_id, base)):
            t = by_id.pop(key)
            held[id(t)] = base
            while t.parent is not None:
                t = t.parent
            copy_roots.add(id(t))
    tasks: list[Task] = []
    for top in old_top[:i0]:
        if id(top) in copy_roots or (top.group is not None and id(top.group) in new_of):
            top = _copy_tree(top, 0, new_of, by_id, held, renumber)
        tasks.append(top)
    tasks.extend(new_tasks)
    moved = len(tasks)
    for top in old_top[i1:]:
        if delta or id(top) in copy_roots or (top.group is not None and id(top.group) in new_of):
            top = _copy_tree(top, delta, new_of, by_id, held, renumber)
        tasks.append(top)
    for base, same in renumber.items():
        same.sort(key=_line, reverse=book.newest_first)
        for n, t in enumerate(same):
            t.id = base if n == 0 else f"{base}-{n + 1}"
            by_id[t.id] = t

    # the book-wide facts, decided again
    counts = tuple(c - o + n for c, o, n in
                   zip(book.counts, dialect_counts(gone), found.counts))
    dialect = decide_dialect(counts)
    notes = _notes(book.notes, found.notes, r0, r1, delta)
    first = first_block_line(tasks, groups, notes, len(lines))
    head = [s[:-1] if s.endswith("\r") else s for s in lines[:min(first, 40)]]
    # the order of age the parser decides (the config's `order` may have
    # overridden it: the new Book keeps the override, see `store.set_order`)
    if is_newest_first(dialect, head, first) != (book.newest_first != book.reordered):
        return None   # it flipped: every duplicate would be numbered again
    line_of_label, label = labelled
    if label is not None:
        language = label_language(label)
    elif line_of_label == -1 and r0 < 300:   # the sample (first 300 lines) changed
        language = sample_language([s[:-1] if s.endswith("\r") else s for s in lines[:300]])
    else:
        language = book.language

    new = Book(lines, book.bom, dialect, language, book.newest_first, tasks, groups, notes,
               first)
    new.by_id = by_id
    new.top_items = _top_items(book.top_items, blocks.roots, r0, r1, delta)
    new.counts = counts
    new.labelled = line_of_label
    new.emoji = False
    new.reordered = book.reordered
    if not _spot_check(new, tasks[moved:], new_all):
        return None   # never expected; the caller then parses the whole text
    if os.environ.get("TASKBOOK_VERIFY_REPARSE"):
        _verify(new)
    return new


# --------------------------------------------------------------- conditions

def _line(x: Task | Group | Note) -> int:
    return x.line


def _blank(s: str) -> bool:
    """Blank as CommonMark sees it (only spaces and tabs; "\u3000" is text)."""
    return not s.strip(" \t\r")


def _region(book: Book, a: int, b: int) -> tuple[int, int] | None:
    """The old span [r0, r1) of the top-level item(s) that hold the change
    (old lines [a, b)), each with the blank lines after it; None when the
    change is not inside or right beside a top-level list item.  An insertion
    between two items takes both: the new lines may belong to either."""
    items = book.top_items
    if not items:
        return None
    lines = book.lines
    i = bisect_right(items, (a, len(lines))) - 1
    r0 = r1 = -1
    for s, e in items[max(i - 1, 0):i + 2]:
        while e < len(lines) and _blank(lines[e]):
            e += 1
        if s <= b and a <= e:           # touches the change
            r0 = s if r0 < 0 else min(r0, s)
            r1 = max(r1, e)
    if r0 < 0 or r0 > a or b > r1:
        return None
    groups = book.groups
    k = bisect_left(groups, r0, key=_line)
    if k < len(groups) and groups[k].line < r1:
        return None                     # a heading between the items joined
    return r0, r1


def _opens_alike(old: str, new: str) -> bool:
    """Does the new first line open a top-level item as the old one did?"""
    mo = _ITEM_PREFIX.match(old)
    mn = _ITEM_PREFIX.match(new)
    return (mo is not None and mn is not None and mo.group(1, 2) == mn.group(1, 2)
            and ("\t" in mo.group(3)) == ("\t" in mn.group(3)))


def _fresh_after(lines: list[str], n1: int) -> bool:
    """Does line n1 (the first non-blank line after the region, or the end)
    start a new top-level block whatever the region ended with?  A bullet
    item or an ATX heading always does; any other unindented line does after
    a blank line (no paragraph is open then, and no item can hold it)."""
    if n1 == len(lines):
        return True
    s = lines[n1]
    if s[:1] in (" ", "\t"):
        return False
    return _FRESH.match(s) is not None or (n1 > 0 and _blank(lines[n1 - 1]))


def _all_in_items(lines: list[str], blocks: Blocks) -> bool:
    """Parsed alone, is every non-blank line inside a top-level item, with
    no heading at the top level?"""
    if any(h.item is None for h in blocks.headings):
        return False
    roots = blocks.roots
    if not roots or roots[0].start != 0:
        return False
    covered = 0
    for r in roots:
        if r.quoted:
            return False
        for i in range(covered, r.start):
            if not _blank(lines[i]):
                return False
        covered = r.end
    return all(_blank(s) for s in lines[covered:])


def _spot_check(book: Book, moved_top: list[Task], new_all: list[Task]) -> bool:
    """Does each new task, and a sample of the moved ones, still find its
    title on its line?  A cheap guard for the worst failure a splice could
    have (tasks pointing at the wrong lines), run on every local re-parse."""
    step = max(1, len(moved_top) // 8)
    sample = new_all + moved_top[::step] + moved_top[-1:]
    lines = book.lines
    for t in sample:
        if t.line >= len(lines):
            return False
        s = lines[t.line]
        a, b = t.form.title_span
        if clean_title((s[:-1] if s.endswith("\r") else s)[a:b]) != t.title:
            return False
    return True


# ------------------------------------------------------------ the new tree

def _move_in_place(t: Task, d: int) -> None:
    """Move a task the region's parse just made (nobody else holds it)."""
    t.line += d
    t.end += d
    for s in t.sections:
        s.line += d
        s.end += d
        for e in s.entries:
            e.line += d
            e.end += d


def _copy_tree(top: Task, d: int, new_of: dict[int, Group], by_id: dict[str, Task],
               held: dict[int, str], renumber: dict[str, list[Task]]) -> Task:
    """A copy of the task tree under `top`, moved d lines down, in the new
    groups `new_of` names.  `by_id` gets the copies, except those of `held`
    tasks, which go to `renumber` to be numbered again."""
    todo = [(top, None)]
    root = None
    while todo:
        old, parent = todo.pop()
        new = old.shifted(d)
        g = old.group
        new.group = new_of.get(id(g), g) if g is not None else None
        if parent is None:
            root = new
        else:
            new.parent = parent
            parent.children.append(new)
        base = held.get(id(old)) if held else None
        if base is None:
            by_id[new.id] = new
        else:
            renumber.setdefault(base, []).append(new)
        if old.children:
            todo.extend((c, new) for c in reversed(old.children))
    return root


def _keys_with_base(by_id: dict[str, Task], base: str):
    """The addresses made from one hash: "abcde", "abcde-2", "abcde-3" ..."""
    if base in by_id:
        yield base
    k = 2
    while f"{base}-{k}" in by_id:
        yield f"{base}-{k}"
        k += 1


def _groups(book: Book, r0: int, r1: int, delta: int, lines: list[str]):
    """The groups of the new book, and the new self of each group that
    changed (by the old one's id).  A group moves with the lines after the region; one whose
    scope holds the region ends where its text ends now; one whose parent
    was replaced is replaced too.  The others are shared."""
    chain = set()
    g = _group_at(book, r0)
    while g is not None:
        chain.add(id(g))
        g = g.parent
    n1 = r1 + delta
    new_of: dict[int, Group] = {}
    out = []
    for g in book.groups:
        line, end = g.line, g.end
        if line >= r1:
            line += delta
            end += delta
        elif id(g) in chain:
            if end > r1:         # its text goes on after the region
                end += delta
            else:                # its text ends in the region: where it ends now
                end = n1
                while end > line + 1 and not lines[end - 1].strip():
                    end -= 1
        parent = new_of.get(id(g.parent), g.parent) if g.parent is not None else None
        if line != g.line or end != g.end or parent is not g.parent:
            ng = Group(g.title, g.level, line, end, parent)
            new_of[id(g)] = ng
            g = ng
        out.append(g)
    return out, new_of


def _notes(old: list[Note], region: list[Note], r0: int, r1: int, delta: int) -> list[Note]:
    j0 = bisect_left(old, r0, key=_line)
    j1 = bisect_left(old, r1, key=_line)
    for nt in region:               # made by the region's parse: nobody else holds them
        nt.line += r0
        nt.end += r0
    after = ([Note(nt.title, nt.line + delta, nt.end + delta) for nt in old[j1:]] if delta
             else old[j1:])
    return old[:j0] + region + after


def _top_items(old: list[tuple[int, int]], region_roots: list[Item], r0: int, r1: int,
               delta: int) -> list[tuple[int, int]]:
    i = bisect_left(old, (r0, 0))
    j = bisect_left(old, (r1, 0))
    after = [(s + delta, e + delta) for s, e in old[j:]] if delta else old[j:]
    return old[:i] + [(r.start + r0, r.end + r0) for r in region_roots] + after


def _group_at(book: Book, r0: int) -> Group | None:
    """The heading group whose scope holds line r0: the nearest heading above."""
    g = None
    for grp in book.groups:
        if grp.line >= r0:
            break
        g = grp
    return g


def _labelled(book: Book, r0: int, r1: int, delta: int, new_all: list[Task]):
    """(line of the first labelled task, its label if the language follows
    from it now) or None when only a whole parse can tell."""
    old = book.labelled
    if old != -1 and old < r0:
        return old, None
    for t in new_all:   # lines still relative to the region
        if t.form.label:
            return t.line + r0, t.form.label
    if old == -1:
        return -1, None
    if old >= r1:
        return old + delta, None
    return None


def _verify(book: Book) -> None:
    """Compare with a whole parse (TASKBOOK_VERIFY_REPARSE=1)."""
    from . import parse_text
    whole = parse_text("\n".join(book.lines), book.bom)
    if book.reordered:   # the config's order, as `store.set_order` applies it
        from .address import assign_addresses
        whole.newest_first = book.newest_first
        whole.by_id = assign_addresses(list(whole.all_tasks()), whole.newest_first)
    mine, theirs = _summary(book), _summary(whole)
    if mine != theirs:
        diff = next(k for k in theirs if mine.get(k) != theirs.get(k))
        raise AssertionError(f"local re-parse differs from a whole parse in {diff}: "
                             f"{mine.get(diff)!r} != {theirs.get(diff)!r}"[:2000])


def _summary(book: Book) -> dict:
    def task(t: Task) -> tuple:
        f = t.form
        return (t.id, t.title, t.status, t.marker, t.line, t.end, t.depth, t.level,
                f.dialect, f.kind, f.prefix_end, f.marker_span, f.marker_pos, f.title_span,
                f.label, f.struck, f.tag_span, f.bullet, f.nested,
                t.group.line if t.group else None, t.parent.id if t.parent else None,
                tuple((s.kind, s.label, s.line, s.end, s.inline, s.bullet, s.text_pos, s.nested,
                       tuple((e.line, e.end, e.text, e.bullet) for e in s.entries))
                      for s in t.sections))
    return {
        "meta": (book.dialect, book.language, book.newest_first, book.preamble_end,
                 book.counts, book.labelled, book.emoji),
        "tasks": [task(t) for t in book.all_tasks()],
        "top": [t.id for t in book.tasks],
        "by_id": sorted((k, t.line) for k, t in book.by_id.items()),
        "groups": [(g.title, g.level, g.line, g.end, g.parent.line if g.parent else None)
                   for g in book.groups],
        "notes": [(n.title, n.line, n.end) for n in book.notes],
        "top_items": list(book.top_items),
    }
