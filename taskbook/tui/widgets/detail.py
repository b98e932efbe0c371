"""The detail pane: the selected task rendered as markdown.

The text is the task as the book has it (see `view.task_markdown`), passed
through `safe()` first, so escape sequences in the book are shown, not
sent to the terminal.  It is drawn with rich's Markdown renderable into
lines once per task and width, and shown through the line API: Textual's
Markdown widget mounts a widget per block and re-lays out the screen, which
cost hundreds of milliseconds per cursor move on long tasks.
"""

from __future__ import annotations

from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...cli.output import safe
from ...model import Book, Task
from ..view import task_markdown


class Detail(ScrollView, can_focus=True):
    """Scrollable markdown of one task; keeps nothing but what it shows."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown = ""
        self._address: str | None = None
        self._lines: list[Strip] = []
        self._width = -1
        self._base: Style | None = None

    def notify_style_update(self) -> None:
        self._base = None
        super().notify_style_update()

    @property
    def text(self) -> str:
        """The markdown on show (tests read it)."""
        return self._shown

    def show(self, book: Book | None, task: Task | None) -> None:
        """Show `task`; a reload of the same task keeps the scroll position."""
        if book is None or task is None:
            text = "*No task selected.*"
        else:
            text = safe(task_markdown(book, task))
        address = task.id if task is not None else None
        if text == self._shown and self._width == self._content_width():
            return
        self._shown = text
        self._render_text()
        if address != self._address:
            self._address = address
            self.scroll_to(y=0, animate=False, immediate=True)

    def _content_width(self) -> int:
        return max(10, self.scrollable_content_region.width)

    def _render_text(self) -> None:
        width = self._content_width()
        self._width = width
        console = self.app.console
        options = console.options.update_width(width)
        lines = console.render_lines(Markdown(self._shown, hyperlinks=False), options, pad=False)
        self._lines = [Strip(line) for line in lines]
        size = Size(width, len(self._lines))
        if size != self.virtual_size:  # a new virtual size lays out the screen again
            self.virtual_size = size
        self.refresh()

    def on_resize(self) -> None:
        if self._shown and self._width != self._content_width():
            self._render_text()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        i = round(self.scroll_offset.y) + y
        if self._base is None:
            self._base = self.rich_style   # cached: computing it walks the DOM
        base = self._base
        if i >= len(self._lines):
            return Strip.blank(width, base)
        return Strip(Segment.apply_style(self._lines[i], base)).crop_extend(0, width, base)
