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
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right

from ..markers import EMOJI
from ..model import Book, Pending, Task
from .address import assign_addresses, reassign
from .blocks import scan
from .tasks import (build, clean_title, decide_dialect, dialect_counts, first_block_line,
                    is_newest_first, label_language, sample_language)

__all__ = ["reparse"]

# a line that opens a top-level list item: indentation, marker, and the gap
_ITEM_PREFIX = re.compile(r"( {0,3})([-+*]|[0-9]{1,9}[.)])([ \t]+)(?=\S)")
# a line that starts a new block after anything: a bullet item or an ATX heading
_FRESH = re.compile(r"(?:[-+*][ \t]+\S|#{1,6}(?:[ \t]|$))")


def reparse(book: Book, lines: list[str], a: int, b: int, k: int) -> Book | None:
    """The Book of `lines`, which are book.lines with old lines [a, b)
    replaced by lines [a, a + k); None when the change cannot be re-parsed
    locally.  On success `book` itself is updated and returned (its tasks
    move into the new tree), so the caller must not use the old tree again."""
    if book.emoji:
        return None
    region = _region(book, a, b)
    if region is None:
        return None
    r0, r1 = region
    delta = k - (b - a)
    n1 = r1 + delta                      # the region's end in the new lines
    old_lines = book.lines
    if not _opens_alike(old_lines[r0], lines[r0]):
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
    new_tasks: list[Task] = found["tasks"]
    new_all: list[Task] = found["all_tasks"]
    labelled = _labelled(book, r0, r1, delta, new_all)
    if labelled is None:  # the language must be judged from the whole book
        return None

    # nothing has been changed so far: from here on the book is updated
    old_top = book.tasks
    i0 = bisect_left(old_top, r0, key=_line)
    i1 = bisect_left(old_top, r1, key=_line)
    gone = [t for top in old_top[i0:i1] for t in top.walk()]
    group = _group_at(book, r0)
    for it in blocks.items:
        it.start += r0
        it.end += r0
    for t in new_all:
        t.line += r0
        t.end += r0
        t.group = group
        for s in t._sections:
            s.line += r0
            s.end += r0
            s._book = book
    moved: dict[int, object] = {}
    for top in old_top[i1:]:
        for t in top.walk():
            _move(book, t, delta, moved)
    book.tasks = old_top[:i0] + new_tasks + old_top[i1:]

    notes = book.notes
    j0 = bisect_left(notes, r0, key=_line)
    j1 = bisect_left(notes, r1, key=_line)
    for nt in notes[j1:]:
        nt.line += delta
        nt.end += delta
    for nt in found["notes"]:
        nt.line += r0
        nt.end += r0
    book.notes = notes[:j0] + found["notes"] + notes[j1:]
    _move_groups(book, group, r0, r1, delta, lines)

    book._lines = lines
    book._source = None
    was_newest_first = book.newest_first
    old_counts = dialect_counts(gone)
    counts = tuple(c - o + n for c, o, n in zip(book.counts, old_counts, found["counts"]))
    book.counts = counts
    book.dialect = decide_dialect(counts)
    book.labelled, label = labelled
    n_lines = len(lines)
    first = first_block_line(book.tasks, book.groups, book.notes, n_lines)
    book.preamble_end = first
    head = [s[:-1] if s.endswith("\r") else s for s in lines[:min(first, 40)]]
    book.newest_first = is_newest_first(book.dialect, head, first)
    if label is not None:
        book.language = label_language(label)
    elif book.labelled == -1 and r0 < 300:   # the sample (first 300 lines) changed
        book.language = sample_language([s[:-1] if s.endswith("\r") else s
                                         for s in lines[:300]])
    if book.newest_first == was_newest_first:
        reassign(book.by_id, gone, new_all, book.newest_first)
    else:  # the order of age flipped: every duplicate is numbered again
        book.by_id = assign_addresses(list(book.all_tasks()), book.newest_first)
    if not _spot_check(book, old_top[i1:], new_all):
        return None   # never expected; the caller then parses the whole text
    if os.environ.get("TASKBOOK_VERIFY_REPARSE"):
        _verify(book)
    return book


