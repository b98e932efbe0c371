"""The edit verbs run as the real program on copies of the user's books.

Every test looks at the whole file afterwards: which lines changed, that the
rest is byte-identical, that the book still parses and round-trips, and that
the new status reads back through `show --json` / `list --json` (issue 3).
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache

import pytest

from taskbook import parse

from cli_helpers import (
    SEEDS_DIR, all_tasks, assert_clean_error, assert_round_trip, copy_seed, diff_lines,
    inserted_lines, line_no, lines_of, replaced_lines, run, run_json, show, temp_files,
)

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

FIRST_000 = "罗列compilelog中各种未使用问题(error, import类的 warning 不看)，并逐个解决"
INVALID_000 = "InvalidDataType 不附带一些context以便debug吗？"
RETRY_002 = "**重试机制** - 实现任务失败重试和超时处理"


@lru_cache(maxsize=None)
def _pristine_ids(number: str) -> dict[str, str]:
    """title -> address in the unedited seed (titles that occur once)."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        book = copy_seed(number, Path(d))
        tasks = all_tasks(book)
    seen: dict[str, list[str]] = {}
    for t in tasks:
        seen.setdefault(t["title"], []).append(t["id"])
    return {title: ids[0] for title, ids in seen.items() if len(ids) == 1}


def tid(number: str, title: str) -> str:
    return _pristine_ids(number)[title]


def ok(*args, **kw):
    r = run(*args, **kw)
    assert r.returncode == 0, f"taskbook {' '.join(map(str, args))}: rc={r.returncode}\n{r.stderr}"
    assert "Traceback" not in r.stderr
    return r


# ====================================================== issue 3 acceptance

def test_done_changes_exactly_one_line_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    old = book.read_bytes()
    ok("--book", book, "done", "InvalidDataType 不附带一些context以便debug吗？")
    new = book.read_bytes()
    assert diff_lines(old, new) == [
        "-- 任务：InvalidDataType 不附带一些context以便debug吗？",
        "+- （done）任务：InvalidDataType 不附带一些context以便debug吗？",
    ]
    assert_round_trip(new)
    assert show(book, tid("000", INVALID_000))["status"] == "done"


def test_log_adds_one_line_inside_the_execution_log_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    old = book.read_bytes()
    last_entry = line_no(old, "- 下一步：分析log中还有没有error")
    first = show(book, tid("000", FIRST_000))
    log_section = [s for s in first["sections"] if s["kind"] == "log"][0]
    assert log_section["entries"][-1]["line"] == last_entry + 1
    ok("--book", book, "log", tid("000", FIRST_000), "核对了 compilelog 中的 error", "--no-time")
    new = book.read_bytes()
    added = inserted_lines(old, new)
    assert len(added) == 1
    j, text = added[0]
    assert j == last_entry + 1, "the entry goes right after the last existing entry"
    indent = re.match(r"\s*", lines_of(old)[last_entry]).group(0)
    assert indent == "      "
    assert text == indent + "- 核对了 compilelog 中的 error"
    assert_round_trip(new)
    log = [s for s in show(book, tid("000", FIRST_000))["sections"] if s["kind"] == "log"][0]
    assert log["entries"][-1]["text"] == "核对了 compilelog 中的 error"
    assert len(log["entries"]) == 8


def test_log_with_default_timestamp(tmp_path):
    book = copy_seed("000", tmp_path)
    old = book.read_bytes()
    ok("--book", book, "log", tid("000", FIRST_000), "带时间的记录")
    [(j, text)] = inserted_lines(old, book.read_bytes())
    assert re.fullmatch(r"      - \d{4}-\d\d-\d\d \d\d:\d\d 带时间的记录", text), text


def test_add_goes_on_top_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    old = book.read_bytes()
    ok("--book", book, "add", "X")
    new = book.read_bytes()
    added = inserted_lines(old, new)           # no existing line changed
    assert [t for _, t in added if t.strip()] == ["- 任务：X"]
    assert all(not t.strip() for _, t in added if t != "- 任务：X")  # blank separators only
    lines = lines_of(new)
    x = lines.index("- 任务：X")
    first = lines.index("- 任务：" + FIRST_000)
    note = lines.index("- context提示")
    assert note < x < first
    # the book separates top-level tasks with one blank line: so does the new one
    assert lines[x + 1:first] == [""]
    assert lines[x - 1] == ""
    assert_round_trip(new)
    data = run_json("--book", book, "list")
    assert data["tasks"][0]["title"] == "X" and data["tasks"][0]["status"] == "todo"


