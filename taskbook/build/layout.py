"""Where a build's changes go in the book: every one planned against the book
as read, all written in one pass.

Why: a build may report 50,000 diagnostics.  Editing the book once per
diagnostic (copy the text, parse it again, look the task up again) makes a
sync quadratic; here each change is a splice of the original lines, and
`Plan.render()` joins them in one linear pass.

The form of a new task is not written out here a second time: it is learned
from `taskbook.edit` itself.  `edit.add_task` and `edit.add_log` run a few
times on the real book with placeholder titles (a `Chain` of examples, each
parsed and checked as any edit is); the lines they wrote show where a new task
goes, what it looks like in this book (dialect, label, bullet, numbering,
indentation, blank lines), and how the next one stacks onto it -- above it in
a newest-first book, below it in the others, numbered on.  Every further task
is the last example with its own title and entry (`Stack`).  Sub-tasks are
learned the same way under an example parent, or, for a parent the book
already has, on that parent's own top-level item parsed alone (`scratch`).

Existing tasks change line by line: `edit.status_line` gives a task's new
status line, and a log entry is written like the entry above it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .. import edit as ed
from ..model import Book, Dialect, Status, Task
from ..parse import parse_text
from ..style import Style

_DIGITS = re.compile(r"(\d+)")
LOG, MEMBERS, TOP = 0, 1, 2     # order of insertions at one place: a task's own log
                                # entry, then sub-tasks after it, then new top-level tasks


class LayoutError(ed.EditError):
    """The new tasks could not be laid out the way the examples showed."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the build's tasks could not be written: {what}; the book is unchanged",
                         hint="please report this with a copy of the book")


@dataclass
class Item:
    """A task to add: its title, its first log entry, and its own sub-tasks."""

    title: str
    entry: str | None = None
    members: list[Item] = field(default_factory=list)


class Placeholders:
    """Titles and entries for the examples: letters only (digits are counters),
    found nowhere in the book."""

    def __init__(self, text: str) -> None:
        stem = "Tbxq"
        while stem in text:
            stem += "z"
        self.stem = stem

    def title(self, kind: str, k: int) -> str:
        return f"{self.stem}{kind}T{chr(65 + k)}"

    def entry(self, kind: str, k: int) -> str:
        return f"{self.stem}{kind}E{chr(65 + k)}"


# ------------------------------------------------------------------ examples

@dataclass
class Example:
    """What one example wrote: `lines` inserted before line `at`; its task's
    line is `at + task_off`."""

    at: int
    lines: list[str]
    task_off: int


def task_at(book: Book, line: int) -> Task | None:
    """The task whose title is on `line` (a bisection, then one subtree)."""
    top = book.tasks
    i = bisect_right(top, line, key=lambda t: t.line) - 1
    if i < 0:
        return None
    for t in top[i].walk():
        if t.line == line:
            return t
    return None


def inserted(before: list[str], after: list[str]) -> tuple[int, list[str]]:
    """The lines an edit inserted, placed as early as the text allows."""
    n, k = len(before), len(after) - len(before)
    s = 0
    while s < n and before[n - 1 - s] == after[n - 1 - s + k]:
        s += 1
    at = n - s
    if k <= 0 or before[:at] != after[:at]:
        raise LayoutError("an example edit changed lines it should only have added to")
    return at, after[at:at + k]


