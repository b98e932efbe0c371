"""How a book writes things, learned from the book itself.

Edits copy the book's habits instead of imposing taskbook's: which bullet,
which label (任务：/Task:), full-width or ASCII parentheses, status before or
after the title, which character means done in a checkbox, how deep sections
and their entries are indented, whether tasks are separated by blank lines.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from typing import Callable, TypeVar

from .model import Book, Dialect, Status, Task

T = TypeVar("T")


RECENT = 200   # top-level tasks whose habits are counted


class Style:
    """The book's habits, each learned the first time an edit asks for it
    (a log entry needs the section labels and indentation, not the bracket
    style of every status mark).  Habits are counted over the RECENT newest
    top-level tasks and what they hold, and over the whole book only when
    those show no sign of the habit: authors change habits, the newest tasks
    show the current ones, and a vote over 10,000 tasks would cost more than
    the edit."""

    def __init__(self, book: Book, language: str | None = None) -> None:
        self.book = book
        self.language = language or book.language

    @cached_property
    def tasks(self) -> list[Task]:
        return list(self.book.all_tasks())

    @cached_property
    def _recent_top(self) -> list[Task]:
        top = self.book.tasks
        return top[:RECENT] if self.book.newest_first else top[-RECENT:]

    @cached_property
    def _recent(self) -> list[Task]:
        return [t for top in self._recent_top for t in top.walk()]

    def _samples(self, top_level: bool = False):
        """The newest tasks, then (if they are not all) every task."""
        recent, every = ((self._recent_top, self.book.tasks) if top_level
                         else (self._recent, None))
        yield recent
        if top_level:
            if len(every) > len(recent):
                yield every
        elif len(self._recent_top) < len(self.book.tasks):
            yield self.tasks

    def _vote(self, count: Callable[[list[Task]], Counter], default: T,
              top_level: bool = False) -> T:
        """The most common answer `count(tasks)` (a Counter) finds in the
        newest tasks, else in all of them, else `default`."""
        for tasks in self._samples(top_level):
            c = count(tasks)
            if c:
                return c.most_common(1)[0][0]
        return default

    @cached_property
    def label(self) -> str:
        """The label as written by the top-level review tasks: "任务：", "Task: "."""
        return self._vote(lambda ts: Counter(_norm_label(t.form.label) for t in ts
                                             if t.form.dialect is Dialect.REVIEW and t.form.label),
                          "任务：" if self.language == "zh" else "Task: ", top_level=True)

    @cached_property
    def _marks(self) -> list[Task]:
        """Review tasks with a status word before or after the title."""
        for tasks in self._samples():
            marks = [t for t in tasks if t.form.dialect is Dialect.REVIEW and t.marker
                     and t.form.marker_pos in ("prefix", "suffix")]
            if marks:
                return marks
        return []

    @cached_property
    def fullwidth(self) -> bool:
        """（done） rather than (done)."""
        marks = self._marks
        if not marks:
            return self.language == "zh"
        return sum(1 for t in marks if t.marker.startswith("（")) * 2 >= len(marks)

    @cached_property
    def position(self) -> str:
        """Status words before ("prefix") or after ("suffix") the title."""
        pos = Counter(t.form.marker_pos for t in self._marks if t.form.label)
        return pos.most_common(1)[0][0] if pos else "prefix"

    @cached_property
    def prefix_gap(self) -> str:
        """"（done）任务" or "(done) 任务"."""
        gaps = Counter()
        for t in self._marks:
            if t.form.marker_pos == "prefix":
                line = self.book.line_text(t.line)
                end = t.form.marker_span[1]
                gaps[line[end:end + 1] == " "] += 1
        return " " if (gaps.most_common(1)[0][0] if gaps else not self.fullwidth) else ""

    def _box_char(self, status: Status, default: str) -> str:
        return self._vote(lambda ts: Counter(t.marker[1] for t in ts
                                             if t.status is status and t.marker and len(t.marker) == 3
                                             and t.form.dialect is Dialect.CHECKLIST), default)

    @cached_property
    def done_box(self) -> str:
        """The checkbox character the book uses for done: x, X, * ..."""
        return self._box_char(Status.DONE, "x")

    @cached_property
    def working_box(self) -> str:
        return self._box_char(Status.WORKING, "/")

    @cached_property
    def bullet(self) -> str:
        """The bullet of top-level tasks."""
        return self._vote(lambda ts: Counter(t.form.bullet for t in ts
                                             if t.form.bullet is not None and t.form.bullet in "-*+"),
                          "-", top_level=True)

    @cached_property
    def blank_between(self) -> bool:
        """Are top-level tasks separated by blank lines?"""
        for tasks in self._samples(top_level=True):
            vote = _blank_between(self.book, [t for t in tasks if t.form.bullet is not None])
            if vote is not None:
                return vote
        return self.book.dialect is Dialect.REVIEW

    def paren(self, word: str) -> str:
        return f"（{word}）" if self.fullwidth else f"({word})"


def _norm_label(label: str) -> str:
    return label.replace("**", "")


def _blank_between(book: Book, items: list[Task]) -> bool | None:
    """Are consecutive top-level tasks of one list separated by a blank line?
    None when no two of them show it."""
    votes = Counter()
    for a, b in zip(items, items[1:]):
        if a.form.nested or b.form.nested or a.group is not b.group:
            continue
        gap = [book.line_text(i) for i in range(a.end, b.line)]
        if any(s.strip() for s in gap):
            continue  # something else stands between them: not evidence
        votes[bool(gap)] += 1
    if not votes:
        return None
    return votes.most_common(1)[0][0]


def box_char(style: Style, status: Status) -> str:
    if status is Status.DONE:
        return style.done_box
    if status is Status.WORKING:
        return style.working_box
    return " "


