"""Snapshots of the board (pytest-textual-snapshot): tree, board, detail, help.

Each snapshot is an SVG under __snapshots__/ showing the screen at a fixed
terminal size on a copy of a seed named TASKBOOK.md, so nothing in it
depends on the temp directory or the clock.  After an intended change to
the look, review the new pictures (`pytest --snapshot-update`, then the
report) before committing them.
"""

from __future__ import annotations

import pytest

from board_helpers import board_app, make_project, select
from cli_helpers import SEEDS_DIR

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")


def test_tree_of_a_review_book(snap_compare, tmp_path):
    """Seed 000: open tasks with done parents as context, guides, progress."""
    app = board_app(make_project(tmp_path, "000"))
    assert snap_compare(app, terminal_size=(120, 36))


def test_tree_of_a_checklist_at_80x24(snap_compare, tmp_path):
    """Seed 002 on a small terminal: headings as group rows, detail below the tree."""
    app = board_app(make_project(tmp_path, "002"))
    assert snap_compare(app, terminal_size=(80, 24))


def test_board_with_finished_tasks(snap_compare, tmp_path):
    """Seed 002 as a board: one column per status, done ones shown (h)."""
    app = board_app(make_project(tmp_path, "002"))
    assert snap_compare(app, press=["h", "v"], terminal_size=(120, 36))


def test_detail_of_a_task_with_sub_problems(snap_compare, tmp_path):
    """Seed 000: a done task's text and its sub-problems with progress."""
    app = board_app(make_project(tmp_path, "000"))

    async def run_before(pilot) -> None:
        await pilot.press("h")
        await select(pilot, "0nkk9")
        await pilot.press("tab")          # into the detail pane

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 36))


def test_help_screen(snap_compare, tmp_path):
    """Every key with what it does."""
    app = board_app(make_project(tmp_path, "000"))
    assert snap_compare(app, press=["question_mark"], terminal_size=(120, 40))
