"""`taskbook check`: what in a book taskbook cannot read, or reads as wrong.

A book is written by hand, by people and by agents, so a typo silently turns
a task into prose (`- [ ]x`, `-[ ] foo`, `- 任务 foo`) and the task vanishes
from `list` and `next`.  This module finds those lines and the tree-level
mistakes a reviewer would want to hear about before a commit:

* ``unreadable-task``   a line that looks like a task but is not one
  (the exact patterns are RULES below, each with its fix);
* ``done-with-open-subproblems``  a task marked done while a sub-problem is open;
* ``missing-plan``      a working or approved task without a plan section;
* ``duplicate-address`` tasks sharing a title, told apart only by ``-2``.

Code blocks, HTML blocks and comments, tables and block quotes are content,
never tasks, and are never flagged.  Nothing here prints or writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .markers import BOX_CHARS, BOX_WORDS, paren_status
from .model import Book, Status
from .parse.address import base_address
from .parse.blocks import scan

KINDS = ("unreadable-task", "done-with-open-subproblems", "missing-plan", "duplicate-address")


@dataclass
class Finding:
    line: int                 # 1-based
    kind: str                 # one of KINDS
    message: str
    id: str | None = None     # the task concerned, when there is one
    text: str | None = None   # the line as written (unreadable-task)

    def to_json(self) -> dict:
        d = {"line": self.line, "kind": self.kind, "message": self.message}
        if self.id is not None:
            d["id"] = self.id
        if self.text is not None:
            d["text"] = self.text
        return d


# ------------------------------------------------------- unreadable lines

_BOX = "".join(re.escape(c) for c in BOX_CHARS)
_ZH_LABEL = r"任务|子任务[0-9０-９]*|子问题[0-9０-９]*"
_EN_LABEL = r"Task|Sub-?(?:task|problem)(?:[ \t]*[0-9]+)?"
_LABEL = rf"(?:\*\*)?(?:{_ZH_LABEL}|{_EN_LABEL})(?:\*\*)?"

# Each rule: a name, a regex matched at the start of a list item's text, the
# explanation shown to the user, and whether it is about a task label (label
# rules are skipped inside sections, where such words are prose).  Order
# matters: the first match wins.
RULES: list[tuple[str, re.Pattern, str, bool]] = [
    ("box-without-space",
     re.compile(rf"(?:~~)?\[[{_BOX}]\](?![ \t*(\[:]|$)"),
     "checkbox followed directly by text: put a space after it (`- [ ] title`)", False),
    ("malformed-box",
     re.compile(r"\[(?:| {2,}|[ \t]+[xX][ \t]*|[xX][ \t]+)\](?=[ \t]|$)"),
     "malformed checkbox: write `[ ]` (one space) or `[x]`", False),
    ("lower-case-box-word",
     re.compile(r"\[(?:" + "|".join(w.lower() for w in BOX_WORDS) + r")\](?=[ \t]|$)"),
     "bracketed status word in lower case: write `[ ]`/`[x]`, or the word in capitals (`[DONE]`)",
     False),
    ("label-without-colon",
     re.compile(rf"(?:[(（][^()（）\n]{{1,24}}[)）][ \t]*)?(?:\*\*)?(?:{_ZH_LABEL})(?:\*\*)?"
                r"(?:[ \t]+|[；;，,、.\-—])(?=\S)"),
     "task label without a colon: write `任务：title`", True),
    ("numbered-label",
     re.compile(r"(?:[(（][^()（）\n]{1,24}[)）][ \t]*)?(?:\*\*)?(?:任务[0-9０-９一二三四五六七八九十]+"
                r"|Task[ \t]*[0-9]+)(?:\*\*)?[ \t]*[：:]"),
     "numbered task label is not read: write `任务：title` / `Task: title` "
     "(sub-problems: `子问题1：`, `Subtask 1:`)", True),
    ("en-label-without-colon",
     re.compile(rf"(?:[(（][^()（）\n]{{1,24}}[)）][ \t]*)?(?:\*\*)?(?:{_EN_LABEL})(?:\*\*)?"
                r"[ \t]*[;,\-—][ \t]*(?=\S)"),
     "task label without a colon: write `Task: title`", True),
]

# "(word)任务：" whose word is not a status, or "(done 任务：" never closed
_PAREN_LABEL = re.compile(rf"([(（])([^()（）\n]{{0,24}}?)([)）]?)[ \t]*{_LABEL}[ \t]*[：:]")
# "-[ ] title", "1.[x] title": no space between the list marker and the box
_NO_SPACE_ITEM = re.compile(rf"[ \t]*(?:[-*+]|[0-9]{{1,9}}[.)])(?:~~)?\[[{_BOX}]\]")


def _paren_label(text: str) -> str | None:
    m = _PAREN_LABEL.match(text)
    if m is None:
        return None
    if not m.group(3):
        return f"status mark {m.group(1)}{m.group(2).strip()} is not closed: write `（done）任务：title`"
    mark = m.group(1) + m.group(2) + m.group(3)
    if paren_status(mark) is None:
        return (f"{mark} is not a status word taskbook knows: use done, working, blocked, "
                f"planned, approved, todo or dropped (or 完成, 进行中, 阻塞 …)")
    return None


def unreadable_lines(book: Book) -> list[Finding]:
    """Lines that look like tasks but were not read as tasks."""
    lines = [book.line_text(i) for i in range(len(book.lines))]
    blocks = scan(lines)
    task_lines = {t.line for t in book.all_tasks()}
    # entries of a section (plan steps, log lines) are prose about the work:
    # label-like words there are not flagged, malformed checkboxes are
    in_section: set[int] = set()
    for t in book.all_tasks():
        for s in t.sections:
            in_section.update(range(s.line + 1, s.end))
    out: list[Finding] = []
    item_lines = set()
    for it in blocks.items:
        item_lines.add(it.start)
        if it.first != "para" or it.quoted or it.start in blocks.opaque or it.start in task_lines:
            continue
        s = lines[it.start]
        text = s[it.text_pos:].rstrip()
        message = None
        prose = it.start in in_section
        for _name, rx, why, label in RULES:
            if label and prose:
                continue
            if rx.match(text):
                message = why
                break
        if message is None and not prose:
            message = _paren_label(text)
        if message:
            out.append(Finding(it.start + 1, "unreadable-task", message, text=s))
    for i, s in enumerate(lines):
        if i in item_lines or i in blocks.opaque or s.lstrip().startswith(">"):
            continue
        if _NO_SPACE_ITEM.match(s):
            out.append(Finding(i + 1, "unreadable-task",
                               "no space between the list marker and the checkbox: write `- [ ] title`",
                               text=s))
    return out


# ---------------------------------------------------------- tree problems

def tree_problems(book: Book) -> list[Finding]:
    out: list[Finding] = []
    for t in book.all_tasks():
        if t.status is Status.DONE:
            open_kids = t.open_children
            if open_kids:
                names = "; ".join(f"{c.id} {c.title} ({c.status.value})" for c in open_kids[:5])
                more = f" and {len(open_kids) - 5} more" if len(open_kids) > 5 else ""
                out.append(Finding(t.line + 1, "done-with-open-subproblems",
                                   f"{t.id} is marked done but has {len(open_kids)} unfinished "
                                   f"sub-problem(s): {names}{more}", id=t.id))
        if t.status in (Status.WORKING, Status.APPROVED) and t.section("plan") is None:
            out.append(Finding(t.line + 1, "missing-plan",
                               f"{t.id} is {t.status.value} but has no plan: "
                               f"write one with `taskbook plan {t.id} STEP...`", id=t.id))
    return out


def duplicates(book: Book) -> list[Finding]:
    """Every task after the first whose address needed a -N suffix."""
    out: list[Finding] = []
    for t in book.all_tasks():
        if "-" not in t.id:
            continue
        base = t.id.rsplit("-", 1)[0]
        orig = book.by_id.get(base)
        if orig is None or base_address(t.title) != base:
            continue
        why = ("the same title" if orig.title == t.title
               else f"a title with the same address ({orig.title!r})")
        out.append(Finding(t.line + 1, "duplicate-address",
                           f"{t.id} has {why} as {orig.id} (line {orig.line + 1}): "
                           f"rename one so that each has an address of its own", id=t.id))
    return out


def check_book(book: Book) -> list[Finding]:
    """All findings, in line order."""
    found = unreadable_lines(book) + tree_problems(book) + duplicates(book)
    return sorted(found, key=lambda f: (f.line, KINDS.index(f.kind)))
