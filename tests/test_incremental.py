"""The local re-parse after an edit (taskbook.parse.incremental).

Its result must be exactly the whole parse of the edited text, whatever the
book and the edit; and it must really be taken for the everyday edits of
real books, or it is dead weight.  Every comparison here is against
`parse_text` of the same text, through `describe` (every field of the model,
Items included).  The test suite also runs with TASKBOOK_VERIFY_REPARSE=1,
so every edit any test makes is checked the same way.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FUZZ_EXAMPLES, book_bytes, book_params, seed_path
from model_helpers import describe

from taskbook import cache
from taskbook import edit as ed
from taskbook.parse import parse, parse_text
from taskbook.style import Style

incremental = importlib.import_module("taskbook.parse.incremental")


def _revisions(data: bytes, pick: int):
    """Edits of the book `data`, each made on a fresh parse: (name, Change)."""
    def fresh():
        return parse(data)
    tasks = list(fresh().all_tasks())
    out = []
    for name in ("add", "add-under", "log", "plan", "status", "problems"):
        book = fresh()
        ts = list(book.all_tasks())
        t = ts[pick % len(ts)] if ts else None
        style = Style(book)
        if name == "add":
            text = ed.add_task(book, "新任务 from the test", style=style)
        elif t is None:
            continue
        elif name == "add-under":
            text = ed.add_task(book, "a sub-problem", under=t, style=style)
        elif name == "log":
            text = ed.add_log(book, t, "an entry", style=style)
        elif name == "plan":
            text = ed.add_plan(book, t, ["first step", "second step"], style=style)
        elif name == "status":
            from taskbook.model import Status
            text = ed.set_status(book, t, Status.DONE if t.status.is_open else Status.TODO, style)
        else:
            text = ed.add_entries(book, t, "problems", ["a problem met"], numbered=False, style=style)
        out.append((name, text))
    assert tasks is not None
    return out


def _check(data: bytes, pick: int = 0) -> dict[str, bool]:
    """Every edit's local re-parse equals the whole parse and leaves the
    book it was made from as it was; which ones were local."""
    local = {}
    for name, change in _revisions(data, pick):
        assert isinstance(change, ed.Change)
        base = describe(change.base)
        whole = parse_text(change.text, change.base.bom)
        a, b, k = change.span
        assert change.lines[:a] == whole.lines[:a]
        got = incremental.reparse(change.base, change.lines, a, b, k)
        local[name] = got is not None
        if got is not None:
            assert describe(got) == describe(whole), name
        assert describe(change.base) == base, name
    return local


@pytest.mark.parametrize("src", book_params())
def test_every_edit_of_every_book_reparses_exactly(src):
    data = src.read_bytes()
    for pick in (0, 3, 11):
        _check(data, pick)


def test_the_everyday_edits_of_seed_000_are_local():
    data = seed_path("000").read_bytes()
    for pick in range(0, 40, 7):
        local = _check(data, pick)
        assert all(local.values()), (pick, local)


@pytest.mark.parametrize("style", ["review", "checklist"])
def test_the_everyday_edits_of_a_large_generated_book_are_local(style):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from gen_book import generate
    data = generate(300, style).encode("utf-8")
    for pick in (0, 50, 299):
        local = _check(data, pick)
        assert all(local.values()), (pick, local)


@settings(max_examples=FUZZ_EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(book_bytes(), st.integers(0, 1000))
def test_generated_books_and_edits_reparse_exactly(data, pick):
    _check(data, pick)


def test_a_book_read_from_the_cache_reparses_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MIN_SIZE", 0)
    data = seed_path("000").read_bytes()
    path = tmp_path / "b.md"
    cache.save(path, data, parse(data))
    for pick in (0, 5, 17):
        book = cache.load(path, data)
        t = list(book.all_tasks())[pick]
        before = describe(book)
        change = ed.add_log(book, t, "from the cache", style=Style(book))
        got = incremental.reparse(book, change.lines, *change.span)
        assert got is not None
        assert describe(got) == describe(parse_text(change.text, False))
        assert describe(book) == before


@pytest.mark.parametrize("book, why", [
    ("# T\n\n- [ ] a ✅\n- [ ] b\n", "status emoji anywhere: the book could turn marked"),
    ("- [ ] a\n- [ ] b\n<!-- - [ ] c -->\n", "an HTML block right after the item"),
    ("- [ ] a\n- [ ] b\n---\n", "a line that could underline a setext heading"),
    ("### a ✅\n\n- [ ] b\n", "heading tasks"),
])
def test_unsafe_changes_fall_back_to_a_whole_parse(book, why):
    base = parse(book.encode())
    t = [t for t in base.all_tasks() if t.title.startswith("b")][0]
    change = ed.add_log(base, t, "x", style=Style(base))
    assert incremental.reparse(base, change.lines, *change.span) is None, why
    # the caller then parses the whole text
    assert describe(change.parse()) == describe(parse_text(change.text, False))


def test_a_failed_attempt_leaves_the_book_untouched():
    data = b"- [ ] a\n- [ ] b\n<!-- - [ ] c -->\n"
    base = parse(data)
    before = describe(base)
    t = base.tasks[1]
    change = ed.add_log(base, t, "x", style=Style(base))
    assert incremental.reparse(base, change.lines, *change.span) is None
    assert describe(base) == before


def test_nested_tasks_of_a_cached_book_move_with_their_tree(tmp_path, monkeypatch):
    """A cached book whose tasks sit in a top-level item that is not a task
    (Phase 2), edited above them: they move, in copies, and the cached
    book keeps its own tree."""
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MIN_SIZE", 0)
    data = ("# Plan\n\n- [ ] first\n\n- Phase 2\n  - [ ] a\n    - Log:\n      - x\n"
            "  - [ ] b\n    - Log:\n      - y\n\n- [ ] last\n").encode()
    path = tmp_path / "b.md"
    cache.save(path, data, parse(data))
    book = cache.load(path, data)
    before = describe(book)
    by_title = {t.title: t for t in book.all_tasks()}
    change = ed.add_plan(book, by_title["first"], ["one", "two"], style=Style(book))
    got = incremental.reparse(book, change.lines, *change.span)
    assert got is not None
    assert describe(got) == describe(parse_text(change.text, False))
    assert describe(book) == before


def test_sections_read_before_a_move_move_too(tmp_path, monkeypatch):
    """A cached task whose sections were unpacked, moved by an edit above
    it: the copy's sections are where the task now is (the reviewer's case:
    a plan added to it later got a second label)."""
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MIN_SIZE", 0)
    data = b"- [ ] a\n\n- [ ] x\n  - Plan: p\n- [ ] y\n  - Plan: q\n"
    path = tmp_path / "b.md"
    cache.save(path, data, parse(data))
    book = cache.load(path, data)
    a, x, y = book.tasks
    assert x.sections[0].line == 3              # unpacked before the edit
    change = ed.add_log(book, a, "moves x down", style=Style(book))
    book = incremental.reparse(book, change.lines, *change.span)
    assert book is not None
    x = book.tasks[1]
    assert x.sections[0].line == x.line + 1
    plan = ed.add_plan(book, x, ["p2"], style=Style(book))
    assert plan.text.count("Plan:") == 2        # x's and y's, not a second one under x
    x_after = parse_text(plan.text, False).tasks[1]
    assert [e.text for e in x_after.section("plan").entries] == ["p2"]


def test_a_heading_between_joined_items_is_not_lost():
    data = b"* [ ] s\n# H\n1. [ ] n\n"
    base = parse(data)
    lines = list(base.lines)
    lines[1] = "==="
    assert incremental.reparse(base, lines, 1, 2, 1) is None


def test_a_group_ending_at_the_region_is_trimmed_again():
    data = b"# G\n- [ ] target\n  - Plan:\n    1. s\n# H\n- [ ] b\n"
    base = parse(data)
    t = base.tasks[0]
    change = ed.add_plan(base, t, ["t\n"], style=Style(base))
    got = incremental.reparse(base, change.lines, *change.span)
    whole = parse_text(change.text, False)
    if got is not None:
        assert describe(got) == describe(whole)


def test_a_changed_line_keeps_its_own_line_ending():
    """A book that mixes endings: the status line of a CRLF line stays CRLF
    even when the book's first line ends in LF."""
    from taskbook.model import Status
    base = parse(b"- [ ] a\n- [ ] b\r\n- [ ] c\n")
    change = ed.set_status(base, base.tasks[1], Status.DONE, Style(base))
    assert change.text == "- [ ] a\n- [x] b\r\n- [ ] c\n"
