"""What changed in the task tree between two versions of a book.

A review of the agent's work is about tasks, not lines: which tasks were
added or removed, which changed status, which plan steps and log entries are
new, which tasks were retitled.  Tasks are matched by address; since an
address is a hash of the title, a retitled task looks like one task removed
and another added, so `match_tasks` pairs such tasks when the new one sits in
the old one's place (same parent, same neighbours) with the same content or a
similar title.  Pure: no git, no I/O (the CLI feeds it the two versions).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .model import Book, Task

CONTENT_RATIO = 0.75   # bodies this alike are "the same content"
TITLE_RATIO = 0.5      # titles this alike are "a similar title"


@dataclass
class TaskDiff:
    """One task's changes.  `change`: added, removed, retitled or changed."""

    change: str
    id: str                     # address in the new book (the old one if removed)
    title: str
    status: str
    line: int                   # 1-based line, in the book the task is in
    parent: str | None
    old_id: str | None = None           # retitled: the address before
    old_title: str | None = None
    old_status: str | None = None       # set when the status changed
    moved: bool = False                 # now under another parent
    old_parent: str | None = None
    entries_added: dict[str, list[str]] = field(default_factory=dict)
    entries_removed: dict[str, list[str]] = field(default_factory=dict)
    sections_added: list[str] = field(default_factory=list)
    sections_removed: list[str] = field(default_factory=list)
    sections_changed: list[str] = field(default_factory=list)
    text_changed: bool = False          # the task's own text outside its sections

    def to_json(self) -> dict:
        return {
            "change": self.change, "id": self.id, "title": self.title,
            "status": self.status, "old_status": self.old_status, "line": self.line,
            "parent": self.parent, "old_id": self.old_id, "old_title": self.old_title,
            "moved": self.moved, "old_parent": self.old_parent,
            "entries_added": self.entries_added, "entries_removed": self.entries_removed,
            "sections_added": self.sections_added, "sections_removed": self.sections_removed,
            "sections_changed": self.sections_changed, "text_changed": self.text_changed,
        }


@dataclass
class BookDiff:
    tasks: list[TaskDiff]
    other_text_changed: bool    # text outside every task (preamble, notes, headings)

    def counts(self) -> dict[str, int]:
        c = Counter(t.change for t in self.tasks)
        return {
            "added": c["added"], "removed": c["removed"], "retitled": c["retitled"],
            "changed": c["changed"],
            "status": sum(1 for t in self.tasks if t.old_status is not None),
            "plan_steps": sum(len(t.entries_added.get("plan", ())) for t in self.tasks),
            "log_entries": sum(len(t.entries_added.get("log", ())) for t in self.tasks),
        }

    def find(self, task_id: str) -> TaskDiff | None:
        for t in self.tasks:
            if t.id == task_id:
                return t
        return None


# ------------------------------------------------------------------ matching

def match_tasks(old: Book, new: Book, *, loose: bool = False) -> dict[str, str]:
    """new address -> old address for every task present in both books,
    retitled ones included.

    `loose` (for merging) also pairs a bare task replaced in place by one with
    an unrelated title: a merge would rather see a conflict there than keep
    both tasks.
    """
    m = {i: i for i in new.by_id if i in old.by_id}
    gone: dict[str | None, list[Task]] = {}
    for t in old.all_tasks():
        if t.id not in new.by_id:
            gone.setdefault(t.parent.id if t.parent else None, []).append(t)
    if not gone:
        return m
    taken: set[str] = set()
    for c in new.all_tasks():   # parents before children: their pairing is known
        if c.id in m:
            continue
        parent = m.get(c.parent.id) if c.parent else None
        if c.parent is not None and parent is None:
            continue
        best: tuple[int, Task] | None = None
        tie = False
        for g in gone.get(parent, ()):
            if g.id in taken:
                continue
            s = _retitle_score(old, g, new, c, m, loose)
            if s is None:
                continue
            if best is None or s > best[0]:
                best, tie = (s, g), False
            elif s == best[0]:
                tie = True
        if best is not None and not tie:
            m[c.id] = best[1].id
            taken.add(best[1].id)
    return m


def _retitle_score(old: Book, g: Task, new: Book, c: Task, m: dict[str, str],
                   loose: bool) -> int | None:
    prev_ok = _neighbour(old, g, -1) == _mapped(m, _neighbour(new, c, -1))
    next_ok = _neighbour(old, g, 1) == _mapped(m, _neighbour(new, c, 1))
    body_g, body_c = _body(old, g), _body(new, c)
    content = bool(body_g) and _ratio(body_g, body_c) >= CONTENT_RATIO
    similar = _ratio(g.title, c.title) >= TITLE_RATIO
    if content and (prev_ok or next_ok or similar):
        return 4 + prev_ok + next_ok + similar
    if prev_ok and next_ok and (similar or loose):
        return 1 + similar
    return None


_EDGE = "\0edge"


def _neighbour(book: Book, t: Task, step: int) -> str | None:
    sibs = t.parent.children if t.parent else book.tasks
    k = next(i for i, s in enumerate(sibs) if s is t) + step
    return sibs[k].id if 0 <= k < len(sibs) else _EDGE


def _mapped(m: dict[str, str], new_id: str | None) -> str | None:
    return new_id if new_id == _EDGE else m.get(new_id or "", None)


