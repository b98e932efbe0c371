"""The header line (book, counts, filter) and the key bar at the bottom.

Textual's Footer scrolls sideways when the keys do not fit; the board has
nineteen actions and promises all of them on screen, so KeyBar wraps them
onto as many lines as the width needs.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from ...cli.human import ICON
from ...cli.output import safe
from ...model import Status
from ..state import BoardState


class KeyBar(Widget):
    """Every shown binding of the screen, `key label`, wrapped to the width."""

    DEFAULT_CSS = """
    KeyBar { height: auto; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    _shown: list[tuple[str, str]] | None = None

    def _bindings_changed(self, screen: Screen) -> None:
        # Textual signals after every action; a layout for nothing would
        # repaint the whole screen on each key
        items = self._items()
        if items != self._shown:
            self._shown = items
            self.refresh(layout=True)

    def _items(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        items = []
        for _node, binding, enabled, _tip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            items.append((self.app.get_key_display(binding), binding.description))
        return items

    def _lines(self, width: int) -> list[Text]:
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        lines: list[Text] = []
        line = Text()
        for key, label in self._items():
            item = Text()
            item.append(f" {key} ", style=key_style)
            item.append(f"{label} ")
            if line.cell_len and line.cell_len + 1 + item.cell_len > width:
                lines.append(line)
                line = Text()
            if line.cell_len:
                line.append(" ")
            line.append_text(item)
        if line.cell_len:
            lines.append(line)
        return lines

    COMPONENT_CLASSES = {"key-bar--key"}

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self._lines(width)))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.size.width or self.app.size.width))


def header_text(state: BoardState, view_name: str) -> Text:
    """`taskbook  BOOK  37 tasks · 11 open  ◔ 3 need review  showing …  tree`."""
    book = state.book
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("taskbook ", style="bold")
    line.append(safe(state.path.name), style="bold cyan")
    if book is not None:
        tasks = list(book.all_tasks())
        n_open = sum(1 for t in tasks if t.status.is_open)
        line.append(f"  {len(tasks)} tasks · {n_open} open  ")
        review = state.needs_review
        line.append(f"{ICON[Status.PLANNED]} {review} need review",
                    style="bold yellow" if review else "dim")
    line.append(f"  showing {state.filter.describe()}", style="italic")
    line.append(f"  [{view_name}]", style="dim")
    if state.problem:
        line.append(f"  ⚠ {safe(state.problem)}", style="bold red")
    return line