def test_done_on_checklist_uses_the_books_box_seed_002(tmp_path):
    book = copy_seed("002", tmp_path)
    old = book.read_bytes()
    ok("--book", book, "done", "重试机制")
    new = book.read_bytes()
    [(i, before, after)] = replaced_lines(old, new)
    assert before == "- [ ] " + RETRY_002
    assert after == "- [*] " + RETRY_002
    assert_round_trip(new)
    assert show(book, tid("002", RETRY_002))["status"] == "done"


@pytest.mark.parametrize("number", ["000", "002"])
def test_addresses_survive_adds_done_and_removal(tmp_path, number):
    book = copy_seed(number, tmp_path)
    before = {t["id"]: t["title"] for t in all_tasks(book)}
    some = next(iter(before))
    ok("--book", book, "add", "第一个新任务")
    ok("--book", book, "add", "第二个新任务", "--under", some)
    ok("--book", book, "add", "第三个新任务", "--plan", "步骤")
    after = {t["id"]: t["title"] for t in all_tasks(book)}
    assert {i: after.get(i) for i in before} == before
    assert len(after) == len(before) + 3
    # finishing one and removing another (by hand, as an editor would)
    victim = INVALID_000 if number == "000" else RETRY_002
    ok("--book", book, "done", some, "--force")
    lines = book.read_text(encoding="utf-8").split("\n")
    k = next(i for i, ln in enumerate(lines) if ln.endswith(victim))
    del lines[k]
    book.write_text("\n".join(lines), encoding="utf-8")
    final = {t["id"]: t["title"] for t in all_tasks(book)}
    expected = {i: t for i, t in after.items() if t != victim}
    assert final == expected


def test_duplicate_title_added_keeps_old_addresses(tmp_path):
    book = copy_seed("000", tmp_path)
    title = "error[E0521]: borrowed data escapes outside of method"
    old = {t["id"]: t["line"] for t in all_tasks(book) if t["title"] == title}
    assert len(old) == 2
    ok("--book", book, "add", title)
    new = {t["id"]: t["line"] for t in all_tasks(book) if t["title"] == title}
    assert len(new) == 3
    shift = 2  # the new task and its blank separator go on top
    for i, line in old.items():
        assert new[i] == line + shift, f"{i} now names a different task"


def test_next_text_and_json_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    assert run_json("--book", book, "next")["task"]["title"] == "修复 unique_id 移动问题"
    assert "修复 unique_id 移动问题" in ok("--book", book, "next").stdout


# ====================================== every verb, on three dialects

@dataclass
class Target:
    seed: str
    title: str            # exact title of the task the verbs act on
    done_line: str        # the task's line after `done` (a regex)
    add_line: str         # the line `add 全新任务` writes (a regex)
    xfail: dict = field(default_factory=dict)   # verb -> reason


TARGETS = {
    "000": Target("000", INVALID_000,
                  done_line=r"- （done）任务：InvalidDataType 不附带一些context以便debug吗？",
                  add_line=r"- 任务：全新任务"),
    "002": Target("002", RETRY_002,
                  done_line=r"- \[\*\] \*\*重试机制\*\* - 实现任务失败重试和超时处理",
                  add_line=r"- \[ \] 全新任务"),
    "001-heading": Target("001", "5. 实现错误处理和恢复机制",
                          done_line=r"### 5\. 实现错误处理和恢复机制 ✅",
                          add_line=r"#* ?全新任务 ⬜️?|- 全新任务 ⬜️?|.*全新任务.*⬜.*"),
    "001-bold": Target("001", "资源管理不当",
                       done_line=r"6\. \*\*资源管理不当\*\*：✅",
                       add_line=r".*全新任务.*⬜.*"),
}


@dataclass
class Verb:
    cmd: list                 # "{T}" is replaced by the target's address
    setup: list = field(default_factory=list)
    status: str | None = None  # the target's status afterwards
    change: str = "replace"   # replace | insert | replace+insert


