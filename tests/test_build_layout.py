"""The one-pass plan of a sync writes what edit, applied change by change, writes.

`taskbook.build.layout` learns the form of new tasks from a few real edits
and repeats it; these tests apply the same changes one at a time with
`edit.add_task`, `edit.add_log` and `edit.set_status` (each re-parsed, as
every edit is) and compare the books byte for byte, across dialects, orders,
line endings, numbering, and books with and without a final newline.
"""

from __future__ import annotations

import pytest

from taskbook import edit as ed
from taskbook.build.layout import Item, Plan, task_at
from taskbook.model import Status
from taskbook.parse import parse_text
from taskbook.style import Style

STAMP = "2026-01-02 03:04"

BOOKS = {
    "review-zh": "（顺序：新的在前面）\n\n- 任务：手写的任务\n  - 执行记录：\n      - 开始\n",
    "review-en": "- Task: one\n  - Log:\n    - x\n\n- Task: two\n",
    "review-4": "- Task: one\n    - Log:\n        - x\n    - Problems met:\n        - Sub-problem 1: a\n",
    "checklist": "# Tasks\n\n- [ ] existing\n  - Log:\n    - older\n",
    "ordered": "# Tasks\n\n1. [ ] a\n2. [ ] b\n",
    "star": "* [ ] a\n* [x] b\n",
    "marked": "# Plan\n\n### 1. first ✅\n\ntext\n\n### 2. second ⬜️\n",
    "plain": "# Notes\n\nsome text\n",
    "empty": "",
    "open-end": "- Task: one\n  - Log:\n    - x",
    "crlf": "# Tasks\r\n\r\n- [ ] a\r\n  - Log:\r\n    - e\r\n",
    "crlf-open-end": "- [ ] a\r\n- [ ] b",
}


def sequential(text: str, items: list[Item], lang: str) -> str:
    """The items added one by one with the real edits (the reference)."""
    book = parse_text(text)
    for it in items:
        book, line = _add(book, it.title, it.entry, None, lang)
        for m in it.members:
            book, _ = _add(book, m.title, m.entry, line, lang)
    return "\n".join(book.lines)


def _add(book, title, entry, under, lang):
    parent = task_at(book, under) if under is not None else None
    change = ed.add_task(book, title, under=parent, style=Style(book, lang))
    span = change.inserted
    book = ed.apply(change, lambda b: None)
    task = next(t for t in book.all_tasks() if span[0] <= t.line < span[1] and t.title == title)
    line = task.line
    if entry is not None:
        book = ed.apply(ed.add_log(book, task, entry, stamp=STAMP, style=Style(book, lang)),
                        lambda b: None)
    return book, line


def planned(text: str, items: list[Item], lang: str) -> str:
    book = parse_text(text)
    plan = Plan(book, lang, STAMP, None)
    plan.top(items)
    return plan.render()


def items(k: int, members: int = 0, entry: bool = True) -> list[Item]:
    return [Item(f"warning: unused `v{i}` 12", f"seen at src/a{i}.rs:{i}:1 [fp:{i:08x}]" if entry
                 else None,
                 [Item(f"src/m{i}_{j}.c: unused ‘p{j}’", f"seen at src/m.c:{j}:2 [fp:{i:04x}{j:04x}]")
                  for j in range(members)])
            for i in range(k)]


@pytest.mark.parametrize("name", sorted(BOOKS))
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_new_top_level_tasks_are_written_as_edit_writes_them(name, k):
    text = BOOKS[name]
    lang = parse_text(text).language
    its = items(k)
    assert planned(text, its, lang) == sequential(text, its, lang)


@pytest.mark.parametrize("name", ["review-zh", "review-en", "checklist", "ordered", "marked",
                                  "plain", "open-end", "crlf"])
@pytest.mark.parametrize("k,members", [(1, 1), (1, 4), (2, 3), (4, 1), (4, 5)])
def test_new_groups_with_sub_tasks(name, k, members):
    text = BOOKS[name]
    lang = parse_text(text).language
    its = items(k, members)
    its[-1].members = its[-1].members[:1]        # groups of different sizes
    assert planned(text, its, lang) == sequential(text, its, lang)


