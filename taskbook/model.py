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
        return self not in (Status.DONE, Status.DROPPED)


STATUSES = [s.value for s in Status]


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

    __slots__ = ("kind", "label", "line", "end", "inline", "item", "_lines")

    def __init__(self, kind: str, label: str, line: int, end: int, inline: str,
                 item: object | None, lines: list[str]) -> None:
        self.kind = kind        # analysis | plan | log | problems | next
        self.label = label      # as written in the book, e.g. "修改计划"
        self.line = line        # 0-based line of the label
        self.end = end          # exclusive
        self.inline = inline    # text after the label on its own line, if any
        self.item = item        # the blocks.Item holding it
        self._lines = lines

    @property
    def entries(self) -> list[Entry]:
        """The section's own items (plan steps, log entries), computed on demand."""
        if self.item is None:
            return []
        out = []
        for c in self.item.children:
            text = self._lines[c.start][c.text_pos:].strip()
            out.append(Entry(c.start, text[:-1] if text.endswith("\r") else text))
        return out


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
                 "title_span", "label", "struck", "tag_span")

    def __init__(self, dialect: Dialect, kind: str, prefix_end: int,
                 marker_span: tuple[int, int] | None, marker_pos: str | None,
                 title_span: tuple[int, int], label: str | None = None,
                 struck: bool = False, tag_span: tuple[int, int] | None = None) -> None:
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


class Task:
    """A task: its title line, status, sections and sub-tasks."""

    __slots__ = ("id", "title", "status", "marker", "line", "end", "depth", "form",
                 "parent", "children", "sections", "group", "item", "level")

    def __init__(self, id: str, title: str, status: Status, marker: str | None,
                 line: int, end: int, depth: int, form: Form, item: object | None = None,
                 level: int = 0) -> None:
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
        self.sections: list[Section] = []
        self.group: Group | None = None
        self.item = item                # blocks.Item for list tasks
        self.level = level              # heading level for heading tasks

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