VERBS = {
    "start": Verb(["start", "{T}"], status="working"),
    "done": Verb(["done", "{T}"], status="done"),
    "block": Verb(["block", "{T}"], status="blocked"),
    "drop": Verb(["drop", "{T}"], status="dropped"),
    "reopen": Verb(["reopen", "{T}"], setup=[["done", "{T}"]], status="todo"),
    "submit": Verb(["submit", "{T}"], setup=[["plan", "{T}", "先写测试"]], status="planned"),
    "approve": Verb(["approve", "{T}"], setup=[["plan", "{T}", "先写测试"], ["submit", "{T}"]],
                    status="approved"),
    "reject": Verb(["reject", "{T}", "--note", "计划缺少回滚步骤"],
                   setup=[["plan", "{T}", "先写测试"], ["submit", "{T}"]],
                   status="todo", change="replace+insert"),
    "plan": Verb(["plan", "{T}", "第一步：读代码", "第二步：改代码"], change="insert"),
    "log": Verb(["log", "{T}", "跑了一遍测试", "--no-time"], change="insert"),
    "add": Verb(["add", "全新任务"], change="insert"),
    "add-under": Verb(["add", "新的子问题", "--under", "{T}"], change="insert"),
    "add-plan": Verb(["add", "带计划的新任务", "--plan", "分析", "--plan", "实施"], change="insert"),
}


def _params():
    out = []
    for tname, target in TARGETS.items():
        for vname in VERBS:
            marks = []
            if vname in target.xfail:
                marks.append(pytest.mark.xfail(reason=target.xfail[vname], strict=True))
            out.append(pytest.param(tname, vname, id=f"{tname}-{vname}", marks=marks))
    return out


def _fill(cmd: list, address: str) -> list:
    return [address if a == "{T}" else a for a in cmd]


@pytest.mark.parametrize("tname,vname", _params())
def test_verb(tmp_path, tname, vname):
    target, verb = TARGETS[tname], VERBS[vname]
    book = copy_seed(target.seed, tmp_path)
    address = tid(target.seed, target.title)
    for step in verb.setup:
        ok("--book", book, *_fill(step, address))
    old = book.read_bytes()
    old_task = {"line": parse(old).by_id[address].line + 1}
    ok("--book", book, *_fill(verb.cmd, address))
    new = book.read_bytes()
    assert new != old
    assert_round_trip(new)
    task = show(book, address)          # same address, same task
    assert task["title"] == target.title
    if verb.status:
        assert task["status"] == verb.status

    if verb.change == "replace":
        [(i, before, after)] = replaced_lines(old, new)
        assert i == old_task["line"] - 1, "the changed line is the task's own line"
        assert target.title in after or re.sub(r"\*\*", "", target.title) in after
        if vname == "done":
            assert re.fullmatch(target.done_line, after), after
    elif verb.change == "replace+insert":
        # put the task's old line back: what remains must be pure insertions
        new_lines = new.split(b"\n")
        k = task["line"] - 1
        assert new_lines[k] != old.split(b"\n")[old_task["line"] - 1]
        new_lines[k] = old.split(b"\n")[old_task["line"] - 1]
        added = inserted_lines(old, b"\n".join(new_lines))
        assert added and all(task["line"] <= j + 1 <= task["end_line"] for j, t in added if t.strip())
    else:
        added = inserted_lines(old, new)
        assert added
        texts = [t for _, t in added if t.strip()]
        if vname in ("plan", "log", "add-under"):
            # the inserted lines lie inside the task
            assert all(task["line"] <= j + 1 <= task["end_line"] for j, t in added if t.strip()), added
        if vname == "add":
            assert len(texts) == 1 and re.fullmatch(target.add_line, texts[0].strip()), texts

    sections = {s["kind"]: [e["text"] for e in s["entries"]] for s in task["sections"]}
    if vname == "plan":
        assert sections["plan"][-2:] == ["第一步：读代码", "第二步：改代码"]
    if vname == "log":
        assert sections["log"][-1] == "跑了一遍测试"
    if vname == "reject":
        assert sections["log"][-1].endswith("计划缺少回滚步骤")
    if vname.startswith("add"):
        title = {"add": "全新任务", "add-under": "新的子问题", "add-plan": "带计划的新任务"}[vname]
        tasks = all_tasks(book)
        [new_task] = [t for t in tasks if t["title"] == title]
        assert new_task["status"] == "todo"
        if vname == "add-under":
            assert new_task["parent"] == address
            assert title in [c["title"] for c in show(book, address)["children"]]
        if vname == "add-plan":
            plan = [s for s in new_task["sections"] if s["kind"] == "plan"]
            assert [e["text"] for e in plan[0]["entries"]] == ["分析", "实施"]
        # every task of the book before the add is still there, same address
        before_ids = set(_pristine_ids(target.seed).values())
        assert before_ids <= {t["id"] for t in tasks}


