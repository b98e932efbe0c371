"""The book model: a task tree laid over the book's own source lines.

Like tomlkit and LibCST, the model never re-serialises: a Book keeps every
source line exactly as read (line ending included), and tasks, sections and
groups only point at line ranges.  `Book.render()` joins the lines, so an
unedited book writes back byte for byte, and an edit is a replacement of a
few lines followed by a fresh parse (see `taskbook.edit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum


class Status(str, Enum):
    TODO = "todo"
    PLANNED = "planned"      # plan written, waiting for review
    APPROVED = "approved"    # plan approved, not started
    WORKING = "working"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"
    UNKNOWN = "unknown"      # a marker taskbook does not know, kept verbatim

    @property
    def is_open(self) -> bool:
        return self not in _CLOSED


STATUSES = [s.value for s in Status]
_CLOSED = frozenset((Status.DONE, Status.DROPPED))


class Dialect(str, Enum):
    REVIEW = "review-tree"     # "- 任务：title", "（done）" marks (seed 000)
    CHECKLIST = "checklist"    # "- [ ] title" (seed 002)
    MARKED = "marked"          # "### title ✅" (seed 001)
    PLAIN = "plain"            # no tasks (seeds 003, 004)


class Entry:
    """One item of a section: a plan step, a log entry."""

    __slots__ = ("line", "text")

    def __init__(self, line: int, text: str) -> None:
        self.line = line
        self.text = text


class Section:
    """A labelled part of a task: analysis, plan, log, problems or next step."""

    __slots__ = ("kind", "label", "line", "end", "inline", "bullet", "text_pos", "nested",
                 "_item", "_book", "_spots", "_entries")

    def __init__(self, kind: str, label: str, line: int, end: int, inline: str,
                 item: object | None, book: "Book | None", bullet: str = "-",
                 text_pos: int = 0, nested: bool = False, spots: tuple | None = None) -> None:
        self.kind = kind        # analysis | plan | log | problems | next
        self.label = label      # as written in the book, e.g. "修改计划"
        self.line = line        # 0-based line of the label
        self.end = end          # exclusive
        self.inline = inline    # text after the label on its own line, if any
        self.bullet = bullet    # the label item's list marker: "-", "1." ...
        self.text_pos = text_pos  # where the label's text starts on its line
        self.nested = nested    # inside another section (seed 000's 分析)
        self._item = item       # the blocks.Item holding it (see `item`)
        self._book = book       # whose lines hold the entries (set once the Book exists)
        # where the entries' texts start, as (line after the section's line,
        # column) pairs: given by the cache, else read from the Item
        self._spots = spots
        self._entries: list[Entry] | None = None

    @property
    def item(self):
        """The blocks.Item holding the section.  A book read from the cache
        has none until an edit asks: then its region is scanned (`Pending`)."""
        it = self._item
        if it.__class__ is Pending:
            it = self._item = it.item_at(self.line, self.text_pos)
        return it

    @property
    def entries(self) -> list[Entry]:
        """The section's own items (plan steps, log entries), computed on demand."""
        e = self._entries
        if e is None:
            lines = self._book.lines
            base = self.line
            e = []
            for rel, pos in self.spots():
                text = lines[base + rel][pos:].strip()
                e.append(Entry(base + rel, text[:-1] if text.endswith("\r") else text))
            self._entries = e
        return e

    def spots(self) -> tuple:
        """(line after the section's line, column) of each entry's text."""
        if self._spots is not None:
            return self._spots
        item = self.item
        if item is None:
            return ()
        base = self.line
        return tuple((c.start - base, c.text_pos) for c in item.children)


