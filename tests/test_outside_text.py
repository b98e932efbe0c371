"""Text from outside never becomes structure (issue 12, deliverable 4).

A log message, a plan step, a `--note` or a task title may hold newlines and
anything a line of markdown can start with.  Written into the book, it stays
one entry (or one title): no task, section or heading appears, for taskbook's
parser and for a reference CommonMark parser (markdown-it) alike, and
`show --json` gives the message back as written.  Every front end that takes
such text is driven for real: the CLI as a process and the MCP server
through its client.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from conftest import FUZZ_EXAMPLES
from taskbook import edit as ed
from taskbook.parse import parse, parse_text
from taskbook.parse.verbatim import entry_text, escape, message_lines, unescape
from taskbook.style import Style

from cli_helpers import run, run_json

HOSTILE = "\n".join([
    "first line",
    "- [ ] injected task",
    "* [x] another",
    "1. [ ] numbered",
    "2) (done) sub-problem form",
    "任务：labelled",
    "# heading",
    "## Plan:",
    "- Plan:",
    "```",
    "~~~ fence",
    "---",
    "***",
    "===",
    "| a | b |",
    "<!-- comment -->",
    "<div>",
    "> quote",
    "   - indented item",
    "\t- tabbed item",
    "\\- already escaped",
    "\\",
    "",
    "after a blank line",
    "    - [ ] deep",
])

CHECKLIST = "# Tasks\n\n- [ ] target\n  - Log:\n    - old\n\n- [ ] other\n"
REVIEW = "- 任务：target\n  - 执行记录：\n    - 旧的\n\n- 任务：other\n"


def ok(*args: object) -> None:
    r = run(*args)
    assert r.returncode == 0, r.stderr


def _md_structure(text: str) -> tuple[int, int]:
    """(list items, headings) markdown-it finds."""
    toks = MarkdownIt("commonmark").parse(text)
    return (sum(t.type == "list_item_open" for t in toks),
            sum(t.type == "heading_open" for t in toks))


def _entries(book: bytes, title: str, kind: str) -> list[str]:
    t = next(t for t in parse(book).all_tasks() if t.title == title)
    s = t.section(kind)
    return [e.text for e in s.entries] if s else []


# ------------------------------------------------------------ the escaping

@settings(max_examples=FUZZ_EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(st.sampled_from(list("-*+#>|<`~=_[]()\\:：1.) \tx任务Ta✅")), max_size=12),
       st.booleans(), st.booleans())
def test_unescape_inverts_escape(text, first, ordered):
    assert unescape(escape(text, first=first, ordered=ordered, emoji=True),
                    first=first, ordered=ordered) == text


def _message_lines():
    line = st.text(st.sampled_from(list("-*+#>|<`~=_[] \tx1.)\\任务：(done)✅")), max_size=10)
    return st.lists(line, min_size=1, max_size=6).map("\n".join).map(str.strip).filter(bool)


@settings(max_examples=FUZZ_EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_message_lines(), st.sampled_from(["log", "plan"]), st.sampled_from([CHECKLIST, REVIEW]))
def test_any_message_is_one_entry_read_back_as_written(message, kind, book_text):
    book = parse_text(book_text)
    target = book.tasks[0]
    before = (len(list(book.all_tasks())), [(s.kind, s.label) for s in target.sections])
    if kind == "log":
        change = ed.add_log(book, target, message, style=Style(book))
    else:
        change = ed.add_plan(book, target, [message], style=Style(book))
    new = change.parse()
    t = new.tasks[0]
    assert (len(list(new.all_tasks())), [(s.kind, s.label) for s in t.sections
                                         if (s.kind, s.label) in before[1]]) == before
    assert len(new.groups) == len(book.groups)
    assert t.section(kind).entries[-1].text == "\n".join(message_lines(message))
    # a reference CommonMark parser sees one more list item and no heading
    items, headings = _md_structure(change.text)
    assert (items, headings) == (_md_structure(book_text)[0] + 1 + (kind == "plan"
                                 and target.section("plan") is None),
                                 _md_structure(book_text)[1])


def test_hand_written_multi_line_entries_read_as_they_render():
    lines = ["- Log:", "  - first", "    second", "    \\- third", "  - - nested"]
    assert entry_text(lines, 1, 4, 4, False) == "first\nsecond\n- third"


# ------------------------------------------------------------ the CLI

@pytest.fixture
def book(tmp_path):
    path = tmp_path / "book.md"
    path.write_text(CHECKLIST, encoding="utf-8")
    return path


def _check_book(path, tasks: int) -> None:
    data = path.read_bytes()
    assert len(list(parse(data).all_tasks())) == tasks
    assert _md_structure(data.decode())[1] == 1          # only "# Tasks"


def test_cli_log_keeps_a_multi_line_message_as_one_entry(book):
    ok("--book", book, "log", "--no-time", "target", "--", HOSTILE)
    _check_book(book, 2)
    assert _entries(book.read_bytes(), "target", "log") == ["old", HOSTILE]
    task = run_json("--book", book, "show", "target")["task"]
    assert [s["entries"] for s in task["sections"] if s["kind"] == "log"][0][-1]["text"] == HOSTILE


def test_cli_plan_steps_and_add_plan_stay_steps(book):
    ok("--book", book, "plan", "target", "--", HOSTILE, "second\n- [ ] step")
    ok("--book", book, "add", "new one", "--plan", HOSTILE)
    _check_book(book, 3)
    assert _entries(book.read_bytes(), "target", "plan") == [HOSTILE, "second\n- [ ] step"]
    assert _entries(book.read_bytes(), "new one", "plan") == [HOSTILE]


def test_cli_note_of_a_status_verb_stays_one_entry(book):
    ok("--book", book, "block", "target", "--note", HOSTILE)
    _check_book(book, 2)
    entries = _entries(book.read_bytes(), "target", "log")
    assert len(entries) == 2 and entries[-1].endswith("blocked: " + HOSTILE)


def test_cli_add_title_with_newlines_is_one_task(book):
    ok("--book", book, "add", "title\n- [ ] injected\n# heading")
    _check_book(book, 3)
    titles = [t.title for t in parse(book.read_bytes()).all_tasks()]
    assert "title - [ ] injected # heading" in titles


# ------------------------------------------------------------ MCP

def test_mcp_log_plan_add_and_note_stay_text(book, tmp_path):
    pytest.importorskip("mcp", reason="the mcp package is not installed")
    from test_mcp import payload, server, session_run

    async def body(s) -> None:
        payload(await s.call_tool("log", {"id": "target", "message": HOSTILE}))
        payload(await s.call_tool("plan", {"id": "target", "steps": [HOSTILE]}))
        payload(await s.call_tool("add", {"title": "via mcp\n- [ ] x", "plan": [HOSTILE]}))
        payload(await s.call_tool("block", {"id": "other", "note": HOSTILE}))
        shown = payload(await s.call_tool("show", {"id": "target"}))
        logs = [s for s in shown["task"]["sections"] if s["kind"] == "log"][0]["entries"]
        assert logs[-1]["text"].endswith(HOSTILE)

    session_run(server("--book", str(book), cwd=tmp_path), body)
    _check_book(book, 3)
    data = book.read_bytes()
    assert _entries(data, "target", "plan") == [HOSTILE]
    assert _entries(data, "via mcp - [ ] x", "plan") == [HOSTILE]
    assert _entries(data, "other", "log")[-1].endswith("blocked: " + HOSTILE)
    assert json.loads(json.dumps(_entries(data, "target", "log")))[-1].endswith(HOSTILE)