CYCLE = [("start", "working"), ("block", "blocked"), ("done", "done"), ("reopen", "todo"),
         ("drop", "dropped"), ("reopen", "todo"), ("block", "blocked"), ("start", "working"),
         ("reopen", "todo")]


@pytest.mark.parametrize("tname", list(TARGETS))
def test_status_cycle_leaves_no_trace(tmp_path, tname):
    """Status verbs one after another: each changes only the task's line, and
    back at todo the line is exactly what the author wrote (no stale tag)."""
    target = TARGETS[tname]
    book = copy_seed(target.seed, tmp_path)
    address = tid(target.seed, target.title)
    original = book.read_bytes()
    k = parse(original).by_id[address].line
    for verb, status in CYCLE:
        old = book.read_bytes()
        r = ok("--book", book, verb, address, "--json")
        assert json.loads(r.stdout)["task"]["status"] == status, verb
        new = book.read_bytes()
        changed = replaced_lines(old, new)
        assert [i for i, _, _ in changed] in ([k], []), f"{verb}: {changed}"
        again = parse(new)
        assert again.render() == new
        assert again.by_id[address].status.value == status, (verb, lines_of(new)[k])
        if status == "todo":
            assert new == original, f"after {verb}: {lines_of(new)[k]!r}"


def test_native_blocked_emoji_is_replaced_cleanly(tmp_path):
    book = tmp_path / "plan.md"
    book.write_text("# 计划\n\n### 1. 第一步 ✅\n\n说明\n\n### 2. 第二步 ⛔\n\n说明\n", encoding="utf-8")
    assert [t["status"] for t in all_tasks(book)] == ["done", "blocked"]
    ok("--book", book, "done", "第二步")
    assert book.read_text(encoding="utf-8").split("\n")[6] == "### 2. 第二步 ✅"
    ok("--book", book, "reopen", "第二步")
    assert book.read_text(encoding="utf-8").split("\n")[6] == "### 2. 第二步 ⬜️"


@pytest.mark.parametrize("number,title,message", [
    ("002", RETRY_002, "[ ] 以后再看超时的边界"),
    ("002", RETRY_002, "[x] 跑过测试"),
    ("000", INVALID_000, "任务：顺手修一下日志格式"),
    ("000", INVALID_000, "子问题1：还没弄清楚"),
], ids=["box-open", "box-done", "label", "sub-problem"])
def test_log_message_never_becomes_a_task(tmp_path, number, title, message):
    book = copy_seed(number, tmp_path)
    address = tid(number, title)
    before = len(all_tasks(book))
    ok("--book", book, "log", "--no-time", address, "--", message)
    assert len(all_tasks(book)) == before, "the log entry became a task"
    assert show(book, address)["sections"][-1]["entries"][-1]["text"] == message   # as written
    ok("--book", book, "done", address)   # no sub-problem appeared to block it


def test_verb_json_output(tmp_path):
    book = copy_seed("000", tmp_path)
    r = ok("--book", book, "start", tid("000", INVALID_000), "--json")
    data = json.loads(r.stdout)
    assert data["task"]["id"] == tid("000", INVALID_000)
    assert data["task"]["status"] == "working"


# ============================================== refusals leave the book alone

def _refused(book, *args, code=2):
    old = book.read_bytes()
    r = run("--book", book, *args)
    line = assert_clean_error(r, code)
    assert book.read_bytes() == old, "a refused edit changed the book"
    assert not temp_files(book.parent)
    return line


def test_done_refused_with_open_sub_problems_then_forced_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    parent = tid("000", "编译验证")
    child = tid("000", "修复编译错误")
    line = _refused(book, "done", parent)
    assert child in line
    old = book.read_bytes()
    ok("--book", book, "done", parent, "--force")
    [(i, before, after)] = replaced_lines(old, book.read_bytes())
    assert before.strip().endswith("编译验证") and "（done）" in after
    assert show(book, parent)["status"] == "done"
    assert show(book, child)["status"] == "todo"


