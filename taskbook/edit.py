"""Every change taskbook makes to a book, shared by the CLI, the board, the
MCP server and build sync (through `taskbook.actions`).

Each operation takes a parsed Book and returns a `Change`: the new lines and
where they differ from the Book's, which it leaves as it was.  It changes
only the lines of the task it touches, written in the book's own style (see
`style.Style`), and `apply()` parses the result (`Change.parse`) to check
that the edit did what it meant to before anything reaches the disk.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from .errors import TaskbookError, UsageError
from .markers import WRITE_EMOJI
from .model import Book, Dialect, Group, Status, Task
from .parse import parse_text
from .parse.verbatim import escape, message_lines
from .style import Style, box_char

SECTION_ORDER = ["analysis", "plan", "log", "problems", "next"]
SECTION_LABEL = {
    "zh": {"analysis": "分析", "plan": "修改计划", "log": "执行记录", "problems": "遇到的问题",
           "next": "下一步"},
    "en": {"analysis": "Analysis", "plan": "Plan", "log": "Log", "problems": "Problems met",
           "next": "Next step"},
}
TAGGED = (Status.PLANNED, Status.APPROVED, Status.BLOCKED)

Check = Callable[[Book], "str | None"]


class EditError(TaskbookError):
    """taskbook could not make the edit safely; nothing was written."""


# ----------------------------------------------------------------- plumbing

class Change:
    """An edit computed on a Book, as a value: the new lines, the Book they
    were computed from (`base`, never changed), and which lines differ:
    old lines [a, b) became new lines [a, a + k) (`span`).  `inserted` is
    the span of the new lines of the last insertion (where a new task is)."""

    __slots__ = ("base", "lines", "span", "inserted")

    def __init__(self, base: Book, lines: list[str], span: tuple[int, int, int],
                 inserted: tuple[int, int] | None = None) -> None:
        self.base = base
        self.lines = lines
        self.span = span
        self.inserted = inserted

    @classmethod
    def whole(cls, base: Book, text: str) -> "Change":
        """A change given as the whole new text (parsed whole, not locally)."""
        return cls(base, text.split("\n"), (0, 0, 0))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def data(self) -> bytes:
        """The bytes to write: the new text, with the base's BOM if it had one."""
        data = self.text.encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.base.bom else data

    def parse(self, order: str | None = None) -> Book:
        """The Book of the new text: re-parsed locally when the change stays
        inside one top-level list item (`parse.incremental`), else parsed
        whole; `order` is the config's (see `store.set_order`).  A new Book,
        which may share the objects the change did not touch with `base`."""
        new = None
        if self.span[2]:
            from .parse.incremental import reparse
            new = reparse(self.base, self.lines, *self.span)
        if new is None:
            new = parse_text(self.text, self.base.bom)
        if order is not None:
            from .store import set_order
            set_order(new, order)
        return new


class Draft:
    """The book's lines being edited; line endings follow the book.

    It remembers which lines changed, so the result can be re-parsed locally
    (`parse.incremental`) instead of as a whole.
    """

    def __init__(self, book: Book) -> None:
        self.book = book
        self.lines = list(book.lines)
        self.cr = "\r" if book.crlf else ""
        self.inserted: tuple[int, int] | None = None  # span of the last insert
        self._lo = len(self.lines)   # changed lines, in the new numbering
        self._hi = 0

    def text(self, i: int) -> str:
        s = self.lines[i]
        return s[:-1] if s.endswith("\r") else s

    def set(self, i: int, text: str) -> None:
        """Replace line i's text; the line keeps its own ending."""
        self.lines[i] = text + ("\r" if self.lines[i].endswith("\r") else "")
        self._touch(i, i + 1)

    def insert(self, at: int, texts: list[str]) -> None:
        """Insert whole lines before line `at` (at == line count appends)."""
        n = self.book.line_count
        if at > n:
            at = n
        new = [t + self.cr for t in texts]
        self.inserted = (at, at + len(texts))
        if self._hi > at:  # lines changed below the insertion move down
            self._hi += len(texts)
        if at == n and n == len(self.lines) and n > 0:
            # the book has no final newline: the old last line gets one,
            # the new last line goes without, as the book did
            last = self.lines[-1]
            self.lines[-1] = last + ("" if last.endswith("\r") else self.cr)
            new[-1] = new[-1][:-len(self.cr)] if self.cr else new[-1]
            self._touch(n - 1, n)
        self.lines[at:at] = new
        self._touch(at, at + len(texts))

    def _touch(self, lo: int, hi: int) -> None:
        self._lo = min(self._lo, lo)
        self._hi = max(self._hi, hi)

    def result(self) -> Change:
        lo, hi = self._lo, self._hi
        if hi < lo:  # nothing changed
            lo = hi = 0
        delta = len(self.lines) - len(self.book.lines)
        return Change(self.book, self.lines, (lo, hi - delta, hi - lo), self.inserted)


