"""The help screen: every key of the board with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NAVIGATION = [
    ("↑ ↓  j k", "move the cursor (PgUp PgDn Home End too)"),
    ("← →", "tree: fold / unfold sub-problems · board: previous / next column"),
    ("space", "fold or unfold the task under the cursor"),
    ("tab", "move between the list and the detail pane (scroll it with ↑ ↓)"),
    ("esc", "clear the text and status filters"),
]


class HelpScreen(ModalScreen[None]):
    """A table of keys; any of Esc, q, ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "close")]

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False, expand=True)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
        for key, name, what in self.keys:
            table.add_row(key, name, what)
        table.add_row("", "", "")
        for key, what in NAVIGATION:
            table.add_row(key, "", what)
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("taskbook board: keys", style="bold"), classes="dialog-title")
            yield Static(table)
            yield Static(Text("The board follows the book on disk: changes made by the agent, "
                              "an editor or git appear within a second. Esc, q or ? closes this.",
                              style="dim"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
