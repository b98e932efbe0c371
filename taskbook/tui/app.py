"""The Textual App: stylesheet, breakpoints and the first screen; no logic."""

from __future__ import annotations

from textual.app import App

from .screens.main import MainScreen
from .state import BoardState


class BoardApp(App[None]):
    """Review the book: plans waiting for approval, progress, the live file."""

    CSS_PATH = "board.tcss"
    TITLE = "taskbook board"
    ENABLE_COMMAND_PALETTE = False
    # below 110 columns the detail pane goes under the tree instead of beside it
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, state: BoardState) -> None:
        super().__init__()
        self.state = state

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.state))