@pytest.mark.parametrize("name", ["review-en", "checklist", "ordered"])
def test_a_parent_without_an_entry(name):
    """`build.tasks: grouped`: one parent with no log, its diagnostics under it."""
    text = BOOKS[name]
    lang = parse_text(text).language
    its = items(1, 6, entry=False)
    assert planned(text, its, lang) == sequential(text, its, lang)


GROUPS = {
    "review": ("- Task: kind\n  - Log:\n    - x [fam:00000001]\n  - Problems met:\n"
               "    - Sub-problem 1: first\n      - Log:\n        - y\n\n- Task: other\n", 0),
    "checklist": ("# T\n\n- [ ] other\n- [ ] kind\n  - Log:\n    - x\n  - [ ] first\n"
                  "    - Log:\n      - y\n- [ ] last\n", 3),
    "checklist-end-crlf": ("- [ ] kind\r\n  - Log:\r\n    - x\r\n  - [ ] first\r\n", 0),
    "no-members-yet": ("- [ ] kind\n  - Log:\n    - x\n", 0),
    "heading": ("# Plan\n\n### 1. first ✅\n\n### kind ⬜️\n- Log:\n  - x\n- first ⬜️\n"
                "  - Log:\n    - y\n\n### 3. third ⬜️\n", 4),
    "heading-alone": ("# Plan\n\n### 1. first ✅\n\n### kind ⬜️\n- Log:\n  - x\n\n"
                      "### 3. third ⬜️\n", 4),
}


@pytest.mark.parametrize("name", sorted(GROUPS))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_sub_tasks_under_a_parent_the_book_has(name, k):
    text, line = GROUPS[name]
    book = parse_text(text)
    lang = book.language
    its = items(1, k)[0].members
    plan = Plan(book, lang, STAMP, None)
    plan.members(task_at(book, line), its)
    ref = parse_text(text)
    for it in its:
        ref, _ = _add(ref, it.title, it.entry, line, lang)
    assert plan.render() == "\n".join(ref.lines)


@pytest.mark.parametrize("name", ["review-zh", "review-en", "checklist", "open-end", "crlf",
                                  "review-4", "ordered"])
def test_log_entries_and_statuses_of_tasks_the_book_has(name):
    text = BOOKS[name]
    book = parse_text(text)
    lang = book.language
    tasks = list(book.all_tasks())
    plan = Plan(book, lang, STAMP, None)
    ref = parse_text(text)
    for i in reversed(range(len(tasks))):      # bottom up: earlier lines keep their numbers
        t = tasks[i]
        plan.log(t, f"entry {i}")
        plan.status(t, Status.DONE)
        rt = task_at(ref, t.line)
        ref = ed.apply(ed.add_log(ref, rt, f"entry {i}", stamp=STAMP, style=Style(ref, lang)),
                       lambda b: None)
        rt = task_at(ref, t.line)
        if rt.status is not Status.DONE:
            ref = ed.apply(ed.set_status(ref, rt, Status.DONE, Style(ref, lang)), lambda b: None)
    assert plan.render() == "\n".join(ref.lines)


def test_changes_at_one_place_keep_their_order():
    """The last task's log entry, then new tasks after it (oldest-first book)."""
    text = "- [ ] a\n  - Log:\n    - x\n"
    book = parse_text(text)
    plan = Plan(book, "en", STAMP, None)
    plan.log(task_at(book, 0), "gone [fp:00000000 gone]")
    plan.top(items(2))
    out = plan.render().split("\n")
    assert out[:5] == ["- [ ] a", "  - Log:", "    - x", f"    - {STAMP} gone [fp:00000000 gone]",
                       "- [ ] warning: unused `v0` 12"]


def test_an_entry_of_several_lines_is_written_as_edit_writes_it():
    """A message of several lines stays one entry, its later lines escaped
    where they would read as a task (as `edit.add_log` writes them)."""
    book = parse_text(BOOKS["checklist"])
    task = task_at(book, 2)
    plan = Plan(book, "en", STAMP, None)
    plan.log(task, "a\n- [ ] b")
    ref = ed.apply(ed.add_log(book, task, "a\n- [ ] b", stamp=STAMP, style=Style(book, "en")),
                   lambda b: None)
    assert plan.render() == "\n".join(ref.lines)
    assert sum(1 for _ in ref.all_tasks()) == sum(1 for _ in book.all_tasks())
