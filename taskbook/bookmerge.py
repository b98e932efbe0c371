"""Three-way merge of a book, task by task: the core of the git merge driver.

Plain git merges lines, so two branches that each add a task on top of a
newest-first book always conflict (both insert at the same place), and a
task marked done on one side with a log entry added on the other often does
too.  Here each version becomes a tree of units: top-level tasks, inside a
task its title line, sections, entries and sub-tasks, everything else single
lines.  Units are matched by key (a task by its address, a retitled task by
the address it had in the base, a section by its label, an entry by its
text, a line by its text) and merged like diff3 merges lines:

* a unit changed on one side only takes that side;
* tasks or entries inserted by both sides at the same place are all kept,
  ours first, then theirs;
* a task both sides changed is merged inside; if that fails (both retitled
  it differently, one edited what the other deleted) the task, and only
  it, gets standard conflict markers;
* anything else (two edits of the same preamble line, a task deleted on one
  side and edited on the other outside any task ...) raises `Unsafe`, and the
  caller falls back to a plain line merge (`git merge-file`).

A clean result is parsed again and must hold exactly the tasks the merge
meant to write, at the lines it wrote them; otherwise `Unsafe` again.
Pure: no git, no I/O.
"""

from __future__ import annotations

from collections import Counter
from difflib import SequenceMatcher

from .model import Book, Task
from .parse import parse
from .treediff import match_tasks


class Unsafe(Exception):
    """The task-level merge cannot decide safely; merge lines instead."""


class _Conflict(Exception):
    """A conflict inside a task: the enclosing task gets markers."""


class MergeResult:
    __slots__ = ("data", "conflicts")

    def __init__(self, data: bytes, conflicts: int) -> None:
        self.data = data
        self.conflicts = conflicts      # tasks (or task runs) wrapped in markers


