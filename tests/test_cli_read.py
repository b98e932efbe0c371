"""The read commands (list, show, stats, next) run as the real program on
copies of the user's books: issue 2's acceptance, book selection, and the
clear one-line failures of DESIGN.md's non-negotiable 5."""

from __future__ import annotations

import json
import re

import pytest

from cli_helpers import (
    SEEDS_DIR, all_tasks, assert_clean_error, copy_seed, run, run_json, show, walk,
)

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

STATUSES = {"todo", "planned", "approved", "working", "blocked", "done", "dropped", "unknown"}
SEED_000_FIRST = "罗列compilelog中各种未使用问题(error, import类的 warning 不看)，并逐个解决"


@pytest.fixture
def books(tmp_path):
    """copies of every seed in a temp dir: books["000"] -> Path"""
    return {n: copy_seed(n, tmp_path) for n in ("000", "001", "002", "003", "004")}


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s)


# ------------------------------------------------------------- JSON shape

@pytest.mark.parametrize("number", ["000", "001", "002"])
def test_list_json_shape_and_lines_match_the_file(books, number):
    book = books[number]
    r = run("--book", book, "list", "--all", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert isinstance(data["schema_version"], int)
    assert isinstance(data["tasks"], list) and data["tasks"]
    lines = book.read_text(encoding="utf-8").split("\n")
    ids = []
    for t in walk(data["tasks"]):
        for key in ("id", "title", "status", "marker", "line", "children", "sections"):
            assert key in t, f"task without {key!r}: {t}"
        assert t["status"] in STATUSES
        assert isinstance(t["line"], int) and t["line"] >= 1
        line = lines[t["line"] - 1]  # 1-based
        assert _norm(t["title"]) in _norm(line), (t["line"], t["title"], line)
        if t["marker"] is not None:
            assert t["marker"] in line
        for s in t["sections"]:
            assert {"kind", "label", "line", "entries"} <= set(s)
            assert s["label"] in lines[s["line"] - 1]
            for e in s["entries"]:   # (an entry's text may go on over more lines)
                assert e["text"].split("\n")[0] in lines[e["line"] - 1]
        ids.append(t["id"])
    assert len(ids) == len(set(ids)), "addresses are not unique"


def test_seed_000_counts_and_note(books):
    data = run_json("--book", books["000"], "list", "--all")
    top = data["tasks"]
    assert len(top) == 23
    assert sum(t["status"] == "done" for t in top) == 17
    titles = [t["title"] for t in walk(top)]
    assert not any("context提示" in t for t in titles), "`- context提示` is a note, not a task"
    # the review-tree sections of the first task are sections, not sub-tasks
    first = top[0]
    assert first["title"] == SEED_000_FIRST
    assert [s["kind"] for s in first["sections"]][:3] == ["analysis", "plan", "log"]
    assert first["children"] == []


def test_seed_000_duplicate_titles_have_distinct_addresses(books):
    dup = [t for t in all_tasks(books["000"])
           if t["title"] == "error[E0521]: borrowed data escapes outside of method"]
    assert len(dup) == 2
    assert dup[0]["id"] != dup[1]["id"]
    # each address shows its own task
    for t in dup:
        assert show(books["000"], t["id"])["line"] == t["line"]


def test_seed_002_stats(books):
    data = run_json("--book", books["002"], "stats")
    c = data["counts"]
    assert (c["done"], c["todo"], c["dropped"]) == (59, 94, 1)
    assert isinstance(data["schema_version"], int)
    assert data["progress"] == "59/153"
    assert data["groups"], "per heading group counts are missing"
    assert sum(g["counts"]["done"] for g in data["groups"]) == 59


def test_seed_002_stats_text(books):
    r = run("--book", books["002"], "stats")
    assert r.returncode == 0, r.stderr
    assert "59/153" in r.stdout


def test_seed_002_html_comment_and_strike(books):
    tasks = all_tasks(books["002"])
    assert not any("API 文档" in t["title"] and "OpenAPI" in t["title"] for t in tasks), \
        "the HTML-commented item is not a task"
    dropped = [t for t in tasks if t["status"] == "dropped"]
    assert len(dropped) == 1 and "任务分发策略" in dropped[0]["title"]


def test_seed_001_open_tasks(books):
    data = run_json("--book", books["001"], "list")
    shown = [t for t in walk(data["tasks"]) if not t.get("context")]
    assert len(shown) == 7
    assert all(t["status"] == "todo" for t in shown)
    lines = books["001"].read_text(encoding="utf-8").split("\n")
    assert all("⬜" in lines[t["line"] - 1] for t in shown)


def test_list_default_is_open_tasks_with_context(books):
    data = run_json("--book", books["000"], "list")
    for t in walk(data["tasks"]):
        if t.get("context"):
            assert any(not c.get("context") or c["children"] for c in t["children"])
        else:
            assert t["status"] not in ("done", "dropped")
    open_ids = {t["id"] for t in all_tasks(books["000"]) if t["status"] not in ("done", "dropped")}
    assert {t["id"] for t in walk(data["tasks"]) if not t.get("context")} == open_ids


def test_list_status_filter(books):
    data = run_json("--book", books["002"], "list", "--status", "dropped")
    shown = [t for t in walk(data["tasks"]) if not t.get("context")]
    assert [t["status"] for t in shown] == ["dropped"]


def test_list_unknown_status_is_usage_error(books):
    before = books["002"].read_bytes()
    r = run("--book", books["002"], "list", "--status", "finished-ish")
    assert_clean_error(r, 2)
    assert books["002"].read_bytes() == before


@pytest.mark.parametrize("number", ["003", "004"])
def test_plain_documents_have_no_tasks(books, number):
    r = run("--book", books[number], "list")
    assert r.returncode == 0, r.stderr
    assert "no tasks" in r.stderr
    assert r.stdout.strip() == ""
    data = run_json("--book", books[number], "list")
    assert data["tasks"] == []
    assert run_json("--book", books[number], "list", "--all")["tasks"] == []


def test_list_text_shows_addresses_and_titles(books):
    r = run("--book", books["000"], "list", "--all")
    assert r.returncode == 0, r.stderr
    for t in all_tasks(books["000"])[:10]:
        assert t["id"] in r.stdout
    assert "InvalidDataType" in r.stdout


# ------------------------------------------------------------------ show

def test_show_by_address_and_by_title_part(books):
    by_title = run_json("--book", books["000"], "show", "InvalidDataType")["task"]
    assert by_title["title"] == "InvalidDataType 不附带一些context以便debug吗？"
    assert by_title["line"] == 93
    by_id = run_json("--book", books["000"], "show", by_title["id"])["task"]
    assert by_id["id"] == by_title["id"] and by_id["line"] == 93
    # case-insensitive part of a title
    assert run_json("--book", books["000"], "show", "invaliddatatype")["task"]["id"] == by_title["id"]


def test_show_text_has_sections(books):
    r = run("--book", books["000"], "show", "罗列compilelog")
    assert r.returncode == 0, r.stderr
    assert "next_batch_id" in r.stdout       # from its 分析 section
    assert "分析log中还有没有error" in r.stdout  # its last log entry


def test_show_ambiguous_lists_candidates(books):
    r = run("--book", books["000"], "show", "borrowed data")
    msg = assert_clean_error(r, 2)
    ids = sorted(t["id"] for t in all_tasks(books["000"]) if "borrowed data" in t["title"])
    assert len(ids) == 2
    for i in ids:
        assert i in msg
    rj = run("--book", books["000"], "show", "borrowed data", "--json")
    assert rj.returncode == 2
    err = json.loads(rj.stderr)["error"]
    assert sorted(c["id"] for c in err["candidates"]) == ids


def test_show_unknown_address(books):
    r = run("--book", books["000"], "show", "zzzzzz-no-such-task")
    assert "zzzzzz-no-such-task" in assert_clean_error(r, 2)
    rj = run("--book", books["000"], "show", "zzzzzz-no-such-task", "--json")
    assert rj.returncode == 2
    assert "error" in json.loads(rj.stderr)
    assert rj.stdout == ""


# ------------------------------------------------------------------- next

def test_next_seed_000(books):
    data = run_json("--book", books["000"], "next")
    assert data["task"]["title"] == "修复 unique_id 移动问题"
    assert data["task"]["status"] == "todo"
    # the oldest unfinished task is the last top-level one of a newest-first book
    assert data["task"]["id"] == run_json("--book", books["000"], "list")["tasks"][-1]["id"]
    assert isinstance(data["plan"], list) and isinstance(data["log"], list)
    r = run("--book", books["000"], "next")
    assert r.returncode == 0, r.stderr
    assert "修复 unique_id 移动问题" in r.stdout + r.stderr


def test_next_resumes_a_working_task(books):
    r = run("--book", books["000"], "start", "InvalidDataType")
    assert r.returncode == 0, r.stderr
    assert run_json("--book", books["000"], "next")["task"]["title"].startswith("InvalidDataType")


def test_next_on_plain_document(books):
    assert run_json("--book", books["003"], "next")["task"] is None
    r = run("--book", books["003"], "next")
    assert r.returncode == 0


# ------------------------------------------------- clear failures (no traceback)

READ_COMMANDS = [["list"], ["list", "--json"], ["show", "x"], ["stats"], ["next", "--json"]]


@pytest.mark.parametrize("cmd", READ_COMMANDS, ids=lambda c: "-".join(c))
def test_missing_book(tmp_path, cmd):
    r = run("--book", tmp_path / "nope.md", *cmd)
    line = assert_clean_error(r, 2)
    if "--json" in cmd:
        assert json.loads(line)["error"]["message"]
    else:
        assert "nope.md" in line


def _bad_books(tmp_path):
    invalid = tmp_path / "invalid.md"
    invalid.write_bytes("# 任务\n\n- [ ] 好\n".encode() + b"- [ ] \xff\xfe bad\n")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"- [ ] a\n\x00\x01\x02\x00 binary\n")
    directory = tmp_path / "a-directory.md"
    directory.mkdir()
    return {"invalid-utf8": invalid, "binary": binary, "directory": directory}