class Chain:
    """Real edits run one after another on a book (each result parsed and
    checked, and the next one made on it): the examples new tasks follow.
    `dialect` is the config's for a book that has no tasks yet."""

    def __init__(self, book: Book, language: str, stamp: str | None, order: str | None,
                 dialect: Dialect | None = None) -> None:
        self.book = book
        self.language = language
        self.stamp = stamp
        self.order = order
        self.dialect = dialect

    def add(self, title: str, entry: str | None, under: int | None = None) -> Example:
        """A task titled `title` (under the task on line `under`), with `entry` in its log."""
        book = self.book
        before = book.lines
        parent = task_at(book, under) if under is not None else None
        if under is not None and parent is None:
            raise LayoutError("the example's parent task was not found")
        change = ed.add_task(book, title, under=parent, style=Style(book, self.language),
                             dialect=self.dialect)
        span = change.inserted or (0, 0)
        found: list[Task] = []

        def landed(b: Book) -> str | None:
            hit = [t for t in (task_at(b, i) for i in range(*span)) if t and t.title == title]
            found.extend(hit)
            return None if hit else "the example task is not where it was written"
        book = ed.apply(change, landed, self.order)
        line = found[0].line
        if entry is not None:
            change = ed.add_log(book, found[0], entry, stamp=self.stamp,
                                style=Style(book, self.language))

            def logged(b: Book) -> str | None:
                t = task_at(b, line)
                ok = t is not None and t.title == title and t.section("log") is not None
                return None if ok else "the example's log entry did not land on it"
            book = ed.apply(change, logged, self.order)
        self.book = book
        at, lines = inserted(before, book.lines)
        if not 0 <= line - at < len(lines):
            raise LayoutError("the example task lies outside the lines it inserted")
        return Example(at, lines, line - at)

    def log(self, line: int, entry: str) -> Example:
        """A log entry on the task on `line` (task_off: where that task stands)."""
        book = self.book
        before = book.lines
        task = task_at(book, line)
        if task is None:
            raise LayoutError("the task to log on was not found")
        title = task.title
        change = ed.add_log(book, task, entry, stamp=self.stamp, style=Style(book, self.language))

        def logged(b: Book) -> str | None:
            t = task_at(b, line)
            return None if t is not None and t.title == title else "the log entry moved its task"
        self.book = ed.apply(change, logged, self.order)
        at, lines = inserted(before, self.book.lines)
        return Example(at, lines, line - at)


# ------------------------------------------------------------------ stacking

class Stack:
    """How units (a task with its entry and its sub-tasks) pile up, learned
    from examples: the first unit, where the second went into it, and -- from
    the third -- whether each goes a fixed number of lines below the region's
    start (newest first) or above its end (oldest first), and what changes from
    one unit to the next (a running number: `3.`, `子问题3：`).  Placeholders
    stand where titles and entries go."""

    def __init__(self, examples: list[Example], ph: Placeholders, kind: str) -> None:
        self.ex = examples
        self.ph = ph
        self.kind = kind
        self.at = examples[0].at                 # the first unit, in the chain's lines
        self.rule: tuple[str, int] | None = None
        self._template: list[list] | None = None
        if len(examples) < 3:
            return
        size0 = len(examples[0].lines)
        size1 = size0 + len(examples[1].lines)
        i1 = examples[1].at - self.at
        i2 = examples[2].at - self.at
        if not (0 <= i1 <= size0 and 0 <= i2 <= size1):
            raise LayoutError("an example task did not go next to the one before")
        if i1 == i2:
            self.rule = ("start", i1)
        elif size0 - i1 == size1 - i2:
            self.rule = ("end", size0 - i1)
        else:
            raise LayoutError("the examples did not stack the same way twice")

    def _canon(self, k: int) -> list[str]:
        """Example k's lines with the placeholders of the last example."""
        last = len(self.ex) - 1
        t, e = self.ph.title(self.kind, k), self.ph.entry(self.kind, k)
        tl, el = self.ph.title(self.kind, last), self.ph.entry(self.kind, last)
        return [s.replace(t, tl).replace(e, el) for s in self.ex[k].lines]

    def _lines(self, j: int) -> tuple[list[str], int, int]:
        """Unit j's lines with placeholders, which example's they are, where its task is."""
        n = len(self.ex)
        if j < n:
            return self.ex[j].lines, j, self.ex[j].task_off
        if self._template is None:
            self._template = _counters(self._canon(n - 2), self._canon(n - 1))
        return _count(self._template, j - (n - 1)), n - 1, self.ex[-1].task_off

    def unit(self, j: int, item: Item, inner: list[str] | None, inner_off: int) -> list[str]:
        """Unit j (0-based) for `item`; `inner` goes `inner_off` lines below its task's line."""
        lines, k, off = self._lines(j)
        t, e = self.ph.title(self.kind, k), self.ph.entry(self.kind, k)
        out = [s.replace(t, item.title) if t in s else s for s in lines]
        if item.entry is not None:
            out = [s.replace(e, item.entry) if e in s else s for s in out]
        if inner:
            at = off + inner_off
            if not 0 < at <= len(out):
                raise LayoutError("sub-tasks would land outside their parent")
            out[at:at] = inner
        return out

    def build(self, items: list[Item], inner: list[list[str] | None] | None = None,
              inner_off: int = 0) -> list[str]:
        """All units, stacked as the examples stacked."""
        units = [self.unit(j, it, inner[j] if inner else None, inner_off)
                 for j, it in enumerate(items)]
        if len(units) <= 1:
            return units[0] if units else []
        if self.rule is None:
            raise LayoutError("several tasks but no example of how they stack")
        kind, c = self.rule
        first = units[0]
        cut = c if kind == "start" else len(first) - c
        out = first[:cut]
        for u in (reversed(units[1:]) if kind == "start" else units[1:]):
            out.extend(u)      # newest first: each above the one before; else below
        out.extend(first[cut:])
        return out