class _Version:
    """One side: its book, its lines (with endings) and the unit keys."""

    def __init__(self, book: Book, keymap: dict[str, str] | None = None) -> None:
        self.book = book
        lines = book.lines
        self.L = [s + "\n" for s in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
        self.titles = {t.line: t.title for t in book.all_tasks()}
        self.task_lines = set(self.titles)
        self.keymap = keymap or {}
        self.line_keys = {t.line: self.task_key(t) for t in book.all_tasks()}

    def task_key(self, t: Task) -> tuple:
        return ("T", self.keymap.get(t.id, t.id))


class _Node:
    __slots__ = ("key", "v", "start", "end", "kids", "task")

    def __init__(self, key: tuple, v: _Version, start: int, end: int,
                 kids: list["_Node"] | None = None, task: Task | None = None) -> None:
        self.key = key
        self.v = v
        self.start = start
        self.end = end
        self.kids = kids        # None: an atomic unit (a line, a title line)
        self.task = task

    @property
    def lines(self) -> list[str]:
        return self.v.L[self.start:self.end]


# --------------------------------------------------------------- unit trees

class _Range:
    __slots__ = ("start", "end", "key", "task", "subs")

    def __init__(self, start: int, end: int, key: tuple, task: Task | None = None) -> None:
        self.start, self.end, self.key, self.task = start, end, key, task
        self.subs: list[_Range] = []


def _nest(ranges: list[_Range]) -> list[_Range]:
    """Arrange ranges into a forest; ranges that overlap without nesting are
    a structure this merge does not understand."""
    ranges.sort(key=lambda r: (r.start, -r.end))
    roots: list[_Range] = []
    stack: list[_Range] = []
    for r in ranges:
        while stack and r.start >= stack[-1].end:
            stack.pop()
        if stack:
            if r.end > stack[-1].end or (r.start, r.end) == (stack[-1].start, stack[-1].end):
                raise Unsafe(f"overlapping blocks at line {r.start + 1}")
            stack[-1].subs.append(r)
        else:
            roots.append(r)
        stack.append(r)
    return roots


def _task_subranges(v: _Version, t: Task) -> list[_Range]:
    rs = [_Range(c.line, c.end, v.task_key(c), c) for c in t.children]
    section_lines = {s.line for s in t.sections}
    for s in t.sections:
        rs.append(_Range(s.line, s.end, ("S", s.kind, s.label)))
        for e in s.entries:
            if e.line in v.task_lines or e.line in section_lines:
                continue        # a sub-task or a nested section: its own range
            rs.append(_Range(e.line, e.end, ("E", e.text)))
    return _nest(rs)


def _units(v: _Version, a: int, b: int, ranges: list[_Range]) -> list[_Node]:
    out: list[_Node] = []
    i = a
    for r in ranges:
        out.extend(_Node(("L", v.L[k]), v, k, k + 1) for k in range(i, r.start))
        subs = _task_subranges(v, r.task) if r.task is not None else r.subs
        kids = [_Node(("H",), v, r.start, r.start + 1)] + _units(v, r.start + 1, r.end, subs)
        out.append(_Node(r.key, v, r.start, r.end, kids, r.task))
        i = r.end
    out.extend(_Node(("L", v.L[k]), v, k, k + 1) for k in range(i, b))
    return out


def _top_units(v: _Version) -> list[_Node]:
    ranges = [_Range(t.line, t.end, v.task_key(t), t) for t in v.book.tasks]
    for r, nxt in zip(ranges, ranges[1:]):
        if nxt.start < r.end:
            raise Unsafe(f"overlapping tasks at line {nxt.start + 1}")
    if ranges and ranges[-1].end > len(v.L):
        raise Unsafe("a task runs past the end of the book")
    return _units(v, 0, len(v.L), ranges)


# ----------------------------------------------------------------- diff3

def _matches(x: list, y: list) -> dict[int, int]:
    sm = SequenceMatcher(None, x, y, autojunk=False)
    out: dict[int, int] = {}
    for a, b, n in sm.get_matching_blocks():
        for k in range(n):
            out[a + k] = b + k
    return out


def _diff3(base: list, a: list, b: list) -> list[tuple]:
    """("stable", i, j, k) for units matched in all three; ("chunk", (i0, i1),
    (j0, j1), (k0, k1)) for the runs between them (diff3's unstable chunks)."""
    ma, mb = _matches(base, a), _matches(base, b)
    out: list[tuple] = []
    i = j = k = 0
    n = len(base)
    while True:
        s = i
        while s < n and not (s in ma and s in mb and ma[s] >= j and mb[s] >= k):
            s += 1
        if s == i and s < n and ma[s] == j and mb[s] == k:
            out.append(("stable", i, j, k))
            i, j, k = i + 1, j + 1, k + 1
            continue
        if s >= n:
            if i < n or j < len(a) or k < len(b):
                out.append(("chunk", (i, n), (j, len(a)), (k, len(b))))
            return out
        out.append(("chunk", (i, s), (j, ma[s]), (k, mb[s])))
        i, j, k = s, ma[s], mb[s]


# ----------------------------------------------------------------- merging

def _text(nodes: list[_Node]) -> list[str]:
    return [ln for n in nodes for ln in n.lines]


def _is_blank(n: _Node) -> bool:
    return n.key[0] == "L" and not n.key[1].strip()


class _Merger:
    def __init__(self, eol: str, marker_size: int) -> None:
        self.eol = eol
        self.marker = marker_size
        self.conflicts = 0

    def emit(self, nodes: list[_Node]) -> list[tuple]:
        """Output lines as (text, title of the task starting there, task key)."""
        out = []
        for n in nodes:
            v = n.v
            for i in range(n.start, n.end):
                out.append((v.L[i], v.titles.get(i), v.line_keys.get(i)))
        return out

    def markers(self, ours: list[_Node], theirs: list[_Node]) -> list[tuple]:
        self.conflicts += 1
        out = [("<" * self.marker + " ours" + self.eol, None, None)]
        out += [(ln, None, None) for ln in self._closed(_text(ours))]
        out.append(("=" * self.marker + self.eol, None, None))
        out += [(ln, None, None) for ln in self._closed(_text(theirs))]
        out.append((">" * self.marker + " theirs" + self.eol, None, None))
        return out

    def _closed(self, lines: list[str]) -> list[str]:
        if lines and not lines[-1].endswith("\n"):
            lines = lines[:-1] + [lines[-1] + self.eol]
        return lines

    def node(self, b: _Node, o: _Node, t: _Node) -> list[tuple]:
        lo, lt, lb = o.lines, t.lines, b.lines
        if lo == lt or lt == lb:
            return self.emit([o])
        if lo == lb:
            return self.emit([t])
        if b.kids is None or o.kids is None or t.kids is None:
            raise _Conflict()
        try:
            return self.seq(b.kids, o.kids, t.kids, top=False)
        except _Conflict:
            if o.task is None:
                raise
            return self.markers([o], [t])

    def seq(self, B: list[_Node], O: list[_Node], T: list[_Node], *, top: bool) -> list[tuple]:
        out: list[tuple] = []
        for step in _diff3([n.key for n in B], [n.key for n in O], [n.key for n in T]):
            if step[0] == "stable":
                _, i, j, k = step
                out += self.node(B[i], O[j], T[k])
                continue
            (i0, i1), (j0, j1), (k0, k1) = step[1:]
            bs, os_, ts = B[i0:i1], O[j0:j1], T[k0:k1]
            tb, to, tt = _text(bs), _text(os_), _text(ts)
            if to == tt or tt == tb:
                out += self.emit(os_)
            elif to == tb:
                out += self.emit(ts)
            elif not bs and _stackable(os_, ts):
                out += self.emit(os_) + self.emit(ts)
            elif not bs and (pair := _same_new_unit(os_, ts)) is not None:
                out += self.seq([pair[0].kids[0]], pair[0].kids, pair[1].kids, top=False)
            elif not top:
                raise _Conflict()
            elif any(n.task is not None for n in bs + os_ + ts) and all(
                    n.task is not None or _is_blank(n) for n in bs + os_ + ts):
                out += self.markers(os_, ts)
            else:
                raise Unsafe(f"both sides changed the text around line {_line(B, i0)}"
                             " outside any task")
        return out


def _line(nodes: list[_Node], i: int) -> int:
    return (nodes[i].start if i < len(nodes) else (nodes[-1].end if nodes else 0)) + 1


def _stackable(ours: list[_Node], theirs: list[_Node]) -> bool:
    """Both sides inserted tasks, sections or entries (and blank lines) at
    one place, none of them on both sides: keep them all."""
    for n in ours + theirs:
        if not (n.task is not None or n.key[0] in "SE" or _is_blank(n)):
            return False
    keys_o = {n.key for n in ours if not _is_blank(n)}
    return not any(n.key in keys_o for n in theirs if not _is_blank(n))


def _same_new_unit(ours: list[_Node], theirs: list[_Node]) -> tuple[_Node, _Node] | None:
    """Both sides created the same unit (a log section under one task, with
    the same label line) with different contents: merge the two with the
    label line as their base, so that both sides' entries are kept."""
    if len(ours) != 1 or len(theirs) != 1:
        return None
    o, t = ours[0], theirs[0]
    if o.key != t.key or o.key[0] != "S" or o.kids is None or t.kids is None:
        return None
    if o.kids[0].lines != t.kids[0].lines:
        return None
    return o, t


# ----------------------------------------------------------------- entry

def merge(base: bytes, ours: bytes, theirs: bytes, *, marker_size: int = 7) -> MergeResult:
    """Merge three versions of a book.  Raises Unsafe (or BookFormatError for
    a file that is not a UTF-8 text) when only a line merge can do it."""
    if ours == theirs or base == theirs:
        return MergeResult(ours, 0)
    if base == ours:
        return MergeResult(theirs, 0)
    bb, bo, bt = parse(base), parse(ours), parse(theirs)
    vb = _Version(bb)
    vo = _Version(bo, match_tasks(bb, bo, loose=True))
    vt = _Version(bt, match_tasks(bb, bt, loose=True))
    eol = "\r\n" if bo.crlf else "\n"
    m = _Merger(eol, marker_size)
    try:
        out = m.seq(_top_units(vb), _top_units(vo), _top_units(vt), top=True)
    except _Conflict:
        raise Unsafe("a conflict outside any task") from None
    texts = [t for t, _, _ in out]
    for k in range(len(texts) - 1):
        if not texts[k].endswith("\n"):
            texts[k] += eol
    bom = bo.bom if bo.bom != bb.bom else bt.bom
    data = (b"\xef\xbb\xbf" if bom else b"") + "".join(texts).encode("utf-8")
    if m.conflicts == 0:
        _check(data, out)
    return MergeResult(data, m.conflicts)


def _check(data: bytes, out: list[tuple]) -> None:
    """The merged book must hold exactly the tasks written, where written."""
    got = Counter((t.line, t.title) for t in parse(data).all_tasks())
    want = Counter((i, title) for i, (_, title, _) in enumerate(out) if title is not None)
    if got != want:
        raise Unsafe("the merged book does not read back as the merged tasks")
    keys = Counter(key for _, _, key in out if key is not None)
    if keys and max(keys.values()) > 1:
        raise Unsafe("a task would appear twice in the merged book")