@pytest.mark.parametrize("kind", ["invalid-utf8", "binary", "directory"])
@pytest.mark.parametrize("cmd", READ_COMMANDS + [["done", "a"], ["add", "x"], ["log", "a", "m"]],
                         ids=lambda c: "-".join(c))
def test_bad_book_is_one_line_exit_2(tmp_path, kind, cmd):
    book = _bad_books(tmp_path)[kind]
    before = book.read_bytes() if book.is_file() else None
    r = run("--book", book, *cmd)
    line = assert_clean_error(r, 2)
    if "--json" in cmd:
        assert json.loads(line)["error"]["message"]
    if kind == "directory":
        assert book.is_dir() and list(book.iterdir()) == []
    else:
        assert book.read_bytes() == before
    assert not list(tmp_path.glob(".*.tbtmp"))


def test_invalid_utf8_message_says_where(tmp_path):
    book = _bad_books(tmp_path)["invalid-utf8"]
    line = assert_clean_error(run("--book", book, "list"), 2)
    assert "UTF-8" in line and "line 4" in line


# ---------------------------------------------------------- which book

def test_taskbook_book_env(tmp_path, books):
    r = run("list", "--all", "--json", env={"TASKBOOK_BOOK": str(books["000"])}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["tasks"]) == 23


def test_book_option_beats_env(tmp_path, books):
    r = run("--book", books["002"], "stats", "--json", env={"TASKBOOK_BOOK": str(books["000"])})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["done"] == 59