@pytest.mark.parametrize("number,title", [("002", RETRY_002), ("001", "5. 实现错误处理和恢复机制")])
def test_done_refused_with_open_sub_problems_then_forced(tmp_path, number, title):
    book = copy_seed(number, tmp_path)
    address = tid(number, title)
    ok("--book", book, "add", "还没做完的子问题", "--under", address)
    _refused(book, "done", address)
    ok("--book", book, "done", address, "--force")
    assert show(book, address)["status"] == "done"
    assert_round_trip(book.read_bytes())


def test_submit_refused_without_plan(tmp_path):
    book = copy_seed("000", tmp_path)
    line = _refused(book, "submit", tid("000", INVALID_000))
    assert "plan" in line


def test_approve_refused_unless_planned(tmp_path):
    book = copy_seed("000", tmp_path)
    a = tid("000", INVALID_000)
    _refused(book, "approve", a)
    ok("--book", book, "plan", a, "一步")
    _refused(book, "approve", a)        # a plan alone is not a request for review
    ok("--book", book, "submit", a)
    ok("--book", book, "approve", a)
    assert show(book, a)["status"] == "approved"


def test_reject_needs_a_note(tmp_path):
    book = copy_seed("000", tmp_path)
    a = tid("000", INVALID_000)
    ok("--book", book, "plan", a, "一步")
    ok("--book", book, "submit", a)
    old = book.read_bytes()
    r = run("--book", book, "reject", a)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert book.read_bytes() == old
    _refused(book, "reject", a, "--note", "   ")


def test_reject_refused_when_not_under_review(tmp_path):
    book = copy_seed("000", tmp_path)
    _refused(book, "reject", tid("000", INVALID_000), "--note", "不行")


def test_group_on_a_book_without_that_heading(tmp_path):
    book = copy_seed("000", tmp_path)
    _refused(book, "add", "X", "--group", "没有这个标题")


UNKNOWN = "qqqqq-no-such-task"


@pytest.mark.parametrize("args", [
    ["done", UNKNOWN], ["start", UNKNOWN], ["block", UNKNOWN], ["drop", UNKNOWN],
    ["reopen", UNKNOWN], ["submit", UNKNOWN], ["approve", UNKNOWN],
    ["reject", UNKNOWN, "--note", "n"], ["log", UNKNOWN, "m"], ["plan", UNKNOWN, "s"],
    ["add", "X", "--under", UNKNOWN],
], ids=lambda a: a[0] if a[0] != "add" else "add-under")
def test_unknown_address_leaves_book_identical(tmp_path, args):
    book = copy_seed("000", tmp_path)
    assert UNKNOWN in _refused(book, *args)


def test_ambiguous_address_on_an_edit(tmp_path):
    book = copy_seed("000", tmp_path)
    line = _refused(book, "done", "borrowed data")
    dup = [t["id"] for t in all_tasks(book) if "borrowed data" in t["title"]]
    assert len(dup) == 2 and all(i in line for i in dup)


def test_ambiguous_address_json_error(tmp_path):
    book = copy_seed("000", tmp_path)
    old = book.read_bytes()
    r = run("--book", book, "done", "borrowed data", "--json")
    assert r.returncode == 2
    err = json.loads(r.stderr)["error"]
    assert len(err["candidates"]) == 2
    assert book.read_bytes() == old


def test_read_only_book(tmp_path):
    book = copy_seed("002", tmp_path)
    os.chmod(book, 0o444)
    line = _refused(book, "done", "重试机制")
    assert "read-only" in line or "permission" in line
    assert stat.S_IMODE(book.stat().st_mode) == 0o444


def test_missing_book_on_edit(tmp_path):
    line = assert_clean_error(run("--book", tmp_path / "gone.md", "done", "x"), 2)
    assert "gone.md" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664])
def test_file_mode_is_kept(tmp_path, mode):
    book = copy_seed("000", tmp_path)
    os.chmod(book, mode)
    ok("--book", book, "done", tid("000", INVALID_000))
    ok("--book", book, "add", "新任务")
    assert stat.S_IMODE(book.stat().st_mode) == mode
    assert not temp_files(tmp_path)


