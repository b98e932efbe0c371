"""A scrolling list of task rows drawn line by line (Textual's line API).

Only the rows on screen are rendered, and each rendered row is cached until
the rows change, so a 5,000-task tree opens and scrolls as fast as a
50-task one.  The list scrolls itself (`top`, and a one-column scrollbar it
draws) instead of being a ScrollView: a Textual scroll re-lays out and
repaints the whole screen, which doubled the cost of every cursor move past
the edge.  The cursor is kept by task address: when new rows arrive (a
reload, a filter) the same task stays selected at the same height on screen.
"""

from __future__ import annotations

from typing import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ..view import Row

WHEEL_STEP = 3


class TaskList(Widget, can_focus=True):
    """Task rows with a cursor; heading rows are shown but skipped."""

    COMPONENT_CLASSES = {"task-list--cursor", "task-list--cursor-blurred",
                         "task-list--scrollbar", "task-list--scrollbar-thumb"}
    BINDINGS = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "jump(0)", "first", show=False),
        Binding("end", "jump(-1)", "last", show=False),
        Binding("left", "sideways(-1)", "fold / left", show=False),
        Binding("right", "sideways(1)", "unfold / right", show=False),
        Binding("space", "toggle_fold", "fold", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another task (or to none)."""

        def __init__(self, task_list: TaskList, address: str | None) -> None:
            super().__init__()
            self.task_list = task_list
            self.address = address

        @property
        def control(self) -> TaskList:
            return self.task_list

    class Fold(Message):
        """Collapse (True) or expand (False) the task's sub-tasks."""

        def __init__(self, task_list: TaskList, address: str, fold: bool) -> None:
            super().__init__()
            self.task_list = task_list
            self.address = address
            self.fold = fold

    class Sideways(Message):
        """Left/right in a list that does not fold: move to a neighbour list."""

        def __init__(self, task_list: TaskList, step: int) -> None:
            super().__init__()
            self.task_list = task_list
            self.step = step

    def __init__(self, line: Callable[[Row], Text], *, folding: bool,
                 empty: str = "no tasks", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._line = line
        self.folding = folding
        self.empty = empty
        self.rows: list[Row] = []
        self.cursor = 0
        self.top = 0                      # the first row on screen
        self._index: dict[str, int] = {}
        self._cache: dict[tuple[int, bool, int], Strip] = {}
        self._announced: str | None = None
        self._styles: dict[str, Style] = {}

    def _style(self, name: str) -> Style:
        """Cached styles: computing them walks the DOM, once per line otherwise."""
        style = self._styles.get(name)
        if style is None:
            style = self.rich_style if name == "base" else self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def notify_style_update(self) -> None:
        self._styles.clear()
        self._cache.clear()
        super().notify_style_update()

    # ------------------------------------------------------------ data

    @property
    def address(self) -> str | None:
        """The address of the task under the cursor."""
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor].key
        return None

    @property
    def height(self) -> int:
        return self.size.height

    def set_rows(self, rows: list[Row], select: str | None = None) -> None:
        """Show new rows, keeping `select` (default: the current task)
        selected and at the same height on screen."""
        keep = select if select is not None else self.address
        first = not self.rows     # nothing shown yet: start at the top (headings)
        on_screen = self.cursor - self.top
        self.rows = rows
        self._index = {r.key: i for i, r in enumerate(rows) if r.key is not None}
        self._cache.clear()
        if keep is not None and keep in self._index:
            cursor = self._index[keep]
        else:  # the task is gone (filtered out, removed): the nearest match
            cursor = self._task_at(min(self.cursor, len(rows) - 1), 1, prefer_match=True)
        self.cursor = max(cursor, 0)
        self._scroll(0 if first else self.cursor - on_screen)
        self._keep_cursor_visible()
        self.refresh()
        self._announce()

    def has(self, address: str) -> bool:
        return address in self._index

    def select(self, address: str) -> bool:
        i = self._index.get(address)
        if i is None:
            return False
        self._move_to(i)
        return True

    def _task_at(self, i: int, step: int, prefer_match: bool = False) -> int:
        """The nearest task row from i in direction step (then the other
        way); with prefer_match, a row matching the filter if there is one."""
        n = len(self.rows)
        for wanted in ((True, False) if prefer_match else (False,)):
            for direction in (step, -step):
                j = i
                while 0 <= j < n:
                    row = self.rows[j]
                    if row.task is not None and (row.matched or not wanted):
                        return j
                    j += direction
        return 0

    def _scroll(self, top: int) -> bool:
        """Put row `top` first on screen (clamped); True if that moved."""
        top = max(0, min(top, len(self.rows) - max(self.height, 1)))
        if top == self.top:
            return False
        self.top = top
        self.refresh()
        return True

    def _move_to(self, i: int) -> None:
        if not self.rows:
            return
        i = max(0, min(i, len(self.rows) - 1))
        if i != self.cursor:
            old = self.cursor
            self.cursor = i
            if not self._keep_cursor_visible():
                for row in (old, i):  # only the two lines that changed
                    self.refresh(Region(0, row - self.top, self.size.width, 1))
        self._announce()

    def _keep_cursor_visible(self) -> bool:
        height = self.height
        if height <= 0:
            return False
        if self.cursor < self.top:
            return self._scroll(self.cursor)
        if self.cursor >= self.top + height:
            return self._scroll(self.cursor - height + 1)
        return False

    def _announce(self) -> None:
        if self.address != self._announced:
            self._announced = self.address
            self.post_message(self.Highlighted(self, self.address))

    # --------------------------------------------------------- actions

    def action_move(self, step: int) -> None:
        i = self.cursor + step
        while 0 <= i < len(self.rows) and self.rows[i].task is None:
            i += step
        if 0 <= i < len(self.rows):
            self._move_to(i)
        elif step < 0:
            self._scroll(0)  # show the headings above the first task

    def action_page(self, step: int) -> None:
        height = max(1, self.height - 1)
        target = max(0, min(len(self.rows) - 1, self.cursor + step * height))
        self._move_to(self._task_at(target, step))

    def action_jump(self, where: int) -> None:
        if where == 0:
            self._move_to(self._task_at(0, 1))
            self._scroll(0)
        else:
            self._move_to(self._task_at(len(self.rows) - 1, -1))

    def action_sideways(self, step: int) -> None:
        if not self.folding:
            self.post_message(self.Sideways(self, step))
            return
        if not self.rows:
            return
        row = self.rows[self.cursor]
        if row.task is None:
            return
        if step < 0:
            if row.folded is False:
                self.post_message(self.Fold(self, row.task.id, True))
            elif row.task.parent is not None and self.has(row.task.parent.id):
                self._move_to(self._index[row.task.parent.id])
        elif row.folded is True:
            self.post_message(self.Fold(self, row.task.id, False))
        elif row.folded is False:
            self.action_move(1)

    def action_toggle_fold(self) -> None:
        if self.folding and self.rows:
            row = self.rows[self.cursor]
            if row.task is not None and row.folded is not None:
                self.post_message(self.Fold(self, row.task.id, not row.folded))

    def on_click(self, event: events.Click) -> None:
        i = self.top + event.y
        if 0 <= i < len(self.rows) and self.rows[i].task is not None:
            self._move_to(i)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll(self.top + WHEEL_STEP)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll(self.top - WHEEL_STEP)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._cache.clear()
        self._scroll(self.top)
        self._keep_cursor_visible()

    # --------------------------------------------------------- drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._style("base")
        bar = len(self.rows) > self.height > 0     # a scrollbar in the last column
        text_width = width - 1 if bar else width
        i = self.top + y
        if not self.rows:
            if y == 0:
                text = Text(self.empty, style="dim")
                text.truncate(width, overflow="ellipsis", pad=True)
                return Strip(list(Segment.apply_style(text.render(self.app.console), base)), width)
            return Strip.blank(width, base)
        if i >= len(self.rows):
            strip = Strip.blank(text_width, base)
        else:
            at_cursor = i == self.cursor
            key = (i, at_cursor, text_width)
            strip = self._cache.get(key)
            if strip is None:
                text = self._line(self.rows[i])
                text.truncate(text_width, overflow="ellipsis", pad=True)
                if at_cursor:
                    name = "task-list--cursor" if self.has_focus else "task-list--cursor-blurred"
                    text.stylize(self._style(name))
                segments = list(Segment.apply_style(text.render(self.app.console), base))
                strip = Strip(segments).crop_extend(0, text_width, base)
                self._cache[key] = strip
        if bar:
            strip = Strip.join([strip, self._scrollbar_cell(y)])
        return strip

    def _scrollbar_cell(self, y: int) -> Strip:
        n, h = len(self.rows), self.height
        size = max(1, h * h // n)
        start = min(h - size, round(self.top * (h - size) / max(1, n - h)))
        thumb = start <= y < start + size
        style = self._style("task-list--scrollbar-thumb" if thumb else "task-list--scrollbar")
        return Strip([Segment("▐" if thumb else " ", style)], 1)