def test_config_book_found_from_subdirectory(tmp_path):
    project = tmp_path / "project"
    (project / ".taskbook").mkdir(parents=True)
    (project / "docs").mkdir()
    copy_seed("002", project / "docs", "todo.md")
    (project / ".taskbook" / "config.yaml").write_text(
        "# my settings\nbook: docs/todo.md\n", encoding="utf-8")
    deep = project / "src" / "module" / "inner"
    deep.mkdir(parents=True)
    r = run("stats", "--json", cwd=deep)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["counts"]["done"] == 59
    assert data["book"].endswith("todo.md")


def test_default_book_name(tmp_path):
    copy_seed("000", tmp_path, "TASKBOOK.md")
    r = run("list", "--all", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["tasks"]) == 23


def test_default_book_name_at_project_root_from_subdirectory(tmp_path):
    (tmp_path / ".taskbook").mkdir()
    copy_seed("001", tmp_path, "TASKBOOK.md")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    data = run_json("list", cwd=sub)
    assert len([t for t in walk(data["tasks"]) if not t.get("context")]) == 7


def test_no_book_anywhere(tmp_path):
    r = run("list", cwd=tmp_path)
    line = assert_clean_error(r, 2)
    assert "TASKBOOK.md" in line


def test_reading_never_writes(books):
    before = {n: p.read_bytes() for n, p in books.items()}
    for n, p in books.items():
        for cmd in (["list", "--all", "--json"], ["stats"], ["next", "--json"], ["list"]):
            assert run("--book", p, *cmd).returncode == 0
    assert {n: p.read_bytes() for n, p in books.items()} == before


# ------------------------------------------------- shell completion of addresses
# The real protocol of typer 0.28 (typer/_completion_classes.py): the program
# is started with _TASKBOOK_COMPLETE=complete_<shell>; bash passes the words
# in COMP_WORDS and the index of the word being completed in COMP_CWORD and
# gets one value per line; zsh and fish pass the command line in
# _TYPER_COMPLETE_ARGS; fish prints "value<TAB>help".

def _complete_bash(words: str, cword: int, **env) -> list[str]:
    r = run(env={"_TASKBOOK_COMPLETE": "complete_bash", "COMP_WORDS": words,
                 "COMP_CWORD": str(cword), **env})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r.stdout.split()