class Pending:
    """Stands for the blocks.Items of one top-level region of a book that was
    loaded from the cache (`taskbook.cache`), which keeps the task tree but
    not the ~10 Items per task.  The region (a top-level list item) is scanned
    on its own the first time an edit needs one of its Items; CommonMark gives
    a top-level item the same inner structure wherever it stands."""

    __slots__ = ("book", "start", "end", "_index")

    def __init__(self, book: "Book", start: int, end: int) -> None:
        self.book = book
        self.start = start
        self.end = end
        self._index: dict | None = None

    def item_at(self, line: int, text_pos: int):
        if self._index is None:
            from .parse.blocks import scan
            start = self.start
            # without line endings, as the parser scans them (a book may mix them)
            lines = [s[:-1] if s.endswith("\r") else s for s in self.book.lines[start:self.end]]
            index = {}
            for it in scan(lines).items:
                it.start += start
                it.end += start
                index[(it.start, it.text_pos)] = it
            self._index = index
        return self._index.get((line, text_pos))


class Group:
    """A heading that is not a task; it groups the tasks below it."""

    __slots__ = ("title", "level", "line", "end", "parent")

    def __init__(self, title: str, level: int, line: int, end: int,
                 parent: Group | None = None) -> None:
        self.title = title
        self.level = level
        self.line = line
        self.end = end
        self.parent = parent

    @property
    def path(self) -> str:
        parts = []
        g: Group | None = self
        while g is not None:
            parts.append(g.title)
            g = g.parent
        return " / ".join(reversed(parts))


class Note:
    """A top-level list item that is not a task (seed 000's "- context提示")."""

    __slots__ = ("title", "line", "end")

    def __init__(self, title: str, line: int, end: int) -> None:
        self.title = title
        self.line = line
        self.end = end


class Form:
    """How a task's line is written, so edits can write in the same style.

    Spans are character offsets into the task's line (without its ending).
    """

    __slots__ = ("dialect", "kind", "prefix_end", "marker_span", "marker_pos",
                 "title_span", "label", "struck", "tag_span", "bullet", "nested")

    def __init__(self, dialect: Dialect, kind: str, prefix_end: int,
                 marker_span: tuple[int, int] | None, marker_pos: str | None,
                 title_span: tuple[int, int], label: str | None = None,
                 struck: bool = False, tag_span: tuple[int, int] | None = None,
                 bullet: str | None = None, nested: bool = False) -> None:
        self.dialect = dialect
        self.kind = kind                # "item" or "heading"
        self.prefix_end = prefix_end    # end of indentation + bullet ("- ", "### ")
        self.marker_span = marker_span
        self.marker_pos = marker_pos    # "prefix" | "suffix" | "box" | None
        self.title_span = title_span
        self.label = label              # "任务：" / "Task: " as written (review tree)
        self.struck = struck            # the whole title is ~~struck~~
        # a status word after a box or emoji: "- [ ] title (planned)"
        self.tag_span = tag_span
        self.bullet = bullet            # list marker of an item task: "-", "*", "3." ...
        self.nested = nested            # the item sits inside another list item