# --------------------------------------------------------------- conditions

def _line(x) -> int:
    return x.line


def _blank(s: str) -> bool:
    """Blank as CommonMark sees it (only spaces and tabs; "\u3000" is text)."""
    return not s.strip(" \t\r")


def _region(book: Book, a: int, b: int) -> tuple[int, int] | None:
    """The old span [r0, r1) of the top-level item(s) that hold the change
    (old lines [a, b)), each with the blank lines after it; None when the
    change is not inside or right beside a task's top-level item.  An insertion
    between two items takes both: the new lines may belong to either."""
    top = book.tasks
    if not top:
        return None
    lines = book.lines
    i = bisect_right(top, a, key=_line) - 1
    r0 = r1 = -1
    for t in top[max(i - 1, 0):i + 2]:
        if t._item is None:
            return None                 # a heading task
        s, e = t.root_span()
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


def _all_in_items(lines: list[str], blocks) -> bool:
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


# ---------------------------------------------------------------- moving

def _move(book: Book, t: Task, d: int, moved: dict) -> None:
    t.line += d
    t.end += d
    if t._item is not None:
        t._item = _moved_item(book, t._item, d, moved)
    secs = t._sections
    if secs.__class__ is list:
        for s in secs:
            s.line += d
            s.end += d
            s._entries = None
            if s._item is not None:
                s._item = _moved_item(book, s._item, d, moved)


def _moved_item(book: Book, it, d: int, moved: dict):
    """The same Item (or Pending region), d lines further down.  Every Item
    tree moves once, however many tasks and sections point into it."""
    if it.__class__ is Pending:
        if id(it) not in moved:
            moved[id(it)] = it
            it.start += d
            it.end += d
            index = it._index
            if index:   # already scanned: its Items move, and are found anew
                for x in index.values():
                    _move_tree(x, d, moved)
                it._index = {(x.start, x.text_pos): x for x in index.values()}
        return it
    _move_tree(it, d, moved)
    return it


def _move_tree(it, d: int, moved: dict) -> None:
    root = it
    while root.parent is not None:
        root = root.parent
    if id(root) in moved:
        return
    moved[id(root)] = root
    stack = [root]
    while stack:
        x = stack.pop()
        x.start += d
        x.end += d
        stack.extend(x.children)


def _group_at(book: Book, r0: int):
    """The heading group whose scope holds line r0: the nearest heading above."""
    g = None
    for grp in book.groups:
        if grp.line >= r0:
            break
        g = grp
    return g


def _move_groups(book: Book, group, r0: int, r1: int, delta: int, lines: list[str]) -> None:
    for g in book.groups:
        if g.line >= r1:
            g.line += delta
            g.end += delta
    # the groups whose scope holds the region end where their text ends now
    g = group
    n1 = r1 + delta
    while g is not None:
        if g.end > r1:       # its text goes on after the region
            g.end += delta
        else:                # its text ends in the region: where it ends now
            end = n1
            while end > g.line + 1 and not lines[end - 1].strip():
                end -= 1
            g.end = end
        g = g.parent


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
                       tuple((e.line, e.text) for e in s.entries)) for s in t.sections),
                _item_summary(t.item))
    return {
        "meta": (book.dialect, book.language, book.newest_first, book.preamble_end,
                 book.counts, book.labelled, book.emoji),
        "tasks": [task(t) for t in book.all_tasks()],
        "top": [t.id for t in book.tasks],
        "groups": [(g.title, g.level, g.line, g.end) for g in book.groups],
        "notes": [(n.title, n.line, n.end) for n in book.notes],
    }


def _item_summary(it) -> tuple | None:
    if it is None:
        return None
    return (it.start, it.end, it.marker, it.number, it.indent, it.offset, it.text_pos,
            it.first, it.quoted, [c.start for c in it.children])
