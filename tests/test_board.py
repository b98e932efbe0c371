"""`taskbook board` driven by Textual's Pilot on copies of the user's books.

Every action is pressed as a key and then checked in the file on disk: which
lines changed, that the rest is byte-identical and that the book reads back
with the new state (issue 5).  Filters and views are checked on screen and
must leave the file alone.  Live reloading is checked by writing the book
from outside while the app runs.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.cells import cell_len

from taskbook import parse
from taskbook.model import Status

from board_helpers import board_app, drive, make_project, screen_text, select, type_text, wait_until
from cli_helpers import (
    SEEDS_DIR, assert_clean_error, assert_round_trip, diff_lines, inserted_lines, replaced_lines, run,
)

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

INVALID = "ymnf1"      # seed 000: "- 任务：InvalidDataType 不附带一些context以便debug吗？", no sections
FIRST = "8qwb9"        # seed 000: the newest task, with 分析 / 修改计划 / 执行记录
DONE_PARENT = "274z1"  # seed 000: done, with three open sub-problems
RETRY = "x8a9k"        # seed 002: "- [ ] **重试机制** - …" under ### 2.5


def task(book: Path, address: str):
    return parse(book.read_bytes()).by_id[address]


def submit_plan(book: Path, address: str) -> None:
    """Put a task up for review the way an agent does (CLI: plan + submit)."""
    from taskbook import actions
    from taskbook.config import Config
    target = actions.BookTarget(book, Config.load(book.parent))
    actions.add_plan(target, address, ["看错误定义", "加 context 字段"])
    actions.submit(target, address)


# ------------------------------------------------------------- review verbs

def test_approve_a_plan_waiting_for_review(tmp_path):
    book = make_project(tmp_path)
    submit_plan(book, INVALID)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        assert "◔ 1 need review" in screen_text(app)
        await pilot.press("exclamation_mark")            # the needs-review filter
        assert app.screen.selected_task().id == INVALID
        assert [r.key for r in app.screen.tree.rows] == [INVALID]
        await pilot.press("a")
        assert "◔ 0 need review" in screen_text(app)

    drive(app, script)
    new = book.read_bytes()
    assert diff_lines(old, new) == ["-- （planned）任务：InvalidDataType 不附带一些context以便debug吗？",
                                    "+- （approved）任务：InvalidDataType 不附带一些context以便debug吗？"]
    assert task(book, INVALID).status is Status.APPROVED


def test_approve_asks_before_approving_what_is_not_waiting_for_review(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("a")
        assert "not waiting for review" in screen_text(app)
        await pilot.press("n")                            # no: nothing is written
        assert book.read_bytes() == old
        await pilot.press("a", "y")                       # yes: approve anyway

    drive(app, script)
    assert task(book, INVALID).status is Status.APPROVED
    assert len(replaced_lines(old, book.read_bytes())) == 1


def test_reject_sends_the_plan_back_with_the_comment_in_the_log(tmp_path):
    book = make_project(tmp_path)
    submit_plan(book, INVALID)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("r")
        await type_text(pilot, "too vague [red]x[/red]")
        await pilot.press("enter")

    drive(app, script)
    new = book.read_bytes()
    t = task(book, INVALID)
    assert t.status is Status.TODO
    assert t.section("log").entries[-1].text == "rejected: too vague [red]x[/red]"
    changed = diff_lines(old, new)
    assert changed[:2] == ["-- （planned）任务：InvalidDataType 不附带一些context以便debug吗？",
                           "+- 任务：InvalidDataType 不附带一些context以便debug吗？"]
    assert changed[2:] == ["+  - 执行记录：", "+      - rejected: too vague [red]x[/red]"]
    assert_round_trip(new)


def test_reject_without_a_comment_writes_nothing(tmp_path):
    book = make_project(tmp_path)
    submit_plan(book, INVALID)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("r", "enter")                   # empty comment: refused
        await pilot.press("r", "escape")                  # cancelled

    drive(app, script)
    assert book.read_bytes() == old


# -------------------------------------------------------------- status verbs

@pytest.mark.parametrize("key,status,line", [
    ("s", Status.WORKING, "- （working）任务：InvalidDataType 不附带一些context以便debug吗？"),
    ("x", Status.DROPPED, "- （dropped）任务：InvalidDataType 不附带一些context以便debug吗？"),
    ("d", Status.DONE, "- （done）任务：InvalidDataType 不附带一些context以便debug吗？"),
])
def test_status_keys_change_one_line_in_the_books_own_form(tmp_path, key, status, line):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press(key)

    drive(app, script)
    new = book.read_bytes()
    assert diff_lines(old, new) == ["-- 任务：InvalidDataType 不附带一些context以便debug吗？", "+" + line]
    assert task(book, INVALID).status is status


def test_block_writes_the_reason_to_the_log(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("b")
        await type_text(pilot, "等上游接口")
        await pilot.press("enter")

    drive(app, script)
    t = task(book, INVALID)
    assert t.status is Status.BLOCKED
    assert t.section("log").entries[-1].text == "blocked: 等上游接口"
    assert diff_lines(old, book.read_bytes())[1] == \
        "+- （blocked）任务：InvalidDataType 不附带一些context以便debug吗？"


def test_done_asks_while_sub_problems_are_open(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, "feh5m")                      # 编译验证, with an open sub-problem
        await pilot.press("d")
        assert "unfinished sub-problem" in screen_text(app)
        await pilot.press("escape")
        assert book.read_bytes() == old
        await pilot.press("d", "y")

    drive(app, script)
    assert task(book, "feh5m").status is Status.DONE
    assert len(replaced_lines(old, book.read_bytes())) == 1


def test_reopen_a_finished_task_shown_with_h(tmp_path):
    book = make_project(tmp_path, "002")
    old = book.read_bytes()
    app = board_app(book)
    first_done = next(t for t in parse(old).all_tasks() if t.status is Status.DONE)

    async def script(pilot):
        assert not app.screen.tree.has(first_done.id)     # finished tasks are hidden
        await pilot.press("h")
        await select(pilot, first_done.id)
        await pilot.press("o")

    drive(app, script)
    new = book.read_bytes()
    [(_, before, after)] = replaced_lines(old, new)
    assert before.startswith("- [*] ") and after == "- [ ] " + before[len("- [*] "):]
    assert task(book, first_done.id).status is Status.TODO


def test_start_in_a_checklist_uses_the_books_working_mark(tmp_path):
    book = make_project(tmp_path, "002")
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, RETRY)
        await pilot.press("s")

    drive(app, script)
    [(_, before, after)] = replaced_lines(old, book.read_bytes())
    assert before == "- [ ] **重试机制** - 实现任务失败重试和超时处理"
    assert task(book, RETRY).status is Status.WORKING
    assert after != before and "重试机制" in after


# --------------------------------------------------------------- adding

def test_add_task_goes_on_top_of_a_newest_first_book(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await pilot.press("n")
        await type_text(pilot, "看看 board 的新任务")
        await pilot.press("enter")
        assert app.screen.selected_task().title == "看看 board 的新任务"
        assert app.screen.tree.rows[0].task.title == "看看 board 的新任务"

    drive(app, script)
    new = book.read_bytes()
    assert sorted(text for _, text in inserted_lines(old, new)) == ["", "- 任务：看看 board 的新任务"]
    assert parse(new).tasks[0].title == "看看 board 的新任务"


def test_add_task_in_a_checklist_goes_to_the_end_of_the_last_group(tmp_path):
    book = make_project(tmp_path, "002")
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await pilot.press("n")
        await type_text(pilot, "board smoke test")
        await pilot.press("enter")

    drive(app, script)
    new = book.read_bytes()
    assert [text for _, text in inserted_lines(old, new)][-1] == "- [ ] board smoke test"
    assert list(parse(new).all_tasks())[-1].title == "board smoke test"


def test_add_sub_problem_under_the_selected_task(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, FIRST)
        await pilot.press("u")
        await type_text(pilot, "next_batch_id 还有引用吗")
        await pilot.press("enter")
        assert app.screen.selected_task().title == "next_batch_id 还有引用吗"

    drive(app, script)
    new = book.read_bytes()
    parent = task(book, FIRST)
    assert [c.title for c in parent.children] == ["next_batch_id 还有引用吗"]
    assert [text for _, text in inserted_lines(old, new)] == [
        "  - 遇到的问题：", "      - 子问题1：next_batch_id 还有引用吗"]


def test_add_plan_step_appends_to_the_plan(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, FIRST)
        await pilot.press("p")
        await type_text(pilot, "再编译一次")
        await pilot.press("enter")
        assert "再编译一次" in app.screen.detail.text

    drive(app, script)
    new = book.read_bytes()
    assert inserted_lines(old, new) == [(14, "      4. 再编译一次")]
    assert task(book, FIRST).section("plan").entries[-1].text == "再编译一次"


def test_add_log_entry_without_timestamp_from_the_config(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, FIRST)
        await pilot.press("l")
        await type_text(pilot, "grep 过了")
        await pilot.press("enter")

    drive(app, script)
    new = book.read_bytes()
    [(_, line)] = inserted_lines(old, new)
    assert line == "      - grep 过了"
    assert task(book, FIRST).section("log").entries[-1].text == "grep 过了"


# --------------------------------------------------------------- editor

def test_edit_opens_the_editor_at_the_tasks_line_and_reloads(tmp_path, monkeypatch):
    book = make_project(tmp_path)
    editor = tmp_path / "editor.py"
    # a real program that behaves like an editor: records how it was called,
    # then adds a line to the file it was given
    editor.write_text(textwrap.dedent(f"""\
        import sys
        open({str(tmp_path / 'args.txt')!r}, "w").write(" ".join(sys.argv[1:]))
        path = sys.argv[-1]
        data = open(path, encoding="utf-8").read()
        open(path, "w", encoding="utf-8").write("- 任务：编辑器里加的\\n\\n" + data)
        """), encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    app = board_app(book)
    line = task(book, INVALID).line + 1

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("e")
        await wait_until(pilot, lambda: any(r.task is not None and r.task.title == "编辑器里加的"
                                            for r in app.screen.tree.rows))
        assert app.screen.selected_task().id == INVALID   # the selection survived the reload

    drive(app, script)
    assert (tmp_path / "args.txt").read_text() == f"+{line} {book}"
    assert parse(book.read_bytes()).tasks[0].title == "编辑器里加的"


# ------------------------------------------------------- filters and views

def test_search_filters_by_text_and_escape_clears_it(tmp_path):
    book = make_project(tmp_path)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        everything = len(app.screen.tree.rows)
        await pilot.press("slash")
        await type_text(pilot, "proto")
        rows = app.screen.tree.rows
        assert [r.key for r in rows if r.matched] == ["njq5n"]
        assert "showing open · “proto”" in screen_text(app)
        await pilot.press("enter", "escape")
        assert len(app.screen.tree.rows) == everything

    drive(app, script)
    assert book.read_bytes() == old


def test_status_filter_and_finished_toggle(tmp_path):
    book = make_project(tmp_path, "002")
    old = book.read_bytes()
    app = board_app(book)
    tasks = list(parse(old).all_tasks())

    async def script(pilot):
        tree = app.screen.tree
        shown = lambda: [r.task for r in tree.rows if r.task is not None]  # noqa: E731
        assert len(shown()) == sum(t.status.is_open for t in tasks)
        await pilot.press("h")                            # show finished
        assert len(shown()) == len(tasks)
        await pilot.press("h")
        assert all(t.status.is_open for t in shown())
        await pilot.press("f")                            # status picker
        await pilot.press("down", "down", "down", "down", "down", "down", "enter")  # open -> done
        assert {t.status for t in shown()} == {Status.DONE}
        assert "showing status done" in screen_text(app)

    drive(app, script)
    assert book.read_bytes() == old


def test_board_view_has_a_column_per_status_and_keeps_the_selection(tmp_path):
    book = make_project(tmp_path)
    submit_plan(book, INVALID)
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("v")
        screen = app.screen
        assert screen.view == "board"
        text = screen_text(app)
        for name in ("○ 10 todo", "◔ 1 planned", "◑ 0 approved", "◐ 0 working", "⊘ 0 blocked", "● 0 done"):
            assert name in text
        planned = screen.query_one("#list-planned")
        assert planned.has_focus and planned.address == INVALID
        await pilot.press("a")                            # approve from the board
        assert screen.query_one("#list-approved").address == INVALID
        await pilot.press("left", "left")                 # to the todo column
        assert screen.selected_task().status is Status.TODO
        await pilot.press("v")
        assert screen.view == "tree"

    drive(app, script)
    assert task(book, INVALID).status is Status.APPROVED


def test_tree_folds_and_unfolds_sub_problems(tmp_path):
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        tree = app.screen.tree
        await pilot.press("h")
        await select(pilot, DONE_PARENT)
        assert tree.has("efkxk")
        await pilot.press("left")
        assert not tree.has("efkxk") and tree.address == DONE_PARENT
        await pilot.press("right", "right")
        assert tree.address == "efkxk"

    drive(app, script)


def test_help_screen_lists_every_action_and_closes(tmp_path):
    from taskbook.tui.screens.main import KEYS
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        await pilot.press("question_mark")
        text = screen_text(app)
        for _key, _action, label, what in KEYS:
            assert label in text and what[:30] in text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "MainScreen"

    drive(app, script, size=(140, 45))


def test_every_action_is_in_the_key_bar_at_80_columns(tmp_path):
    from taskbook.tui.screens.main import KEYS
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        bar = app.screen.query_one("#keys")
        text = "\n".join(screen_text(app).splitlines()[-bar.size.height:])
        for _key, _action, label, _what in KEYS:
            assert f" {label} " in text

    drive(app, script, size=(80, 24))


def test_quit(tmp_path):
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(app, script)


# ------------------------------------------------------------------ live

def _insert_after_preamble(book: Path, line: str) -> None:
    """Write the book the way an editor or an agent without taskbook would."""
    data = book.read_bytes()
    head, sep, rest = data.partition(b"\n- context")
    book.write_bytes(head + f"\n{line}\n".encode() + sep + rest)


def test_outside_change_is_shown_and_survives_the_next_action(tmp_path):
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        _insert_after_preamble(book, "- 任务：agent 从外面加的")
        await wait_until(pilot, lambda: "agent 从外面加的" in screen_text(app), timeout=1.5)
        assert app.screen.selected_task().id == INVALID  # the selection stayed
        await pilot.press("s")

    drive(app, script)
    new = parse(book.read_bytes())
    assert new.tasks[0].title == "agent 从外面加的"
    assert new.by_id[INVALID].status is Status.WORKING


def test_action_right_after_an_outside_change_never_overwrites_it(tmp_path):
    """The board has not polled yet: the edit still lands on the new file."""
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        _insert_after_preamble(book, "- 任务：刚写的，board 还没看到")
        await pilot.press("d")                          # no pause: before the next poll

    drive(app, script)
    new = parse(book.read_bytes())
    assert new.tasks[0].title == "刚写的，board 还没看到"
    assert new.by_id[INVALID].status is Status.DONE


def test_reload_keeps_selection_and_scroll_position(tmp_path):
    book = make_project(tmp_path, "002")
    app = board_app(book)

    async def script(pilot):
        tree = app.screen.tree
        await pilot.press("h")
        for _ in range(40):
            await pilot.press("down")
        selected, top = tree.address, tree.top
        on_screen = tree.cursor - top
        assert top > 0
        # someone adds a task near the top of the file, above the cursor
        data = book.read_bytes()
        book.write_bytes(data.replace("- [*] **MessageKind 枚举**".encode(),
                                      "- [ ] outside\n- [*] **MessageKind 枚举**".encode(), 1))
        await wait_until(pilot, lambda: tree.has(next(
            t.id for t in parse(book.read_bytes()).all_tasks() if t.title == "outside")))
        assert tree.address == selected
        assert tree.cursor - tree.top == on_screen

    drive(app, script)


def test_a_half_written_book_keeps_the_last_good_one_on_screen(tmp_path):
    book = make_project(tmp_path)
    good = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        book.write_bytes(b"\xff\xfe not utf-8")
        await wait_until(pilot, lambda: "⚠" in screen_text(app))
        assert app.screen.tree.has(INVALID)
        book.write_bytes(good.replace("InvalidDataType".encode(), b"ValidDataType", 1))
        await wait_until(pilot, lambda: "ValidDataType" in screen_text(app))
        assert "⚠" not in screen_text(app)

    drive(app, script)


# ---------------------------------------------------------- what is shown

def test_markup_and_escape_sequences_in_titles_are_shown_literally(tmp_path):
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] [red]danger[/red] and [bold]x[/]\n"
                    "  - [ ] \x1b[31mescape\x1b[0m seq\n"
                    "- [?] plan [link](http://x) [blink]\n", encoding="utf-8")
    app = board_app(book)

    async def script(pilot):
        text = screen_text(app)
        assert "[red]danger[/red] and [bold]x[/]" in text
        assert "␛[31mescape␛[0m seq" in text
        assert "plan [link](http://x) [blink]" in text
        assert "[red]danger[/red]" in app.screen.detail.text

    drive(app, script)


def test_cjk_titles_keep_the_columns_aligned(tmp_path):
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        lines = screen_text(app).splitlines()[1:15]
        # the pane border sits in the same terminal column on every row,
        # whatever mix of wide and narrow characters the title has
        columns = {cell_len(line[:line.index("▏")]) for line in lines if "▏" in line}
        assert len(columns) == 1, columns
        assert any("罗列compilelog中各种未使用问题" in line for line in lines)

    drive(app, script, size=(140, 30))


def test_detail_shows_plan_log_and_sub_problems(tmp_path):
    book = make_project(tmp_path)
    app = board_app(book)

    async def script(pilot):
        await select(pilot, FIRST)
        text = app.screen.detail.text
        assert text.startswith("## 罗列compilelog")
        for part in ("- 分析：", "- 修改计划：", "- 执行记录：", "3. 修改后重新编译，确保无额外问题。"):
            assert part in text
        await pilot.press("h")
        await select(pilot, DONE_PARENT)
        text = app.screen.detail.text
        assert "### Sub-problems 0/3" in text
        assert "- `efkxk` **todo** WriteSplitDataTaskGroup接口设计问题" in text

    drive(app, script)


# ------------------------------------------------------------- the command

def test_board_command_with_a_missing_book_fails_in_one_line(tmp_path):
    r = run("--book", tmp_path / "nope.md", "board", cwd=tmp_path)
    assert "no book at" in assert_clean_error(r, 2)


def test_other_commands_never_import_textual(tmp_path):
    book = make_project(tmp_path)
    code = ("import sys; from taskbook.cli import main; "
            f"main(['--book', {str(book)!r}, 'list']); "
            f"main(['--book', {str(book)!r}, 'add', 'x']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_read_only_book_is_reported_not_crashed(tmp_path):
    book = make_project(tmp_path)
    os.chmod(book, stat.S_IRUSR | stat.S_IRGRP)
    old = book.read_bytes()
    app = board_app(book)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("s")
        assert "read-only" in screen_text(app)
        assert app.is_running

    drive(app, script)
    assert book.read_bytes() == old
