"""How a book writes things, learned from the book itself.

Edits copy the book's habits instead of imposing taskbook's: which bullet,
which label (任务：/Task:), full-width or ASCII parentheses, status before or
after the title, which character means done in a checkbox, how deep sections
and their entries are indented, whether tasks are separated by blank lines.
"""

from __future__ import annotations

from collections import Counter

from .model import Book, Dialect, Status, Task


class Style:
    def __init__(self, book: Book, language: str | None = None) -> None:
        self.book = book
        self.language = language or book.language
        tasks = list(book.all_tasks())
        self.tasks = tasks
        top = book.tasks
        review = [t for t in tasks if t.form.dialect is Dialect.REVIEW]
        boxes = [t for t in tasks if t.form.dialect is Dialect.CHECKLIST]

        # label as written by the top-level review tasks: "任务：", "Task: "
        labels = Counter(_norm_label(t.form.label) for t in review if t.form.label and t.depth == 0)
        zh = self.language == "zh"
        self.label = labels.most_common(1)[0][0] if labels else ("任务：" if zh else "Task: ")

        # status words: bracket style, position, gap ("（done）任务" vs "(done) 任务")
        marks = [t for t in review if t.marker and t.form.marker_pos in ("prefix", "suffix")]
        full = sum(1 for t in marks if t.marker.startswith("（"))
        self.fullwidth = full * 2 >= len(marks) if marks else zh
        pos = Counter(t.form.marker_pos for t in marks if t.form.label)
        self.position = pos.most_common(1)[0][0] if pos else "prefix"
        gaps = Counter()
        for t in marks:
            if t.form.marker_pos == "prefix":
                line = book.line_text(t.line)
                end = t.form.marker_span[1]
                gaps[line[end:end + 1] == " "] += 1
        self.prefix_gap = " " if (gaps.most_common(1)[0][0] if gaps else not self.fullwidth) else ""

        # checkbox characters actually used for done and working
        done_chars = Counter(t.marker[1] for t in boxes
                             if t.status is Status.DONE and t.marker and len(t.marker) == 3)
        self.done_box = done_chars.most_common(1)[0][0] if done_chars else "x"
        work_chars = Counter(t.marker[1] for t in boxes
                             if t.status is Status.WORKING and t.marker and len(t.marker) == 3)
        self.working_box = work_chars.most_common(1)[0][0] if work_chars else "/"

        # bullets and spacing of top-level tasks
        items = [t for t in top if t.form.bullet is not None]
        self.bullet = Counter(t.form.bullet for t in items if t.form.bullet in "-*+").most_common(1)
        self.bullet = self.bullet[0][0] if self.bullet else "-"
        self.blank_between = _blank_between(book, items)

    def paren(self, word: str) -> str:
        return f"（{word}）" if self.fullwidth else f"({word})"


def _norm_label(label: str) -> str:
    return label.replace("**", "")


def _blank_between(book: Book, items: list[Task]) -> bool:
    """Are consecutive top-level tasks of one list separated by a blank line?"""
    votes = Counter()
    for a, b in zip(items, items[1:]):
        if a.form.nested or b.form.nested or a.group is not b.group:
            continue
        gap = [book.line_text(i) for i in range(a.end, b.line)]
        if any(s.strip() for s in gap):
            continue  # something else stands between them: not evidence
        votes[bool(gap)] += 1
    if not votes:
        return book.dialect is Dialect.REVIEW
    return votes.most_common(1)[0][0]


def box_char(style: Style, status: Status) -> str:
    if status is Status.DONE:
        return style.done_box
    if status is Status.WORKING:
        return style.working_box
    return " "