def test_symlinked_book_is_edited_through_the_link(tmp_path):
    real = copy_seed("002", tmp_path)
    link = tmp_path / "link.md"
    link.symlink_to(real.name)
    ok("--book", link, "done", "重试机制")
    assert link.is_symlink(), "the symbolic link was replaced by a file"
    assert b"- [*] " + RETRY_002.encode() in real.read_bytes()


# ================================================ line endings and BOM

def _crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


EDITS_000 = [
    ["done", "InvalidDataType"],
    ["log", FIRST_000[:12], "一条记录", "--no-time"],
    ["add", "X"],
    ["plan", "InvalidDataType", "第一步"],
    ["add", "子问题", "--under", "InvalidDataType"],
    ["start", "增加注释分析介绍"],
]
EDITS_002 = [
    ["done", "重试机制"],
    ["add", "新任务"],
    ["log", "重试机制", "一条记录", "--no-time"],
    ["add", "组里的任务", "--group", "1.2 数据模型定义"],
    ["drop", "**心跳协议**"],
]


@pytest.mark.parametrize("number,edits,variant", [
    ("000", EDITS_000, "crlf"), ("000", EDITS_000, "bom"), ("002", EDITS_002, "crlf+bom"),
], ids=["000-crlf", "000-bom", "002-crlf+bom"])
def test_crlf_and_bom_are_kept(tmp_path, number, edits, variant):
    """The same edits on an LF copy and on a CRLF/BOM copy give the same
    book, up to line endings and BOM."""
    (tmp_path / "lf").mkdir()
    (tmp_path / "v").mkdir()
    lf = copy_seed(number, tmp_path / "lf")
    other = tmp_path / "v" / lf.name
    data = lf.read_bytes()
    if "crlf" in variant:
        data = _crlf(data)
    if "bom" in variant:
        data = b"\xef\xbb\xbf" + data
    other.write_bytes(data)
    for e in edits:
        ok("--book", lf, *e)
        ok("--book", other, *e)
        got = other.read_bytes()
        if "bom" in variant:
            assert got.startswith(b"\xef\xbb\xbf")
            got = got[3:]
            assert not got.startswith(b"\xef\xbb\xbf")
        if "crlf" in variant:
            assert got.count(b"\n") == got.count(b"\r\n"), f"a bare LF after {e}"
            assert got == _crlf(lf.read_bytes()), f"after {e}"
        else:
            assert got == lf.read_bytes()
        assert_round_trip(other.read_bytes())


def test_small_crlf_bom_checklist(tmp_path):
    book = tmp_path / "todo.md"
    book.write_bytes(b"\xef\xbb\xbf# Todo\r\n\r\n- [ ] one\r\n- [x] two\r\n")
    ok("--book", book, "done", "one")
    ok("--book", book, "add", "three")
    ok("--book", book, "log", "one", "hello", "--no-time")
    data = book.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# Todo\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert b"- [x] one\r\n" in data and b"- [ ] three\r\n" in data and b"hello\r\n" in data
    assert data.endswith(b"\r\n")


@pytest.mark.parametrize("edit", [["add", "three"], ["done", "two"], ["log", "two", "m", "--no-time"],
                                  ["plan", "two", "s"], ["add", "sub", "--under", "two"]],
                         ids=lambda e: e[0] + ("-under" if "--under" in e else ""))
@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_no_final_newline_stays_without(tmp_path, edit, eol):
    book = tmp_path / "todo.md"
    book.write_bytes(eol.join(["# Todo", "", "- [ ] one", "- [ ] two"]).encode())
    ok("--book", book, *edit)
    data = book.read_bytes()
    assert not data.endswith(b"\n"), data[-40:]
    if eol == "\r\n":
        assert data.count(b"\n") == data.count(b"\r\n")
    assert_round_trip(data)
    if edit[0] == "add" and "--under" not in edit:
        assert data.decode().split(eol)[-1] == "- [ ] three"


@pytest.mark.parametrize("number", ["000", "002"])
def test_no_final_newline_seed(tmp_path, number):
    book = copy_seed(number, tmp_path)
    book.write_bytes(book.read_bytes().rstrip(b"\n"))
    edits = EDITS_000 if number == "000" else EDITS_002
    for e in edits:
        ok("--book", book, *e)
        assert not book.read_bytes().endswith(b"\n"), f"after {e}"
    assert_round_trip(book.read_bytes())


