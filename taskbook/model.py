"""The book model: a task tree laid over the book's own source lines.

Like tomlkit and LibCST, the model never re-serialises: a Book keeps every
source line exactly as read (line ending included), and tasks, sections and
groups only point at line ranges.  `Book.render()` joins the lines, so an
unedited book writes back byte for byte, and an edit is a replacement of a
few lines followed by a fresh parse (see `taskbook.edit`).

Every field holds a plain value.  The objects are treated as immutable once
a Book is built: an edit makes a new Book (`edit.apply`), which may share the
objects it did not change with the Book it was made from.  The parse cache
(`taskbook.cache`) builds subclasses that fill some fields on first use;
they read the same.
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


_CLOSED = frozenset((Status.DONE, Status.DROPPED))


class Dialect(str, Enum):
    REVIEW = "review-tree"     # "- 任务：title", "（done）" marks (seed 000)
    CHECKLIST = "checklist"    # "- [ ] title" (seed 002)
    MARKED = "marked"          # "### title ✅" (seed 001)
    PLAIN = "plain"            # no tasks (seeds 003, 004)


class Entry:
    """One item of a section: a plan step, a log entry."""

    __slots__ = ("line", "end", "text", "bullet")

    def __init__(self, line: int, end: int, text: str, bullet: str = "-") -> None:
        self.line = line        # 0-based line of the item's marker
        self.end = end          # exclusive end of the item
        self.text = text        # the entry as written, without its marker
        self.bullet = bullet    # its list marker: "-", "*", "3." ...

    def shifted(self, d: int) -> Entry:
        """The same entry d lines further down."""
        return Entry(self.line + d, self.end + d, self.text, self.bullet)


class Section:
    """A labelled part of a task: analysis, plan, log, problems or next step."""

    __slots__ = ("kind", "label", "line", "end", "inline", "bullet", "text_pos", "nested",
                 "entries")

    def __init__(self, kind: str, label: str, line: int, end: int, inline: str,
                 bullet: str = "-", text_pos: int = 0, nested: bool = False,
                 entries: list[Entry] | None = None) -> None:
        self.kind = kind        # analysis | plan | log | problems | next
        self.label = label      # as written in the book, e.g. "修改计划"
        self.line = line        # 0-based line of the label
        self.end = end          # exclusive
        self.inline = inline    # text after the label on its own line, if any
        self.bullet = bullet    # the label item's list marker: "-", "1." ...
        self.text_pos = text_pos  # where the label's text starts on its line
        self.nested = nested    # inside another section (seed 000's 分析)
        # the label item's own items (plan steps, log entries, and the
        # sub-problems of a problems section), in document order
        self.entries: list[Entry] = [] if entries is None else entries

    def shifted(self, d: int) -> Section:
        """The same section d lines further down."""
        return Section(self.kind, self.label, self.line + d, self.end + d, self.inline,
                       self.bullet, self.text_pos, self.nested,
                       [e.shifted(d) for e in self.entries])


class Group:
    """A heading that is not a task; it groups the tasks below it."""

    __slots__ = ("title", "level", "line", "end", "parent")

    def __init__(self, title: str, level: int, line: int, end: int,
                 parent: Group | None = None) -> None:
        self.title = title
        self.level = level
        self.line = line
        self.end = end          # exclusive end of the text it heads
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
    """A task: its title line, status, sections and sub-tasks."""

    __slots__ = ("id", "title", "status", "marker", "line", "end", "depth", "form",
                 "parent", "children", "sections", "group", "level")

    def __init__(self, id: str, title: str, status: Status, marker: str | None,
                 line: int, end: int, depth: int, form: Form, level: int = 0,
                 sections: list[Section] | None = None) -> None:
        self.id = id
        self.title = title
        self.status = status
        self.marker = marker            # raw status text as written, or None
        self.line = line                # 0-based line of the task's title
        self.end = end                  # exclusive end of everything it holds
        self.depth = depth
        self.form = form
        self.parent: Task | None = None
        self.children: list[Task] = []
        self.sections: list[Section] = [] if sections is None else sections
        self.group: Group | None = None
        self.level = level              # heading level of a heading task, 0 for a list item

    def __repr__(self) -> str:
        return f"Task({self.id!r}, {self.title!r}, {self.status.value})"

    @property
    def is_item(self) -> bool:
        """A list item task (not a heading)."""
        return self.level == 0

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
    def open_children(self) -> list[Task]:
        return [c for c in self.children if c.status.is_open]

    def shifted(self, d: int) -> Task:
        """A copy d lines further down, without parent, children or group
        (the caller links the copies of a tree together)."""
        t = Task(self.id, self.title, self.status, self.marker, self.line + d, self.end + d,
                 self.depth, self.form, self.level,
                 [s.shifted(d) for s in self.sections] if d else self.sections)
        return t


class Book:
    """A parsed book: the exact source lines plus the tree found in them.

    `lines` is the text split on "\\n": each element keeps everything else,
    including the "\\r" of a CRLF ending, and the last element is "" when the
    text ends with a newline.  Joining with "\\n" gives the text back exactly.
    """

    def __init__(self, lines: list[str], bom: bool, dialect: Dialect, language: str,
                 newest_first: bool, tasks: list[Task], groups: list[Group],
                 notes: list[Note], preamble_end: int) -> None:
        self.lines = lines
        self.bom = bom
        self.dialect = dialect
        self.language = language            # "zh" or "en"
        self.newest_first = newest_first
        self.tasks = tasks                  # top-level tasks in document order
        self.groups = groups
        self.notes = notes
        self.preamble_end = preamble_end    # lines before the first task/heading/note
        self.by_id: dict[str, Task] = {}
        # spans [start, end) of the top-level list items, in order: the
        # regions a local re-parse (`parse.incremental`) works on
        self.top_items: list[tuple[int, int]] = []
        # what the parser decided the book-wide facts from, so that a local
        # re-parse can decide them again
        self.counts = (0, 0, 0)     # tasks per dialect: review, checklist, marked
        self.labelled = -1          # line of the first task with a label (任务：), or -1
        self.emoji = True           # the text may hold status emoji
        self.reordered = False      # config `order` overrode the parser's (store.set_order)

    def render(self) -> bytes:
        data = "\n".join(self.lines).encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.bom else data

    def all_tasks(self) -> Iterator[Task]:
        for t in self.tasks:
            yield from t.walk()

    def root_span(self, task: Task) -> tuple[int, int] | None:
        """Lines [start, end) of the top-level list item holding `task`
        (None for a heading task or a task outside any list item)."""
        from bisect import bisect_right
        i = bisect_right(self.top_items, (task.line, len(self.lines))) - 1
        if i >= 0:
            start, end = self.top_items[i]
            if start <= task.line < end:
                return start, end
        return None

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