def _counters(a: list[str], b: list[str]) -> list[list]:
    """Unit b split at its digits; a number one more than in unit a is a
    running number (kept as a 1-tuple); any other difference is an error."""
    if len(a) != len(b):
        raise LayoutError("two example tasks differ in shape")
    out = []
    for sa, sb in zip(a, b):
        pa, pb = _DIGITS.split(sa), _DIGITS.split(sb)
        if len(pa) != len(pb):
            raise LayoutError("two example tasks differ in shape")
        parts: list = []
        for i, (x, y) in enumerate(zip(pa, pb)):
            if x == y:
                parts.append(y)
            elif i % 2 == 1 and int(y) == int(x) + 1:
                parts.append((int(y),))
            else:
                raise LayoutError("two example tasks differ in shape")
        out.append(parts)
    return out


def _count(template: list[list], step: int) -> list[str]:
    return ["".join(str(p[0] + step) if isinstance(p, tuple) else p for p in parts)
            for parts in template]


# ------------------------------------------------------------------ the plan

@dataclass(order=True)
class Splice:
    """Old lines [start, end) become `lines`.  At one place insertions come
    before the line replaced there, in the order of their `kind`."""

    start: int
    replaces: bool
    kind: int
    seq: int
    end: int = field(compare=False)
    lines: list[str] = field(compare=False)


def examples_for(count: int) -> int:
    """One example for one task; three to learn how several stack."""
    return 1 if count == 1 else 3


