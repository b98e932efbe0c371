"""One terminal width for the CLI and the board (issue 17): `cli.term` measures
with `rich.cells`, as the board does, and zero-width and format characters
from a book are shown, not sent to the terminal.

The last test runs `taskbook list` on a real pseudo-terminal of 36 columns.
"""

from __future__ import annotations

import os
import pty
import re
import struct
import sys
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len as board_cell_len

from taskbook.cli.output import safe
from taskbook.cli.term import cell_len, cut

from cli_helpers import REPO_ROOT, base_env


@pytest.mark.parametrize("text, width", [
    ("plain ascii", 11),
    ("中文标题", 8),                  # CJK: two columns each
    ("👍🏽", 2),                      # emoji + skin-tone modifier: one picture
    ("ℹ️", 2),                       # text symbol + VS16: emoji presentation
    ("👨‍👩‍👧", 2),                     # a ZWJ family
    ("e\u0301", 1),                  # a combining accent
    ("a\u200bb", 2),                 # zero width space (shown escaped, see below)
])
def test_widths(text, width):
    assert cell_len(text) == width


def test_cut_never_splits_a_character_or_a_sequence():
    assert cut("中文字abc", 5) == "中文"
    assert cut("a👍🏽b", 2) == "a"
    assert cut("a👍🏽b", 3) == "a👍🏽"
    assert cut("ℹ️x", 1) == ""
    assert cut("abc", 0) == "" and cut("abc", 5) == "abc"


def test_the_cli_and_the_board_measure_alike():
    """Every printable code point of the BMP and the emoji planes (the old
    hand-made table disagreed with the board's on 718 of them)."""
    diff = []
    for c in [*range(0x20, 0x7F), *range(0xA0, 0x10000), *range(0x1F000, 0x1FB00)]:
        ch = chr(c)
        if 0xD800 <= c < 0xE000 or safe(ch) != ch:
            continue
        for s in (ch, f"a{ch}", f"{ch}\ufe0f"):
            if cell_len(s) != board_cell_len(s):
                diff.append(hex(c))
    assert diff == []


@pytest.mark.parametrize("ch, shown", [
    ("\u200b", "\\u200b"), ("\u200d", "\\u200d"), ("\ufeff", "\\ufeff"), ("\u2060", "\\u2060"),
    ("\u00ad", "\\u00ad"), ("\u2028", "\\u2028"), ("\U000e0041", "\\U000e0041"),
    ("\u202e", "\\u202e"), ("\x1b", "\u241b"),
])
def test_zero_width_and_format_characters_are_shown(ch, shown):
    assert safe(f"a{ch}b") == f"a{shown}b"


def test_emoji_variation_selectors_are_kept():
    assert safe("ℹ️ 👍🏽") == "ℹ️ 👍🏽"


def _list_on_a_terminal(book: Path, columns: int) -> str:
    """`taskbook list` with a real pty of `columns` columns as its terminal."""
    env = base_env(TERM="xterm", NO_COLOR="1")
    env.pop("COLUMNS", None)
    env["PYTHONPATH"] = str(REPO_ROOT)
    pid, master = pty.fork()
    if pid == 0:  # the child: size its terminal, then become taskbook
        import fcntl
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        os.execve(sys.executable, [sys.executable, "-m", "taskbook", "--book", str(book), "list"],
                  env)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:     # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out.decode("utf-8")


def test_list_on_a_narrow_terminal_crops_by_columns_and_shows_hidden_characters(tmp_path):
    book = tmp_path / "book.md"
    book.write_text("- [ ] 修复中文标题很长很长很长很长很长很长的任务\n"
                    "- [ ] thumbs 👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽 up\n"
                    "- [ ] a\u200bb\u200dc\n", encoding="utf-8")
    out = _list_on_a_terminal(book, 36)
    # the task lines (the summary is a message on stderr, never cropped)
    lines = [ln for ln in re.sub(r"\x1b\[[0-9;]*m", "", out).split("\r\n") if " todo " in ln]
    assert len(lines) == 3, out
    assert all(board_cell_len(ln) <= 36 for ln in lines), lines
    assert any(ln.rstrip().endswith("…") and "修复" in ln for ln in lines)
    assert any("👍🏽" in ln and ln.endswith("…") for ln in lines)
    assert "\u200b" not in out and "\u200d" not in out
    assert "a\\u200bb\\u200dc" in out