def _ratio(a, b) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _text(book: Book, i: int) -> str:
    return book.line_text(i).rstrip()


def _body(book: Book, t: Task) -> list[str]:
    """The task's text below its title line, blank lines dropped."""
    return [s for s in (_text(book, i) for i in range(t.line + 1, t.end)) if s]


# ------------------------------------------------------------------ diffing

def diff_books(old: Book, new: Book) -> BookDiff:
    m = match_tasks(old, new)
    out: list[TaskDiff] = []
    kept_old = set(m.values())
    for c in new.all_tasks():
        if c.id not in m:
            out.append(added_change(new, c))
            continue
        d = task_change(old, old.by_id[m[c.id]], new, c, m)
        if d is not None:
            out.append(d)
    for g in old.all_tasks():
        if g.id not in kept_old:
            out.append(removed_change(old, g))
    return BookDiff(out, _outside(old) != _outside(new))


def _base(change: str, book: Book, t: Task) -> TaskDiff:
    return TaskDiff(change=change, id=t.id, title=t.title, status=t.status.value,
                    line=t.line + 1, parent=t.parent.id if t.parent else None)


def added_change(book: Book, t: Task) -> TaskDiff:
    """A task new in `book`: its sections and entries count as added."""
    d = _base("added", book, t)
    for kind, (entries, _own) in _sections(book, t).items():
        d.sections_added.append(kind)
        if entries:
            d.entries_added[kind] = entries
    return d


def removed_change(book: Book, t: Task) -> TaskDiff:
    return _base("removed", book, t)


def task_change(old: Book, g: Task, new: Book, c: Task, m: dict[str, str]) -> TaskDiff | None:
    """What happened to task g of `old`, now c of `new` (None: nothing);
    `m` is `match_tasks(old, new)`, to tell whether the parent changed."""
    d = _base("retitled" if g.id != c.id else "changed", new, c)
    if g.id != c.id:
        d.old_id, d.old_title = g.id, g.title
    if g.status is not c.status:
        d.old_status = g.status.value
    parent_now = m.get(c.parent.id) if c.parent else None
    parent_then = g.parent.id if g.parent else None
    if parent_now != parent_then:
        d.moved, d.old_parent = True, parent_then
    so, sn = _sections(old, g), _sections(new, c)
    for kind in [k for k in sn if k not in so]:
        d.sections_added.append(kind)
        if sn[kind][0]:
            d.entries_added[kind] = sn[kind][0]
    for kind in [k for k in so if k not in sn]:
        d.sections_removed.append(kind)
        if so[kind][0]:
            d.entries_removed[kind] = so[kind][0]
    for kind in [k for k in sn if k in so]:
        (eo, own_o), (en, own_n) = so[kind], sn[kind]
        added, removed = _multiset_minus(en, eo), _multiset_minus(eo, en)
        if added:
            d.entries_added[kind] = added
        if removed:
            d.entries_removed[kind] = removed
        if not added and not removed and own_o != own_n:
            d.sections_changed.append(kind)
    d.text_changed = _own_text(old, g) != _own_text(new, c)
    if (d.change == "changed" and d.old_status is None and not d.moved and not d.text_changed
            and not d.entries_added and not d.entries_removed and not d.sections_added
            and not d.sections_removed and not d.sections_changed):
        return None
    return d


def _multiset_minus(a: list[str], b: list[str]) -> list[str]:
    """The items of a not in b (counting duplicates), in a's order."""
    left = Counter(b)
    out = []
    for x in a:
        if left[x]:
            left[x] -= 1
        else:
            out.append(x)
    return out


def _child_spans(t: Task) -> list[tuple[int, int]]:
    return [(c.line, c.end) for c in t.children]


def _outside_spans(lines: range, spans: list[tuple[int, int]]) -> list[int]:
    covered: set[int] = set()
    for a, b in spans:
        covered.update(range(max(a, lines.start), min(b, lines.stop)))
    return [i for i in lines if i not in covered]


def _sections(book: Book, t: Task) -> dict[str, tuple[list[str], list[str]]]:
    """kind -> (entry texts, the section's own lines), sub-tasks left out:
    a sub-problem listed under 遇到的问题 is a task of its own, not an entry."""
    task_lines = {c.line for c in t.walk() if c is not t}
    kids = _child_spans(t)
    out: dict[str, tuple[list[str], list[str]]] = {}
    for s in t.sections:
        nested = [(o.line, o.end) for o in t.sections if o is not s and s.line < o.line < s.end]
        entries = [e.text for e in s.entries if e.line not in task_lines]
        own = [_text(book, i) for i in _outside_spans(range(s.line, s.end), kids + nested)]
        prev = out.get(s.kind, ([], []))
        out[s.kind] = (prev[0] + entries, prev[1] + [x for x in own if x])
    return out


def _own_text(book: Book, t: Task) -> list[str]:
    spans = _child_spans(t) + [(s.line, s.end) for s in t.sections]
    return [x for x in (_text(book, i) for i in _outside_spans(range(t.line + 1, t.end), spans)) if x]


def _outside(book: Book) -> list[str]:
    spans = [(t.line, t.end) for t in book.tasks]
    n = book.line_count
    return [x for x in (_text(book, i) for i in _outside_spans(range(n), spans)) if x]