class Task:
    """A task: its title line, status, sections and sub-tasks.

    `form` and `sections` may arrive from the cache (`taskbook.cache`) as a
    pair (maker, raw): `maker(task, raw)` builds them the first time they are
    read, so listing 10,000 cached tasks builds no objects nobody looks at.
    """

    __slots__ = ("id", "title", "status", "marker", "line", "end", "depth", "_form",
                 "parent", "children", "_sections", "group", "_item", "level")

    def __init__(self, id: str, title: str, status: Status, marker: str | None,
                 line: int, end: int, depth: int, form: Form | tuple, item: object | None = None,
                 level: int = 0, sections: list[Section] | tuple | None = None) -> None:
        self.id = id
        self.title = title
        self.status = status
        self.marker = marker            # raw status text as written, or None
        self.line = line                # 0-based line of the task's title
        self.end = end                  # exclusive end of everything it holds
        self.depth = depth
        self._form = form
        self.parent: Task | None = None
        self.children: list[Task] = []
        self._sections = [] if sections is None else sections
        self.group: Group | None = None
        self._item = item               # blocks.Item for list tasks (see `item`)
        self.level = level              # heading level for heading tasks

    @property
    def form(self) -> Form:
        f = self._form
        if f.__class__ is tuple:  # (maker, raw) from the cache
            f = self._form = f[0](self, f[1])
        return f

    @property
    def sections(self) -> list[Section]:
        s = self._sections
        if s.__class__ is tuple:  # (maker, raw) from the cache
            s = self._sections = s[0](self, s[1])
        return s

    @property
    def item(self):
        """The blocks.Item of a list task, None for a heading task (a book
        loaded from the cache scans the task's region on first use)."""
        it = self._item
        if it.__class__ is Pending:
            it = self._item = it.item_at(self.line, self.form.prefix_end)
        return it

    @property
    def is_item(self) -> bool:
        """A list item task (not a heading), known without scanning."""
        return self._item is not None

    def root_span(self) -> tuple[int, int] | None:
        """Lines [start, end) of the top-level list item holding this task
        (None for a heading task), without scanning anything."""
        it = self._item
        if it is None:
            return None
        if it.__class__ is Pending:
            return it.start, it.end
        while it.parent is not None:
            it = it.parent
        return it.start, it.end

    def __repr__(self) -> str:
        return f"Task({self.id!r}, {self.title!r}, {self.status.value})"

    def section(self, kind: str) -> Section | None:
        for s in self.sections:
            if s.kind == kind:
                return s
        return None

    def walk(self) -> Iterator[Task]:
        """This task and all below it, depth first, without recursion."""
        stack = [self]
        while stack:
            t = stack.pop()
            yield t
            if t.children:
                stack.extend(reversed(t.children))

    @property
    def open_children(self) -> list["Task"]:
        return [c for c in self.children if c.status.is_open]


class Book:
    """A parsed book: the exact source lines plus the tree found in them.

    `lines` is the text split on "\\n": each element keeps everything else,
    including the "\\r" of a CRLF ending, and the last element is "" when the
    text ends with a newline.  Joining with "\\n" gives the text back exactly.
    """

    def __init__(self, lines: list[str] | None, bom: bool, dialect: Dialect, language: str,
                 newest_first: bool, tasks: list[Task], groups: list[Group],
                 notes: list[Note], preamble_end: int, source: bytes | None = None) -> None:
        # a book read from the cache decodes its text only when asked
        self._lines = lines
        self._source = source               # UTF-8 text without the BOM
        self.bom = bom
        self.dialect = dialect
        self.language = language            # "zh" or "en"
        self.newest_first = newest_first
        self.tasks = tasks                  # top-level tasks in document order
        self.groups = groups
        self.notes = notes
        self.preamble_end = preamble_end    # lines before the first task/heading/note
        self.by_id: dict[str, Task] = {}
        # what the parser decided the book-wide facts from, so that a local
        # re-parse (`parse.incremental`) can decide them again
        self.counts = (0, 0, 0)     # tasks per dialect: review, checklist, marked
        self.labelled = -1          # line of the first task with a label (任务：), or -1
        self.emoji = True           # the text may hold status emoji
        self.reordered = False      # config `order` overrode the parser's (store.set_order)

    @property
    def lines(self) -> list[str]:
        lines = self._lines
        if lines is None:
            lines = self._lines = self._source.decode("utf-8").split("\n")
            self._source = None
        return lines

    def render(self) -> bytes:
        data = "\n".join(self.lines).encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.bom else data

    def all_tasks(self) -> Iterator[Task]:
        for t in self.tasks:
            yield from t.walk()

    def line_text(self, i: int) -> str:
        """Line i without its line ending."""
        s = self.lines[i]
        return s[:-1] if s.endswith("\r") else s

    @property
    def line_count(self) -> int:
        n = len(self.lines)
        return n - 1 if n and self.lines[-1] == "" else n

    @property
    def crlf(self) -> bool:
        """Does the book end its lines with CRLF (judged by its first line)?"""
        return len(self.lines) > 1 and self.lines[0].endswith("\r")
