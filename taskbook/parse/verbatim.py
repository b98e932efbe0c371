"""Outside text in the book: written so that it stays text, read back as written.

A log message, a plan step or a `--note` comes from outside (an agent, a
person, a compiler) and may hold anything, newlines included.  It is written
as one list item, the entry: its first line after the item's marker, its
other lines as continuation lines indented to the item's content, so a
markdown reader sees one paragraph.  A line that would otherwise start a
block of its own (a list item, which could be a task; a heading, a fence, a
thematic break, a block quote, a table row, an HTML block, a setext
underline) or, on the first line, read as a task (`[ ] x`, `任务：x`,
`(done) x`) gets a markdown escape: a backslash before it (`\\- x`, `\\# x`,
`\\任务：x`, where CJK has no escape and the backslash stays visible), or
before the delimiter of a number (`1\\. x`).  A line starting with a
backslash gets one more, so reading back is exact.

Reading (`entry_text`) takes the entry's lines up to its first nested item,
without the indentation the entry gave them, and removes exactly the
escapes `escape` would have written.  So `entry_text(written(m)) == m` for
every message, and a hand-written entry reads as it renders.

Only newlines (`\\n`, `\\r\\n`, and a bare `\\r`, which markdown also takes
for a line end) split a message into lines; spaces at the end of a line are
not kept (two of them would be a markdown line break, and no one sees them).
"""

from __future__ import annotations

import re

__all__ = ["escape", "unescape", "message_lines", "entry_text"]

# what starts a block of its own on a line inside a list item's paragraph
_BLOCK = re.compile(
    r"""(?:[-+*](?:[ \t]|$)          # a bullet list item
         | \#                         # an ATX heading (or a "#tag": harmless, escaped alike)
         | >                          # a block quote
         | ```|~~~                    # a code fence
         | \|                         # a table row
         | <                          # an HTML block
         | =+[ \t]*$                  # a setext underline
         | \\                         # an escape of our own: doubled, so reading is exact
        )""", re.X)
_BREAK = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_ORDERED = re.compile(r"([0-9]{1,9})([.)])(?=[ \t]|$)")
_ORDERED_ESCAPED = re.compile(r"([0-9]{1,9})\\([.)])(?=[ \t]|$)")
_LINK_DEF = re.compile(r"\[[^\]]*\]:")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _is_task(text: str, ordered: bool, emoji: bool) -> bool:
    from .tasks import classify_text   # the task rules (loaded with the parser)
    kind = classify_text(text, ordered)
    return kind is not None and (kind != "emoji" or emoji)


def _needs_escape(text: str, first: bool, ordered: bool, emoji: bool) -> bool:
    if _BLOCK.match(text) or _BREAK.match(text):
        return True
    return first and (_LINK_DEF.match(text) is not None or _is_task(text, ordered, emoji))


def _split_indent(text: str) -> tuple[str, str]:
    body = text.lstrip(" \t")
    return text[:len(text) - len(body)], body


def escape(text: str, *, first: bool = False, ordered: bool = False, emoji: bool = False) -> str:
    """One line of outside text, escaped where it would read as structure.
    `first`: the entry's first line, right after its marker (`ordered`: a
    numbered marker); `emoji`: status emoji are tasks in this book."""
    lead, body = _split_indent(text)
    m = _ORDERED.match(body)
    if m:
        return f"{lead}{m.group(1)}\\{body[m.end(1):]}"
    if _needs_escape(body, first, ordered, emoji):
        return f"{lead}\\{body}"
    return text


def unescape(text: str, *, first: bool = False, ordered: bool = False) -> str:
    """The line `escape` was given, if `text` is what it wrote; else `text`."""
    lead, body = _split_indent(text)
    m = _ORDERED_ESCAPED.match(body)
    if m:
        return f"{lead}{m.group(1)}{body[m.end(1) + 1:]}"
    if body.startswith("\\") and _needs_escape(body[1:], first, ordered, True):
        return lead + body[1:]
    return text


def message_lines(message: str) -> list[str]:
    """A message's lines, split where markdown would end a line, without
    the spaces at their ends."""
    return [line.rstrip() for line in _NEWLINE.split(message)]


def entry_text(lines: list[str], start: int, stop: int, text_pos: int, ordered: bool) -> str:
    """The text of the entry whose item starts on line `start`, its content
    at `text_pos`, up to line `stop` (its first nested item, or its end)."""
    first = lines[start][text_pos:].strip()
    if first[:1] == "\\" or (first[:1].isdigit() and "\\" in first[:11]):
        first = unescape(first, first=True, ordered=ordered)
    if stop <= start + 1:
        return first
    out = [first]
    for s in lines[start + 1:stop]:
        if not s.strip():
            out.append("")
            continue
        indent = len(s) - len(s.lstrip(" \t"))
        out.append(unescape(s[min(indent, text_pos):].rstrip()))
    while out[-1] == "":
        out.pop()
    return "\n".join(out)