def apply(change: Change, check: Check, order: str | None = None) -> Book:
    """Parse the edited text and run `check(new_book)`; refuse on failure.
    `order` is the config's, applied as when the book was loaded."""
    new = change.parse(order)
    problem = check(new)
    if problem:
        raise EditError(f"the edit was not applied: {problem}; the book is unchanged",
                        hint="please report this with a copy of the book")
    return new


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def timestamp(fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.now().strftime(fmt)


# ------------------------------------------------------------------ status

def set_status(book: Book, task: Task, status: Status, style: Style | None = None) -> Change:
    style = style or Style(book)
    d = Draft(book)
    d.set(task.line, status_line(d.text(task.line), task, status, style))
    return d.result()


def status_line(line: str, task: Task, status: Status, style: Style) -> str:
    f = task.form
    if f.dialect is Dialect.REVIEW:
        return _review_line(line, task, status, style)
    if f.dialect is Dialect.CHECKLIST:
        return _box_line(line, task, status, style)
    return _mark_line(line, task, status, style)


def _review_line(line: str, task: Task, status: Status, style: Style) -> str:
    f = task.form
    # a labelled task needs no mark to be todo; a numbered sub-problem does
    word = None if (status is Status.TODO and f.label) else status.value
    if f.marker_span:
        a, b = f.marker_span
        if word is None:
            if f.marker_pos == "prefix":
                while b < len(line) and line[b] in " \t":
                    b += 1
            else:
                while a > 0 and line[a - 1] in " \t":
                    a -= 1
            return line[:a] + line[b:]
        full = line[a] == "（"
        return line[:a] + (f"（{word}）" if full else f"({word})") + line[b:]
    if word is None:
        return line
    mark = style.paren(word)
    if style.position == "suffix" and f.label:
        te = f.title_span[1]
        gap = "" if style.fullwidth else " "
        return line[:te] + gap + mark + line[te:]
    p = f.prefix_end
    return line[:p] + mark + style.prefix_gap + line[p:]


def _split_tag(line: str, task: Task) -> tuple[str, str, str]:
    """(before the title, title, after the title) with any status tag removed."""
    f = task.form
    ts, te = f.title_span
    after = line[te:]
    if f.tag_span and f.tag_span[0] >= te:
        a, b = f.tag_span
        after = line[te:a].rstrip(" \t") + line[b:]
    return line[:ts], line[ts:te], after


def _tag_for(status: Status) -> str:
    return f" ({status.value})" if status in TAGGED else ""


def _box_line(line: str, task: Task, status: Status, style: Style) -> str:
    f = task.form
    head, title, after = _split_tag(line, task)
    a, b = f.marker_span
    box = f"[{box_char(style, status)}]"
    before_box = head[:a]
    between = head[b:]
    box_struck = before_box.endswith("~~")
    if box_struck:  # "~~[*] title~~: note" - the strike covers box and title
        before_box = before_box[:-2]
        if after.startswith("~~"):
            after = after[2:]
        title_struck = True
    else:
        title_struck = title.startswith("~~") and title.endswith("~~") and len(title) > 4
        if title_struck:
            title = title[2:-2]
    if status is Status.DROPPED:
        title = f"~~{title}~~"
    if box_struck and status is Status.DROPPED:
        # keep the author's form: strike over box and title
        return f"{before_box}~~{box}{between}{title[2:-2]}~~{after}"
    return f"{before_box}{box}{between}{title}{_tag_for(status)}{after}"


def _mark_line(line: str, task: Task, status: Status, style: Style) -> str:
    f = task.form
    emoji = WRITE_EMOJI.get(status, WRITE_EMOJI[Status.TODO])
    tag = _tag_for(status)
    a, b = f.marker_span
    if f.tag_span:
        ta, tb = f.tag_span
        line = line[:ta].rstrip(" \t") + line[tb:]
    if f.marker_pos == "suffix":
        return line[:a] + emoji + tag + line[b:]
    # prefix mark: the tag goes after the title
    te = f.title_span[1]
    if f.tag_span and f.tag_span[0] < te:
        te = len(line[:f.tag_span[0]].rstrip(" \t"))
    return line[:a] + emoji + line[b:te] + tag + line[te:]


# -------------------------------------------------------------- sections

def section_label(style: Style, kind: str) -> str:
    """The label the book uses for this kind of section, else the default."""
    for t in style.tasks:
        s = t.section(kind)
        if s is not None:
            return s.label
    return SECTION_LABEL["zh" if style.language == "zh" else "en"][kind]


def _colon(style: Style) -> str:
    return "：" if style.language == "zh" else ":"


def _content_col(task: Task) -> int:
    """Where the task's own content starts (0 for a heading task)."""
    return task.form.prefix_end if task.is_item else 0


def next_bullet(bullet: str) -> str:
    """The marker of the item after one marked `bullet`: "3." -> "4."."""
    if bullet[-1:] in (".", ")") and bullet[:-1].isdigit():
        return f"{int(bullet[:-1]) + 1}{bullet[-1]}"
    return bullet


def _numbered(bullet: str) -> bool:
    return bullet[-1:] in (".", ")") and bullet[:-1].isdigit()


def _entry_offset(style: Style, section_col: int | None = None, near: Task | None = None) -> int:
    """How far entries sit right of their section's text (seed 000: 2).

    Taken from the task being edited if it has a section with entries, else
    from the newest task with one at the same indentation (authors change
    habits; the newest tasks show the current one), else from any section.
    """
    book = style.book
    tasks = style.tasks[::-1] if not book.newest_first else style.tasks
    if near is not None:
        tasks = [near] + tasks
    fallback = None
    for t in tasks:
        for s in t.sections:
            entries = s.entries
            if not entries:
                continue
            sec_line = book.line_text(s.line)
            if "\t" in sec_line:
                continue
            off = len(indent_of(book.line_text(entries[0].line))) - s.text_pos
            if not 0 <= off <= 3:
                continue
            if t is near or section_col is None or len(indent_of(sec_line)) == section_col:
                return off
            if fallback is None:
                fallback = off
    return fallback or 0


def add_entries(book: Book, task: Task, kind: str, texts: list[str], *, numbered: bool,
                style: Style | None = None) -> Change:
    """Append entries to a section of the task, creating the section if needed."""
    style = style or Style(book)
    d = Draft(book)
    sec = task.section(kind)
    if sec is not None:
        kids = sec.entries
        if kids:
            last = kids[-1]
            ind = indent_of(d.text(last.line))
            markers = []
            bullet = last.bullet
            for _ in texts:
                bullet = next_bullet(bullet)
                markers.append(bullet)
        else:
            sec_col = len(indent_of(d.text(sec.line)))
            ind = " " * (sec.text_pos + _entry_offset(style, sec_col, task))
            markers = ([f"{k + 1}." for k in range(len(texts))] if numbered else ["-"] * len(texts))
        d.insert(sec.end, entry_lines(ind, markers, texts, book.dialect is Dialect.MARKED))
        return d.result()
    # a new section: after the sections that come before it, or at the end
    col = _content_col(task)
    label = section_label(style, kind)
    sec_ind = " " * col
    bullet = _section_bullet(style)
    ind = " " * (col + len(bullet) + 1 + _entry_offset(style, col, task))
    markers = [f"{k + 1}." for k in range(len(texts))] if numbered else ["-"] * len(texts)
    at = _section_position(task, kind)
    lines = [f"{sec_ind}{bullet} {label}{_colon(style)}"] + entry_lines(
        ind, markers, texts, book.dialect is Dialect.MARKED)
    d.insert(at, lines)
    return d.result()


def entry_lines(ind: str, markers: list[str], texts: list[str], emoji: bool = False) -> list[str]:
    """Each text as one list item: its first line after the marker, its other
    lines indented under it, each escaped where it would read as structure
    (`parse.verbatim`): plan steps and log entries are never tasks, sections
    or headings (sub-problems are added with `add --under`)."""
    out = []
    for m, t in zip(markers, texts):
        parts = message_lines(t)
        out.append(f"{ind}{m} {escape(parts[0], first=True, ordered=m[-1] in '.)', emoji=emoji)}")
        cont = ind + " " * (len(m) + 1)
        out.extend(cont + escape(p) if p.strip() else "" for p in parts[1:])
    return out


def _section_bullet(style: Style) -> str:
    for t in style.tasks:
        for s in t.sections:
            if s.bullet in ("-", "*", "+"):
                return s.bullet
    return "-"


def _section_position(task: Task, kind: str) -> int:
    """Insert a new section before the first one that should follow it."""
    rank = SECTION_ORDER.index(kind)
    own = [s for s in task.sections if not s.nested]
    for s in own:
        if SECTION_ORDER.index(s.kind) > rank:
            return s.line
    return task.end


def add_plan(book: Book, task: Task, steps: list[str], style: Style | None = None) -> Change:
    return add_entries(book, task, "plan", steps, numbered=True, style=style)


def add_log(book: Book, task: Task, message: str, *, stamp: str | None = None,
            style: Style | None = None) -> Change:
    text = f"{stamp} {message}" if stamp else message
    return add_entries(book, task, "log", [text], numbered=False, style=style)


# ---------------------------------------------------------------- adding

def _line_for(style: Style, dialect: Dialect, title: str, bullet: str, *, sub: int = 0) -> str:
    if dialect is Dialect.CHECKLIST:
        return f"{bullet} [ ] {title}"
    if dialect is Dialect.MARKED:
        return f"{bullet} {title} {WRITE_EMOJI[Status.TODO]}"
    if sub:
        label = f"子问题{sub}：" if style.language == "zh" else f"Sub-problem {sub}: "
        return f"{bullet} {label}{title}"
    return f"{bullet} {style.label}{title}"


def add_task(book: Book, title: str, *, under: Task | None = None, group: Group | None = None,
             dialect: Dialect | None = None, style: Style | None = None) -> Change:
    """Add a task where the book's own order puts it.  The change's
    `inserted` span holds the new task's line."""
    title = " ".join(title.split())
    if not title:
        raise UsageError("a task needs a title")
    style = style or Style(book)
    d = Draft(book)
    change = _add(book, d, title, under, group, dialect, style)
    if change.inserted is None:
        change.inserted = (0, 0)
    return change


def _add(book: Book, d: Draft, title: str, under: Task | None, group: Group | None,
         dialect: Dialect | None, style: Style) -> Change:
    if under is not None:
        return _add_sub(book, d, title, under, style)
    kind = dialect or (book.dialect if book.dialect is not Dialect.PLAIN else Dialect.REVIEW)
    top = [t for t in book.tasks if t.is_item or kind is Dialect.MARKED]
    if group is not None:
        inside = [t for t in top if g_contains(group, t)]
        if inside:
            _insert_after(d, book, inside[-1], style, title, kind)
        else:
            d.insert(_after_heading(book, group), ["", _line_for(style, kind, title, style.bullet)])
        return d.result()
    if not top:
        # first task of the book: after the preamble and notes, at the end
        at = book.line_count
        while at > 0 and not book.line_text(at - 1).strip():
            at -= 1
        lines = [_line_for(style, kind, title, style.bullet)]
        if at > 0:
            lines = [""] + lines
        d.insert(at, lines)
        return d.result()
    if book.newest_first:
        ref = top[0]
        ind = indent_of(book.line_text(ref.line))
        bullet = ref.form.bullet if ref.is_item and not _numbered(ref.form.bullet) else style.bullet
        line = _ref_line(style, ref, kind, title, ind, bullet)
        d.insert(ref.line, [line, ""] if style.blank_between else [line])
    else:
        _insert_after(d, book, top[-1], style, title, kind)
    return d.result()


def _ref_line(style: Style, ref: Task, kind: Dialect, title: str, ind: str, bullet: str) -> str:
    if not ref.is_item:  # a heading task: a heading of the same level
        return f"{'#' * ref.level} {title} {WRITE_EMOJI[Status.TODO]}"
    return ind + _line_for(style, ref.form.dialect if kind is ref.form.dialect else kind, title, bullet)


def _insert_after(d: Draft, book: Book, ref: Task, style: Style, title: str, kind: Dialect) -> None:
    ind = indent_of(book.line_text(ref.line))
    bullet = next_bullet(ref.form.bullet) if ref.is_item else style.bullet
    line = _ref_line(style, ref, kind, title, ind, bullet)
    blank = style.blank_between or not ref.is_item
    d.insert(ref.end, ["", line] if blank else [line])


def _after_heading(book: Book, group: Group) -> int:
    """The line after a heading (two lines for a setext heading)."""
    at = group.line + 1
    if at < book.line_count and not book.line_text(group.line).lstrip().startswith("#"):
        underline = book.line_text(at).strip()
        if underline and set(underline) <= {"=", "-"}:
            at += 1
    return min(at, book.line_count)


def g_contains(group: Group, task: Task) -> bool:
    g = task.group
    while g is not None:
        if g is group:
            return True
        g = g.parent
    return False


def _add_sub(book: Book, d: Draft, title: str, parent: Task, style: Style) -> Change:
    kids = parent.children
    if parent.form.dialect is Dialect.REVIEW and parent.is_item:
        # seed 000 records problems met as "- 子问题N：…" under 遇到的问题
        n = len(kids) + 1
        sec = parent.section("problems")
        label = f"子问题{n}：" if style.language == "zh" else f"Sub-problem {n}: "
        if sec is not None:
            if sec.entries:
                last = sec.entries[-1]
                ind = indent_of(d.text(last.line))
                bullet = next_bullet(last.bullet)
            else:
                ind = " " * (sec.text_pos + _entry_offset(style, len(indent_of(d.text(sec.line))), parent))
                bullet = "-"
            d.insert(sec.end, [f"{ind}{bullet} {label}{title}"])
            return d.result()
        col = _content_col(parent)
        sec_label = section_label(style, "problems")
        bullet = _section_bullet(style)
        ind = " " * (col + len(bullet) + 1 + _entry_offset(style, col, parent))
        d.insert(parent.end, [f"{' ' * col}{bullet} {sec_label}{_colon(style)}",
                              f"{ind}- {label}{title}"])
        return d.result()
    if kids and kids[-1].is_item:
        last = kids[-1]
        ind = indent_of(book.line_text(last.line))
        bullet = next_bullet(last.form.bullet)
        d.insert(last.end, [ind + _line_for(style, last.form.dialect, title, bullet)])
        return d.result()
    dialect = parent.form.dialect if parent.form.dialect is not Dialect.REVIEW else Dialect.CHECKLIST
    if parent.is_item:
        ind = " " * _content_col(parent)
        d.insert(parent.end, [ind + _line_for(style, dialect, title, "-")])
    else:  # heading task: a list item at the end of its text
        at = parent.end
        d.insert(at, ["", _line_for(style, dialect, title, "-")]
                 if book.line_text(at - 1).strip() and not _is_item_line(book.line_text(at - 1))
                 else [_line_for(style, dialect, title, "-")])
    return d.result()


_ITEM_LINE = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")


def _is_item_line(s: str) -> bool:
    return _ITEM_LINE.match(s) is not None
