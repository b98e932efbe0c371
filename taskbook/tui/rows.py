"""How one row looks: rich Text built from untrusted titles.

Titles come from the book, so they go through `safe()` (escape sequences
shown, not obeyed) and into `Text` objects, never markup strings: `[red]`
in a title stays `[red]` on screen.  Widths are cell widths (rich), so CJK
titles truncate and align by columns, not by characters.
"""

from __future__ import annotations

import re

from rich.text import Text

from ..cli.human import ICON, STYLE
from ..cli.output import safe
from ..model import Status
from .view import Row, progress

ID_WIDTH = 7          # "abcde-2": addresses are ASCII, so one width aligns every title
FOLD = {True: "▸", False: "▾"}


def tree_line(row: Row) -> Text:
    """`8qwb9   ▾ ○ title  2/3`, `ymnf1   ├── ○ title` for a task, `## heading` for a group row."""
    if row.task is None:
        g = row.group
        assert g is not None
        return Text(f"{'#' * g.level} {safe(g.title)}", style="bold")
    t = row.task
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{t.id:<{ID_WIDTH}} ", style="cyan" if row.matched else "dim cyan")
    if row.guide:
        line.append(row.guide, style="dim")
    # the fold mark sits at the end of the guide: "├─▾ ○ parent", "├── ○ leaf"
    mark = FOLD[row.folded] if row.folded is not None else ("─" if row.guide else " ")
    line.append(mark + " ", style="dim")
    _title(line, row)
    return line


def column_line(row: Row) -> Text:
    """A board card on one line: icon, title, sub-problem progress."""
    line = Text(no_wrap=True, overflow="ellipsis")
    _title(line, row)
    return line


def _title(line: Text, row: Row) -> None:
    t = row.task
    assert t is not None
    style = STYLE[t.status] if row.matched else "dim"
    line.append(f"{ICON[t.status]} ", style=style)
    title_style = "strike dim" if t.status is Status.DROPPED else (None if row.matched else "dim")
    if t.status is Status.PLANNED and row.matched:
        title_style = "bold"
    _inline(line, safe(t.title).replace("\t", " "), title_style)
    p = progress(t)
    if p is not None:
        done, total = p
        line.append(f"  {done}/{total}", style="green" if done == total else "dim")


# `**bold**` and `code` are how authors mark up titles (seed 002 starts every
# item with a bold name): show the emphasis instead of the asterisks, which
# matter in a 12-column board card.  Nothing else is interpreted.
_INLINE = re.compile(r"\*\*(?P<bold>[^*]+)\*\*|`(?P<code>[^`]+)`")


def _inline(line: Text, title: str, style: str | None) -> None:
    pos = 0
    for m in _INLINE.finditer(title):
        line.append(title[pos:m.start()], style=style)
        if m.group("bold") is not None:
            line.append(m.group("bold"), style=f"{style or ''} bold".strip())
        else:
            line.append(m.group("code"), style=f"{style or ''} cyan".strip())
        pos = m.end()
    line.append(title[pos:], style=style)
