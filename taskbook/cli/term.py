"""A small, fast writer for lines of styled text on a terminal.

Why not rich for these lines: `taskbook list` and `next` are what an agent
runs again and again, each time in a new process, and their output is a list
of short lines.  rich costs ~30 ms to import and ~40 µs per line to lay out
(a 10,000-task list took over half a second); this writer does only what
such lines need:

* SGR colour and weight when stdout is a terminal, honouring the common
  conventions: NO_COLOR turns styling off, FORCE_COLOR turns it on for a
  pipe, TERM=dumb is a terminal without styling;
* cropping to the terminal's width with "…", measured by `rich.cells`
  (grapheme clusters: CJK and emoji two columns, 👍🏽 and ℹ️ two, zero-width
  characters none), the same measure as the board's; it is imported (~2 ms)
  only for a line that is not ASCII at a terminal, so a `list` piped to an
  agent never loads it;
* nothing at all when stdout is a pipe: plain lines, never cut.

Text from the book or a build must reach it already made inert by
`output.safe` (no control characters), so width counting can ignore them.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import IO, Iterable

Span = tuple[str, "str | None"]   # (text, style such as "bold cyan"), style None = plain

_SGR = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "strike": "9",
        "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
        "cyan": "36", "white": "37", "default": "39"}
RESET = "\x1b[0m"
ELLIPSIS = "…"


def sgr(style: str | None) -> str:
    """The escape sequence that starts `style` ("" for none)."""
    if not style:
        return ""
    codes = [_SGR[w] for w in style.split() if w in _SGR]
    return f"\x1b[{';'.join(codes)}m" if codes else ""


def styling_enabled(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream) and os.environ.get("TERM", "") != "dumb"


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def cell_len(text: str) -> int:
    """Columns `text` takes on a terminal (the one width measure of the CLI)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len as cells
    return cells(text)


def cut(text: str, width: int) -> str:
    """The longest start of `text` that fits in `width` columns, never
    splitting a character or an emoji sequence."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    if text.isascii():
        return text[:width]
    from rich.cells import chop_cells
    return chop_cells(text, width)[0]


class Writer:
    """Writes lines made of styled spans to a stream (stdout by default)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.styled = styling_enabled(self.stream)
        # only a real terminal has a width to respect; a pipe gets whole lines
        self.width = shutil.get_terminal_size().columns if _isatty(self.stream) else None
        self._out: list[str] = []

    def line(self, spans: Iterable[Span] | str = (), crop: bool = True) -> None:
        """Add a line; at a terminal it is cut to the width unless `crop` is
        off (then the terminal wraps it, which suits prose such as a plan)."""
        if isinstance(spans, str):
            spans = ((spans, None),)
        if crop and self.width is not None:
            # a tab's width depends on where it falls: one space keeps the count exact
            spans = self._crop([(t.replace("\t", " "), style) for t, style in spans], self.width)
        if self.styled:
            text = "".join(f"{sgr(style)}{t}{RESET}" if style and t else t for t, style in spans)
        else:
            text = "".join(t for t, _ in spans)
        self._out.append(text)

    @staticmethod
    def _crop(spans: list[Span], width: int) -> list[Span]:
        if width <= 0 or sum(cell_len(t) for t, _ in spans) <= width:
            return spans    # (a terminal that reports no width: nothing to cut to)
        out: list[Span] = []
        left = width - 1   # room for the ellipsis
        for t, style in spans:
            w = cell_len(t)
            if w <= left:
                out.append((t, style))
                left -= w
                continue
            out.append((cut(t, left) + ELLIPSIS, style))
            break
        return out

    def flush(self) -> None:
        """Write everything at once: one system call for a long list."""
        if self._out:
            self.stream.write("\n".join(self._out) + "\n")
            self._out.clear()
        self.stream.flush()
