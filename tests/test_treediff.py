"""The semantic diff of two books (issue 6): `treediff` directly, then
`taskbook diff` on a real repository in text and JSON."""

from __future__ import annotations

import json

import pytest

from taskbook import parse
from taskbook.treediff import diff_books, match_tasks

from cli_helpers import SEEDS_DIR, assert_clean_error, run, seed_path
from git_helpers import BOOK, commit, make_repo, replace_in, tb, tb_ok

BOOK_A = """# Plan

- [ ] alpha
  - Plan:
    1. read the code
  - Log:
    - started
- [ ] beta
  - Analysis:
    the cause is unclear
- [ ] gamma
  - [ ] gamma child
- [x] delta
"""


def _diff(old: str, new: str):
    return diff_books(parse(old.encode()), parse(new.encode()))


def _one(d, change: str):
    hits = [t for t in d.tasks if t.change == change]
    assert len(hits) == 1, [t.to_json() for t in d.tasks]
    return hits[0]


def test_identical_books_have_no_changes():
    d = _diff(BOOK_A, BOOK_A)
    assert d.tasks == [] and not d.other_text_changed


def test_status_change_and_new_entries_by_address():
    new = BOOK_A.replace("- [ ] alpha", "- [x] alpha").replace(
        "    - started\n", "    - started\n    - finished it\n").replace(
        "    1. read the code\n", "    1. read the code\n    2. fix it\n")
    d = _diff(BOOK_A, new)
    t = _one(d, "changed")
    alpha = parse(BOOK_A.encode()).tasks[0]
    assert (t.id, t.old_status, t.status) == (alpha.id, "todo", "done")
    assert t.entries_added == {"plan": ["fix it"], "log": ["finished it"]}
    assert not t.entries_removed and not t.sections_changed and not t.text_changed
    c = d.counts()
    assert (c["status"], c["plan_steps"], c["log_entries"], c["changed"]) == (1, 1, 1, 1)


def test_added_and_removed_tasks():
    new = BOOK_A.replace("- [ ] beta\n  - Analysis:\n    the cause is unclear\n", "") + "- [ ] epsilon\n"
    d = _diff(BOOK_A, new)
    assert _one(d, "added").title == "epsilon"
    assert _one(d, "removed").title == "beta"


def test_sub_task_changes_are_reported_on_the_sub_task_only():
    new = BOOK_A.replace("  - [ ] gamma child", "  - [x] gamma child")
    d = _diff(BOOK_A, new)
    t = _one(d, "changed")
    assert (t.title, t.old_status, t.status) == ("gamma child", "todo", "done")


def test_retitle_with_the_same_content_is_one_retitled_task():
    new = BOOK_A.replace("- [ ] alpha", "- [ ] alpha, renamed entirely")
    d = _diff(BOOK_A, new)
    t = _one(d, "retitled")
    assert (t.old_title, t.title) == ("alpha", "alpha, renamed entirely")
    assert [x.change for x in d.tasks] == ["retitled"]


def test_retitle_of_a_bare_task_in_place_with_a_similar_title():
    new = BOOK_A.replace("- [x] delta", "- [x] delta task")
    t = _one(_diff(BOOK_A, new), "retitled")
    assert (t.old_title, t.title) == ("delta", "delta task")


def test_unrelated_task_in_place_of_a_bare_one_is_not_a_retitle():
    new = BOOK_A.replace("- [x] delta", "- [x] write the release notes")
    d = _diff(BOOK_A, new)
    assert sorted(t.change for t in d.tasks) == ["added", "removed"]
    # a merge would rather call it the same task (and conflict) than keep both
    old_b, new_b = parse(BOOK_A.encode()), parse(new.encode())
    moved = [k for k, v in match_tasks(old_b, new_b, loose=True).items() if k != v]
    assert len(moved) == 1


def test_section_edited_in_place_and_own_text():
    new = BOOK_A.replace("the cause is unclear", "the cause is the cache").replace(
        "- [x] delta\n", "- [x] delta\n  some notes under delta\n")
    d = _diff(BOOK_A, new)
    by_title = {t.title: t for t in d.tasks}
    assert by_title["beta"].sections_changed == ["analysis"]
    assert by_title["delta"].text_changed
    assert len(d.tasks) == 2