# ============================================== plan --edit ($EDITOR)

def test_plan_edit_uses_editor(tmp_path):
    book = copy_seed("000", tmp_path)
    editor = tmp_path / "fake-editor.py"
    import sys
    editor.write_text(
        "import sys\n"
        "p = sys.argv[1]\n"
        "t = open(p, encoding='utf-8').read()\n"
        "assert 'InvalidDataType' in t, t\n"
        "open(p, 'w', encoding='utf-8').write('具体步骤：\\n1. 给错误加上下文\\n2. 加测试\\n')\n",
        encoding="utf-8")
    old = book.read_bytes()
    a = tid("000", INVALID_000)
    ok("--book", book, "plan", a, "--edit", env={"EDITOR": f"{sys.executable} {editor}"})
    added = [t for _, t in inserted_lines(old, book.read_bytes())]
    assert any("给错误加上下文" in t for t in added) and any("加测试" in t for t in added)
    plan = [s for s in show(book, a)["sections"] if s["kind"] == "plan"][0]
    assert [e["text"] for e in plan["entries"]][-2:] == ["给错误加上下文", "加测试"]


def test_plan_edit_failing_editor_writes_nothing(tmp_path):
    book = copy_seed("000", tmp_path)
    old = book.read_bytes()
    r = run("--book", book, "plan", tid("000", INVALID_000), "--edit", env={"EDITOR": "false"})
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert book.read_bytes() == old


# =========================================== a new book, in a plain file

def test_add_to_a_missing_book_creates_it(tmp_path):
    book = tmp_path / "new.md"
    ok("--book", book, "add", "first")
    assert book.exists()
    assert [t["title"] for t in all_tasks(book)] == ["first"]


def test_add_to_a_plain_document_seed_003(tmp_path):
    book = copy_seed("003", tmp_path)
    old = book.read_bytes()
    ok("--book", book, "add", "第一个任务")
    added = inserted_lines(old, book.read_bytes())
    assert [t for _, t in added if t.strip()] and all("第一个任务" in t or not t.strip() for _, t in added)
    assert [t["title"] for t in all_tasks(book)] == ["第一个任务"]


# ------------------------------------------- found by review, pinned here

def test_the_config_order_holds_through_an_edit(tmp_path):
    """Two equal titles: with `order: oldest-first` the second one is the
    newer (-2); an edit must land on it and report it as that task."""
    from taskbook import actions
    from taskbook.config import Config
    from taskbook.store import load
    path = tmp_path / "b.md"
    path.write_text("- Task: X\n- Task: Y\n- Task: X\n", encoding="utf-8")
    target = actions.BookTarget(path, Config(None, {"log": {"timestamp": False}}),
                                order="oldest-first")
    second = [t for t in load(path, "oldest-first").book.all_tasks() if t.line == 2][0]
    out = actions.status_verb(target, "start", second.id)
    assert out.task is not None and out.task.line == 2 and out.task.id == second.id
    assert path.read_text(encoding="utf-8").splitlines()[2].startswith("- (working) Task: X")


def test_plan_steps_are_trimmed(tmp_path):
    from taskbook import actions
    from taskbook.config import Config
    path = tmp_path / "b.md"
    path.write_text("- [ ] a\n- [ ] b\n", encoding="utf-8")
    target = actions.BookTarget(path, Config(None))
    t = actions.add_plan(target, "a", ["  first \n", "second\n"]).task
    assert [e.text for e in t.section("plan").entries] == ["first", "second"]
    assert "\n\n" not in path.read_text(encoding="utf-8")
    with pytest.raises(Exception, match="empty"):
        actions.add_plan(target, "a", ["ok", " \n"])


def test_habits_older_than_the_newest_tasks_are_still_followed():
    """The newest 200 tasks show no status mark: the older ones say how
    marks are written (after the title, full-width)."""
    from taskbook import edit as ed
    from taskbook.model import Status
    from taskbook.parse import parse
    from taskbook.style import RECENT, Style
    lines = [f"- 任务：new {k}" for k in range(RECENT + 50)]
    lines += [f"- 任务：old {k}（done）" for k in range(5)]
    book = parse(("\n".join(lines) + "\n").encode())
    change = ed.set_status(book, book.tasks[0], Status.DONE, Style(book))
    assert change.lines[0] == "- 任务：new 0（done）"