def test_completion_bash_show(books):
    first = run_json("--book", books["000"], "list")["tasks"][0]
    assert first["title"].startswith("罗列compilelog")
    prefix = first["id"][:2]
    got = _complete_bash(f"taskbook --book {books['000']} show {prefix}", 4)
    assert first["id"] in got
    assert all(g.startswith(prefix) for g in got)


@pytest.mark.parametrize("words,cword", [
    ("taskbook --book {book} done {prefix}", 4),
    ("taskbook --book {book} log {prefix}", 4),
    ("taskbook --book {book} add X --under {prefix}", 6),
    ("taskbook --book {book} reject {prefix}", 4),
])
def test_completion_bash_every_verb(books, words, cword):
    target = [t for t in all_tasks(books["000"]) if t["title"].startswith("InvalidDataType")][0]
    got = _complete_bash(words.format(book=books["000"], prefix=target["id"][:3]), cword)
    assert target["id"] in got


def test_completion_offers_both_duplicates(books):
    dup = sorted(t["id"] for t in all_tasks(books["000"]) if "borrowed data" in t["title"])
    got = _complete_bash(f"taskbook --book {books['000']} show {dup[0][:2]}", 4)
    assert set(dup) <= set(got)


def test_completion_uses_taskbook_book_env(books):
    first = run_json("--book", books["000"], "list")["tasks"][0]["id"]
    got = _complete_bash(f"taskbook show {first[:2]}", 2, TASKBOOK_BOOK=str(books["000"]))
    assert first in got


def test_completion_uses_config_from_cwd(tmp_path):
    (tmp_path / ".taskbook").mkdir()
    book = copy_seed("000", tmp_path, "TASKBOOK.md")
    first = run_json("--book", book, "list")["tasks"][0]["id"]
    r = run(env={"_TASKBOOK_COMPLETE": "complete_bash", "COMP_WORDS": f"taskbook show {first[:2]}",
                 "COMP_CWORD": "2"}, cwd=tmp_path)
    assert first in r.stdout.split()


def test_completion_fish_has_status_and_title_as_help(books):
    dup = sorted(t["id"] for t in all_tasks(books["000"]) if "borrowed data" in t["title"])
    r = run(env={"_TASKBOOK_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                 "_TYPER_COMPLETE_ARGS": f"taskbook --book {books['000']} show {dup[0][:3]}"})
    assert r.returncode == 0, r.stderr
    rows = dict(line.split("\t", 1) for line in r.stdout.splitlines() if "\t" in line)
    for i in dup:
        assert rows[i] == "[done] error[E0521]: borrowed data escapes outside of method"


def test_completion_on_a_missing_book_offers_nothing(tmp_path):
    r = run(env={"_TASKBOOK_COMPLETE": "complete_bash",
                 "COMP_WORDS": f"taskbook --book {tmp_path / 'none.md'} show 8q", "COMP_CWORD": "4"})
    assert r.returncode == 0
    assert r.stdout.strip() == "" and "Traceback" not in r.stderr


def test_untrusted_text_is_shown_inert(tmp_path):
    """Escape sequences and rich markup in a title are shown, not obeyed."""
    book = tmp_path / "esc.md"
    book.write_bytes(b"# T\n\n- [ ] evil \x1b[31mred\x1b]0;pwned\x07 [bold]x[/bold]\n")
    for cmd in (["list"], ["show", "evil"], ["next"]):
        r = run("--book", book, *cmd)
        assert r.returncode == 0, r.stderr
        out = r.stdout + r.stderr
        assert "\x1b" not in out and "\x07" not in out, (cmd, out)
        assert "[bold]x[/bold]" in out, (cmd, out)
    data = run_json("--book", book, "list")
    assert data["tasks"][0]["title"] == "evil \x1b[31mred\x1b]0;pwned\x07 [bold]x[/bold]"
    r = run("--book", book, "show", "\x1b[2Jnothing")
    line = assert_clean_error(r, 2)
    assert "\x1b" not in line


def test_bidirectional_controls_in_a_title_are_shown_by_name(tmp_path):
    """U+202E (right-to-left override) would make the terminal show the rest
    of the line reversed: it is printed as its code, like other controls."""
    book = tmp_path / "bidi.md"
    book.write_text("- [ ] pay \u202eredro\u202c now\n", encoding="utf-8")
    for cmd in (["list"], ["next"], ["show", "pay"]):
        r = run("--book", book, *cmd)
        assert r.returncode == 0, r.stderr
        assert "\u202e" not in r.stdout and "\\u202e" in r.stdout, (cmd, r.stdout)
    assert run_json("--book", book, "list")["tasks"][0]["title"] == "pay \u202eredro\u202c now"
