"""Helpers for the board tests: a project in a temp dir, the real app on it,
and the screen read back as text.

No mocks: the app runs headless under Textual's Pilot on real files, and
edits go through the same locked transactions as the CLI.  The project has
`log.timestamp: false`, so log entries (and snapshots) do not depend on the
clock.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Awaitable, Callable

from rich.console import Console

from cli_helpers import copy_seed

CONFIG = """\
# board tests: no timestamps in log entries, so files and screens are stable
log:
  timestamp: false
"""


def make_project(tmp_path: Path, seed: str = "000", name: str = "TASKBOOK.md") -> Path:
    """A project directory holding a copy of a seed and a config; the book's path."""
    (tmp_path / ".taskbook").mkdir(exist_ok=True)
    (tmp_path / ".taskbook" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    return copy_seed(seed, tmp_path, name)


def board_app(book: Path):
    """The board app on `book`, with the project's config, loaded."""
    from taskbook.actions import BookTarget
    from taskbook.config import Config
    from taskbook.tui.app import BoardApp
    from taskbook.tui.state import BoardState

    state = BoardState(BookTarget(book, Config.load(book.parent)))
    state.load()
    return BoardApp(state)


def drive(app, script: Callable[..., Awaitable[None]], size: tuple[int, int] = (120, 40)) -> None:
    """Run `script(pilot)` against the app in a headless terminal of `size`."""
    async def main() -> None:
        async with app.run_test(size=size, notifications=True) as pilot:
            await pilot.pause()
            await script(pilot)
    asyncio.run(main())


def screen_text(app) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def type_text(pilot, text: str) -> None:
    """Type characters one by one, as a person would."""
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def select(pilot, address: str) -> None:
    """Find a task with the search key, put the cursor on it, clear the search."""
    screen = pilot.app.screen
    await pilot.press("slash")
    await type_text(pilot, address)
    await pilot.press("enter")
    for _ in range(10):
        if screen.selected_task() is not None and screen.selected_task().id == address:
            break
        await pilot.press("down")
    assert screen.selected_task() is not None and screen.selected_task().id == address, \
        f"could not select {address}"
    await pilot.press("escape")                 # clear the search: the selection stays
    assert screen.selected_task().id == address


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Let the app run until `condition()` holds (the board polls the disk)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition(), "timed out"
