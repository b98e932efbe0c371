"""Small modal questions: a line of text, yes or no, a status to filter by.

Each returns its answer through `dismiss`, so the main screen decides what
to do with it; Escape always means "never mind".
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from ...cli.human import ICON, STYLE
from ...cli.output import safe
from ...model import Status


class PromptScreen(ModalScreen["str | None"]):
    """Ask for one line: a comment, a title, a plan step, a log entry."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, question: str, about: str = "", placeholder: str = "",
                 value: str = "") -> None:
        super().__init__()
        self.question = question
        self.about = about
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question, style="bold"), classes="dialog-title")
            if self.about:
                yield Static(Text(safe(self.about), style="dim", no_wrap=True, overflow="ellipsis"),
                             classes="dialog-about")
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Static(Text("Enter saves · Esc cancels", style="dim"), classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question, for an action a review rule would refuse."""

    BINDINGS = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(safe(self.question)), classes="dialog-title")
            yield Static(Text("y: do it anyway · n / Esc: cancel", style="dim"), classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class StatusScreen(ModalScreen["str | None"]):
    """Pick which statuses to show: all, open, or one status."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, counts: dict[str, int], current: str) -> None:
        super().__init__()
        self.counts = counts
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text("all statuses"), id="all"),
                   Option(Text("open (not done or dropped)"), id="open")]
        for s in Status:
            label = Text(f"{ICON[s]} {s.value:<9}", style=STYLE[s])
            label.append(f"{self.counts.get(s.value, 0):>5}", style="dim")
            options.append(Option(label, id=s.value))
        with Vertical(classes="dialog"):
            yield Static(Text("Show tasks with status", style="bold"), classes="dialog-title")
            yield OptionList(*options, id="statuses")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        try:
            option_list.highlighted = option_list.get_option_index(self.current)
        except OptionDoesNotExist:
            option_list.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