def test_moved_under_another_parent():
    new = BOOK_A.replace("- [ ] gamma\n  - [ ] gamma child\n", "- [ ] gamma\n").replace(
        "- [x] delta\n", "- [x] delta\n  - [ ] gamma child\n")
    t = _one(_diff(BOOK_A, new), "changed")
    ids = {x.title: x.id for x in parse(BOOK_A.encode()).all_tasks()}
    assert t.title == "gamma child" and t.moved
    assert (t.old_parent, t.parent) == (ids["gamma"], ids["delta"])


def test_text_outside_tasks():
    d = _diff(BOOK_A, BOOK_A.replace("# Plan", "# Plans"))
    assert d.tasks == [] and d.other_text_changed


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")
def test_seed_000_sub_problems_are_not_plan_entries():
    base = seed_path("000").read_bytes().decode()
    new = base.replace("    2. （done）修复 unique_id 移动问题", "    2. （working）修复 unique_id 移动问题")
    d = _diff(base, new)
    t = _one(d, "changed")
    assert (t.title, t.old_status, t.status) == ("修复 unique_id 移动问题", "done", "working")
    assert len(d.tasks) == 1  # the parent's plan did not "change"


# -------------------------------------------------------------- the command

INVALID = "InvalidDataType 不附带一些context以便debug吗？"


@pytest.fixture
def repo(tmp_path):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"no test data in {SEEDS_DIR}")
    return make_repo(tmp_path)


def _invalid_id(repo) -> str:
    return json.loads(tb_ok(repo, "show", INVALID, "--json").stdout)["task"]["id"]


def test_diff_reports_done_and_a_new_log_entry(repo):
    tid = _invalid_id(repo)
    tb_ok(repo, "log", tid, "looked at the error type", "--no-time")
    tb_ok(repo, "done", tid)
    out = json.loads(tb_ok(repo, "diff", "--json").stdout)
    assert out["from"]["rev"] == "HEAD" and out["to"] == {"rev": None, "commit": None}
    assert [t["id"] for t in out["tasks"]] == [tid]
    t = out["tasks"][0]
    assert (t["change"], t["old_status"], t["status"]) == ("changed", "todo", "done")
    assert t["entries_added"] == {"log": ["looked at the error type"]}
    assert out["counts"]["status"] == 1 and out["counts"]["log_entries"] == 1
    text = tb_ok(repo, "diff").stdout
    assert f"changed  {tid}" in text
    assert "status: todo → done" in text
    assert "+ log: looked at the error type" in text


def test_diff_between_two_revisions_and_against_one(repo):
    tb_ok(repo, "add", "a brand new task")
    first = commit(repo, "add")
    tid = _invalid_id(repo)
    tb_ok(repo, "start", tid)
    commit(repo, "start")
    out = json.loads(tb_ok(repo, "diff", "HEAD~2", "HEAD~1", "--json").stdout)
    assert out["to"]["commit"] == first
    assert [(t["change"], t["title"]) for t in out["tasks"]] == [("added", "a brand new task")]
    out = json.loads(tb_ok(repo, "diff", "HEAD~1", "--json").stdout)
    assert [(t["id"], t["old_status"], t["status"]) for t in out["tasks"]] == [(tid, "todo", "working")]
    assert tb_ok(repo, "diff").stdout.strip().endswith("no task changed")


def test_diff_detects_a_retitle_in_the_working_file(repo):
    old = "- （done）任务：error[E0432]: unresolved import `super::dataitem::StorageType`"
    replace_in(repo / BOOK, old, old + " (renamed)")
    out = json.loads(tb_ok(repo, "diff", "--json").stdout)
    assert [t["change"] for t in out["tasks"]] == ["retitled"]
    assert out["tasks"][0]["title"].endswith("(renamed)")


def test_diff_errors_are_one_line(repo, tmp_path):
    assert "unknown revision" in assert_clean_error(tb(repo, "diff", "no-such-rev"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / BOOK).write_text("- [ ] x\n", encoding="utf-8")
    line = assert_clean_error(run("--book", outside / BOOK, "diff", cwd=outside))
    assert "not inside a git repository" in line
    r = tb(repo, "diff", "no-such-rev", "--json")
    assert json.loads(r.stderr)["error"]["code"]
