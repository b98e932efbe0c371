"""The vocabulary of status marks found in real books, and how to read them.

Everything here is data plus small pure functions, shared by the parser (which
reads marks) and the edit module (which writes them in the book's own style).
"""

from __future__ import annotations

import re

from .model import Status

# Words inside parentheses, as in seed 000's "（done）任务：" or "(working)".
STATUS_WORDS: dict[str, Status] = {
    "todo": Status.TODO, "to do": Status.TODO, "open": Status.TODO,
    "待办": Status.TODO, "未完成": Status.TODO, "待处理": Status.TODO, "未开始": Status.TODO,
    "planned": Status.PLANNED, "plan": Status.PLANNED, "review": Status.PLANNED,
    "待审核": Status.PLANNED, "待审批": Status.PLANNED, "待确认": Status.PLANNED,
    "approved": Status.APPROVED, "已批准": Status.APPROVED, "已确认": Status.APPROVED,
    "working": Status.WORKING, "wip": Status.WORKING, "doing": Status.WORKING,
    "in progress": Status.WORKING, "in-progress": Status.WORKING,
    "进行中": Status.WORKING, "处理中": Status.WORKING, "执行中": Status.WORKING,
    "blocked": Status.BLOCKED, "阻塞": Status.BLOCKED, "受阻": Status.BLOCKED, "搁置": Status.BLOCKED,
    "done": Status.DONE, "finished": Status.DONE, "complete": Status.DONE,
    "completed": Status.DONE, "fixed": Status.DONE, "resolved": Status.DONE,
    "完成": Status.DONE, "已完成": Status.DONE, "已解决": Status.DONE, "已修复": Status.DONE,
    "dropped": Status.DROPPED, "cancelled": Status.DROPPED, "canceled": Status.DROPPED,
    "wontfix": Status.DROPPED, "won't fix": Status.DROPPED,
    "放弃": Status.DROPPED, "已放弃": Status.DROPPED, "取消": Status.DROPPED, "已取消": Status.DROPPED,
}

# The single character inside a checkbox.
BOX_CHARS: dict[str, Status] = {
    " ": Status.TODO,
    "x": Status.DONE, "X": Status.DONE, "*": Status.DONE, "✓": Status.DONE, "✔": Status.DONE,
    "/": Status.WORKING, "~": Status.WORKING, "-": Status.WORKING,
    "!": Status.BLOCKED,
    "?": Status.PLANNED,
    ">": Status.UNKNOWN, "<": Status.UNKNOWN, "+": Status.UNKNOWN,
}

# Bracketed words used instead of a box: "- [TODO] ..." (corpus 040).
BOX_WORDS: dict[str, Status] = {
    "TODO": Status.TODO, "DONE": Status.DONE, "WIP": Status.WORKING,
    "BLOCKED": Status.BLOCKED, "DROPPED": Status.DROPPED,
}

# Emoji marks of the "marked headings" dialect (seed 001 and corpus).
EMOJI: dict[str, Status] = {
    "✅": Status.DONE, "✔": Status.DONE, "☑": Status.DONE, "✓": Status.DONE,
    "⬜": Status.TODO, "☐": Status.TODO, "⚪": Status.TODO, "🔲": Status.TODO,
    "🔄": Status.WORKING, "🚧": Status.WORKING, "⏳": Status.WORKING, "🟡": Status.WORKING,
    "🔨": Status.WORKING,
    "⛔": Status.BLOCKED, "🛑": Status.BLOCKED, "⏸": Status.BLOCKED,
    "❌": Status.DROPPED, "✖": Status.DROPPED, "➖": Status.DROPPED,
    "⚠": Status.UNKNOWN,
}

# What taskbook writes for each status, per dialect.  Dialects without a
# native mark for a status use the readable parenthesised word.
WRITE_EMOJI = {
    Status.TODO: "⬜️", Status.DONE: "✅", Status.WORKING: "🔄", Status.DROPPED: "❌",
}

# "(done)" or "（done）" with optional inner spaces; the word is checked
# against STATUS_WORDS by paren_status() (an alternation of every word would
# cost ~10 ms of regex compilation on every start-up)
PAREN = r"[(（][ \t]*[^()（）\n]{1,24}?[ \t]*[)）]"
PAREN_RE = re.compile(r"([(（])[ \t]*([^()（）\n]{1,24}?)[ \t]*([)）])")
_EMOJI_ALT = "|".join(re.escape(e) for e in EMOJI)
EMOJI_PREFIX_RE = re.compile(r"(?:" + _EMOJI_ALT + r")\ufe0f?(?=[ \t]|$)")
# a trailing emoji, optionally followed by a short annotation: "✅ **已完成并验证**"
EMOJI_SUFFIX_RE = re.compile(
    r"[ \t]*(?:" + _EMOJI_ALT + r")\ufe0f?"
    r"(?:[ \t]+(?P<note>\*\*[^*]+\*\*|[(（][^)）]*[)）]|[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ ]{1,20}))?[ \t]*$"
)
EMOJI_ONE_RE = re.compile(r"(?:" + _EMOJI_ALT + r")\ufe0f?")


def paren_status(marker: str) -> Status | None:
    """Status named by a parenthesised word such as "（done）", else None."""
    m = PAREN_RE.fullmatch(marker.strip())
    if m is None:
        return None
    return STATUS_WORDS.get(m.group(2).lower())


def emoji_in(text: str) -> tuple[int, int, Status]:
    """The first status emoji in text: (start, end, status)."""
    m = EMOJI_ONE_RE.search(text)
    if m is None:  # pragma: no cover - callers matched an emoji already
        raise ValueError(text)
    return m.start(), m.end(), EMOJI[m.group(0).rstrip("\ufe0f")]