class Plan:
    """Every change of one sync as splices of the book's lines, rendered at once.

    Changes to tasks the book has (`status`, `log`, `members`) read the book
    as loaded; `top` runs its examples on a chain of edits starting from
    the book (edits never change the Book they start from)."""

    def __init__(self, book: Book, language: str, stamp: str | None, order: str | None,
                 dialect: Dialect | None = None) -> None:
        self.book = book
        self.bom = book.bom
        self.language = language
        self.stamp = stamp
        self.order = order
        self.dialect = dialect
        self.cr = "\r" if book.crlf else ""
        self.style = Style(book, language)
        lines = book.lines
        # a book without a final newline is planned as if it had one (an
        # insertion at its end then needs no special case) and given back without
        self.open_end = bool(lines) and book.line_count == len(lines)
        if self.open_end:
            lines = lines[:-1] + [lines[-1] + self.cr, ""]
        self.lines = lines
        self.splices: list[Splice] = []
        self.statuses: dict[int, Status] = {}
        self._ph: Placeholders | None = None

    @property
    def ph(self) -> Placeholders:
        if self._ph is None:    # only new tasks need them
            self._ph = Placeholders("\n".join(self.lines))
        return self._ph

    @property
    def changed(self) -> bool:
        return bool(self.splices)

    def _add(self, start: int, end: int, lines: list[str], kind: int) -> None:
        self.splices.append(Splice(start, end > start, kind, len(self.splices), end, lines))

    # -------------------------------------------------------- existing tasks

    def status(self, task: Task, status: Status) -> None:
        planned = self.statuses.get(task.line)
        if planned is status or (planned is None and task.status is status):
            return
        if planned is not None:
            raise LayoutError("one task was given two statuses")
        self.statuses[task.line] = status
        raw = self.book.lines[task.line]
        text = ed.status_line(self.book.line_text(task.line), task, status, self.style)
        self._add(task.line, task.line + 1, [text + ("\r" if raw.endswith("\r") else "")], LOG)

    def status_of(self, task: Task) -> Status:
        """The task's status once the plan is written."""
        return self.statuses.get(task.line, task.status)

    def log(self, task: Task, text: str) -> None:
        """A log entry, written like the entry above it (as edit.add_entries does)."""
        sec = task.section("log")
        if sec is None or not sec.entries:
            chain, base = self._scratch(task)      # no log yet: learn it from edit
            ex = chain.log(task.line - base, text)
            self._add(base + ex.at, base + ex.at, self._ended(ex.lines, chain), LOG)
            return
        last = sec.entries[-1]
        ind = ed.indent_of(self.book.line_text(last.line))
        body = f"{self.stamp} {text}" if self.stamp else text
        lines = ed.entry_lines(ind, [ed.next_bullet(last.bullet)], [body],
                               self.book.dialect is Dialect.MARKED)
        self._add(sec.end, sec.end, [s + self.cr for s in lines], LOG)

    # -------------------------------------------------------- new tasks

    def members(self, parent: Task, items: list[Item]) -> None:
        """Sub-tasks under a task the book already has (a build's group)."""
        if not items:
            return
        chain, base = self._scratch(parent)
        stack, off = self._learn_members(chain, parent.line - base, len(items))
        at = parent.line + off
        self._add(at, at, self._ended(stack.build(items), chain), MEMBERS)

    def top(self, items: list[Item]) -> None:
        """New top-level tasks, each with its entry and sub-tasks (all items
        have an entry, or none has)."""
        if not items:
            return
        book = self.book
        if self.open_end:   # the examples must see the book as planned here
            book = self._whole()
        chain = Chain(book, self.language, self.stamp, self.order, self.dialect)
        entries = items[0].entry is not None
        examples = [chain.add(self.ph.title("t", k), self.ph.entry("t", k) if entries else None)
                    for k in range(examples_for(len(items)))]
        stack = Stack(examples, self.ph, "t")
        inner, off = None, 0
        most = max(len(it.members) for it in items)
        if most:
            last = examples[-1]
            mstack, off = self._learn_members(chain, last.at + last.task_off, most)
            inner = [mstack.build(it.members) for it in items]
        self._add(stack.at, stack.at, stack.build(items, inner, off), TOP)

    def _learn_members(self, chain: Chain, anchor: int, count: int) -> tuple[Stack, int]:
        """Examples of sub-tasks under the task on line `anchor`; the stack
        and how far below that line it starts."""
        examples = [chain.add(self.ph.title("m", k), self.ph.entry("m", k), under=anchor)
                    for k in range(examples_for(count))]
        stack = Stack(examples, self.ph, "m")
        if stack.at <= anchor:
            raise LayoutError("sub-tasks went above their parent")
        return stack, stack.at - anchor

    def _scratch(self, task: Task) -> tuple[Chain, int]:
        """A chain on the top-level item holding `task`, parsed alone (line
        numbers relative to the returned base); on the whole book when the
        item does not read alone as it reads in place (a heading task)."""
        span = self.book.root_span(task)
        if span is not None:
            base, end = span
            lines = [s[:-1] if s.endswith("\r") else s for s in self.lines[base:end]]
            alone = parse_text("\n".join(lines + [""]))
            t = task_at(alone, task.line - base)
            if t is not None and t.title == task.title and t.status is task.status:
                return Chain(alone, self.language, self.stamp, None, self.dialect), base
        return Chain(self._whole(), self.language, self.stamp, self.order, self.dialect), 0

    def _whole(self) -> Book:
        """The planned-on lines parsed afresh (a book of its own for examples)."""
        book = parse_text("\n".join(self.lines), self.bom)
        if self.order is not None:
            from ..store import set_order
            set_order(book, self.order)
        return book

    def _ended(self, lines: list[str], chain: Chain) -> list[str]:
        """Lines learned on a scratch item get the real book's line ending."""
        if chain.book.crlf or not self.cr:
            return lines
        return [s + self.cr for s in lines]

    # -------------------------------------------------------- the text

    def render(self) -> str:
        out: list[str] = []
        pos = 0
        lines = self.lines
        for sp in sorted(self.splices):
            if sp.start < pos:
                raise LayoutError("two changes overlap")
            out.extend(lines[pos:sp.start])
            out.extend(sp.lines)
            pos = sp.end
        out.extend(lines[pos:])
        if self.open_end and out and out[-1] == "":
            out.pop()
            if self.cr and out[-1].endswith(self.cr):
                out[-1] = out[-1][:-len(self.cr)]
        return "\n".join(out)
