"""`taskbook history ADDRESS` on real repositories (issue 6)."""

from __future__ import annotations

import json

import pytest

from taskbook import parse
from taskbook.history import follow

from cli_helpers import SEEDS_DIR, assert_clean_error
from git_helpers import BOOK, commit, make_repo, replace_in, tb, tb_ok

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

INVALID = "InvalidDataType 不附带一些context以便debug吗？"
E0432 = "（done）任务：error[E0432]: unresolved import `super::dataitem::StorageType`"


def _id(repo, title: str) -> str:
    return json.loads(tb_ok(repo, "show", title, "--json").stdout)["task"]["id"]


@pytest.fixture
def edited(tmp_path):
    """seed 000 in git, then one task started, logged and finished in three
    commits by two authors; returns (repo, task id, the three commit ids)."""
    repo = make_repo(tmp_path)
    tid = _id(repo, INVALID)
    tb_ok(repo, "start", tid)
    c1 = commit(repo, "start it", date="2024-01-02T09:00:00+00:00", author="Bob")
    tb_ok(repo, "log", tid, "traced the error to the parser", "--no-time")
    c2 = commit(repo, "log it", date="2024-01-03T09:00:00+00:00", author="Carol")
    tb_ok(repo, "add", "an unrelated task")  # touches the book, not the task
    commit(repo, "unrelated", date="2024-01-03T10:00:00+00:00")
    tb_ok(repo, "done", tid)
    c3 = commit(repo, "finish it", date="2024-01-04T09:00:00+00:00", author="Bob")
    return repo, tid, (c1, c2, c3)


def test_history_lists_the_three_changes_with_commit_date_and_author(edited):
    repo, tid, (c1, c2, c3) = edited
    out = json.loads(tb_ok(repo, "history", tid, "--json").stdout)
    assert out["id"] == tid and out["title"] == INVALID
    h = out["history"]
    assert [e["commit"]["sha"] for e in h[:3]] == [c3, c2, c1]
    assert [e["commit"]["author"] for e in h[:3]] == ["Bob", "Carol", "Bob"]
    assert h[0]["commit"]["date"].startswith("2024-01-04T09:00:00")
    assert h[0]["commit"]["summary"] == "finish it"
    assert (h[0]["change"]["old_status"], h[0]["change"]["status"]) == ("working", "done")
    assert h[1]["change"]["entries_added"] == {"log": ["traced the error to the parser"]}
    assert h[1]["change"]["old_status"] is None
    assert (h[2]["change"]["old_status"], h[2]["change"]["status"]) == ("todo", "working")
    # and the trail starts where the task came into the book
    assert len(h) == 4 and h[3]["change"]["change"] == "added"
    assert h[3]["commit"]["summary"] == "init" and out["origin"] == "added"


def test_history_text(edited):
    repo, tid, (c1, c2, c3) = edited
    text = tb_ok(repo, "history", tid).stdout
    lines = text.splitlines()
    assert lines[0].startswith(f"history of {tid}")
    for sha, who, what in ((c3, "Bob", "status: working → done"),
                           (c2, "Carol", "+ log: traced the error to the parser"),
                           (c1, "Bob", "status: todo → working")):
        k = next(i for i, ln in enumerate(lines) if ln.startswith(sha[:7]))
        assert who in lines[k] and lines[k + 1].strip() == what


def test_uncommitted_changes_come_first(edited):
    repo, tid, _ = edited
    tb_ok(repo, "log", tid, "not committed yet", "--no-time")
    h = json.loads(tb_ok(repo, "history", tid, "--json").stdout)["history"]
    assert h[0]["commit"] is None
    assert h[0]["change"]["entries_added"] == {"log": ["not committed yet"]}
    assert len(h) == 5


def test_a_recognised_retitle_keeps_the_trail(edited):
    repo, tid, _ = edited
    old_id = _id(repo, E0432[len("（done）任务："):])
    replace_in(repo / BOOK, E0432, E0432 + " (fixed in batch.rs)")
    commit(repo, "retitle", date="2024-01-05T09:00:00+00:00")
    new_id = _id(repo, "(fixed in batch.rs)")
    out = json.loads(tb_ok(repo, "history", new_id, "--json").stdout)
    changes = [e["change"] for e in out["history"]]
    assert changes[0]["change"] == "retitled" and changes[0]["old_id"] == old_id
    assert changes[-1]["change"] == "added" and changes[-1]["id"] == old_id
    assert out["origin"] == "added"


def test_history_of_a_removed_task_by_its_old_address(edited):
    repo, tid, _ = edited
    text = (repo / BOOK).read_bytes().decode()
    line = next(ln for ln in text.split("\n") if INVALID in ln)
    (repo / BOOK).write_bytes(text.replace(line + "\n", "").encode())
    commit(repo, "remove", date="2024-01-06T09:00:00+00:00")
    h = json.loads(tb_ok(repo, "history", tid, "--json").stdout)["history"]
    assert h[0]["change"]["change"] == "removed" and h[0]["commit"]["summary"] == "remove"
    assert len(h) == 5


def test_unknown_address_and_no_repository(edited, tmp_path):
    repo, _, _ = edited
    assert_clean_error(tb(repo, "history", "zzzzz9"))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / BOOK).write_text("- [ ] x\n", encoding="utf-8")
    assert "git repository" in assert_clean_error(tb(plain, "history", "x"))


def test_follow_stops_at_an_unrecognised_retitle():
    a = parse(b"- [ ] write the docs\n- [ ] ship\n")
    b = parse(b"- [ ] publish a blog post\n- [ ] ship\n")
    c = parse(b"- [x] publish a blog post\n- [ ] ship\n")
    tid = c.tasks[0].id
    events, origin = follow([("c2", b, c), ("c1", a, b)], tid)
    assert [(label, d.change) for label, d in events] == [("c2", "changed"), ("c1", "added")]
    assert origin == "added"
