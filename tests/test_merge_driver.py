"""The merge driver (issue 6): real branches merged by real git.

The acceptance case: two branches each add three tasks on top of seed 000.
Plain git must conflict on it (both insert at the same place), which the
first test checks so that the second one means something; with the driver
the merge is clean, keeps all six tasks and round-trips.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from taskbook import parse
from taskbook.bookmerge import Unsafe, merge

from cli_helpers import SEEDS_DIR, seed_path
from git_helpers import BOOK, commit, git, make_repo, replace_in, tb, tb_ok

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

OURS = ["ours task one", "ours task two", "ours task three"]
THEIRS = ["their task one", "their task two", "their task three"]
INVALID = "InvalidDataType 不附带一些context以便debug吗？"
E0432 = "（done）任务：error[E0432]: unresolved import `super::dataitem::StorageType`"


def _titles(repo) -> list[str]:
    r = tb_ok(repo, "list", "--all", "--json")
    return [t["title"] for t in json.loads(r.stdout)["tasks"]]


def _branches(tmp_path, *, driver: bool, feature, main):
    """A repo (driver registered or not) with a `feature` branch and `main`
    each changed by the given functions and committed; returns the repo."""
    repo = make_repo(tmp_path)
    if driver:
        tb_ok(repo, "init", "--git-merge")
        commit(repo, "taskbook setup")
    git(repo, "checkout", "-q", "-b", "feature")
    feature(repo)
    commit(repo, "feature work")
    git(repo, "checkout", "-q", "main")
    main(repo)
    commit(repo, "main work")
    return repo


def _add(titles):
    def fn(repo):
        for t in titles:
            tb_ok(repo, "add", t)
    return fn


# ------------------------------------------------------ the acceptance case

def test_plain_git_conflicts_when_both_sides_add_tasks_on_top(tmp_path):
    repo = _branches(tmp_path, driver=False, feature=_add(THEIRS), main=_add(OURS))
    r = git(repo, "merge", "feature", check=False)
    assert r.returncode != 0
    assert "CONFLICT" in r.stdout + r.stderr
    assert b"<<<<<<<" in (repo / BOOK).read_bytes()


def test_driver_merges_both_sides_tasks_cleanly(tmp_path):
    base = seed_path("000").read_bytes()
    repo = _branches(tmp_path, driver=True, feature=_add(THEIRS), main=_add(OURS))
    r = git(repo, "merge", "feature", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    merged = (repo / BOOK).read_bytes()
    assert b"<<<<<<<" not in merged and b">>>>>>>" not in merged
    assert parse(merged).render() == merged
    # newest-first: each side's tasks stay on top in their own order, ours first
    titles = _titles(repo)
    assert titles[:6] == OURS[::-1] + THEIRS[::-1]
    base_titles = [t.title for t in parse(base).tasks]
    assert titles[6:] == base_titles
    # nothing else changed: the six task lines (each with the blank line
    # `add` puts after it) went in above the book's first task
    block = "".join(f"- 任务：{t}\n\n" for t in OURS[::-1] + THEIRS[::-1])
    assert merged.decode() == base.decode().replace("- 任务：罗列", block + "- 任务：罗列", 1)
    assert git(repo, "status", "--porcelain").stdout == ""


def test_done_on_one_side_log_on_the_other(tmp_path):
    def done(repo):
        tb_ok(repo, "done", INVALID)

    def log(repo):
        tb_ok(repo, "log", INVALID, "checked the error type", "--no-time")

    repo = _branches(tmp_path, driver=True, feature=done, main=log)
    r = git(repo, "merge", "feature", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    task = json.loads(tb_ok(repo, "show", INVALID, "--json").stdout)["task"]
    assert task["status"] == "done"
    log_sec = [s for s in task["sections"] if s["kind"] == "log"]
    assert [e["text"] for e in log_sec[0]["entries"]] == ["checked the error type"]


def test_both_retitle_one_task_conflicts_on_that_task_only(tmp_path):
    base = seed_path("000").read_bytes().decode()

    def retitle(suffix):
        def fn(repo):
            replace_in(repo / BOOK, E0432, E0432 + suffix)
        return fn

    repo = _branches(tmp_path, driver=True, feature=retitle(" (their name)"),
                     main=retitle(" (our name)"))
    r = git(repo, "merge", "feature", check=False)
    assert r.returncode != 0
    text = (repo / BOOK).read_bytes().decode()
    lines = text.split("\n")
    starts = [i for i, ln in enumerate(lines) if ln.startswith("<<<<<<<")]
    mids = [i for i, ln in enumerate(lines) if ln == "======="]
    ends = [i for i, ln in enumerate(lines) if ln.startswith(">>>>>>>")]
    assert len(starts) == len(mids) == len(ends) == 1
    (a,), (m,), (b,) = starts, mids, ends
    assert lines[a] == "<<<<<<< ours" and lines[b] == ">>>>>>> theirs"
    # each side holds exactly that task, as that side wrote it
    task = parse(base.encode()).by_id[_id_of(base, E0432)]
    block = base.split("\n")[task.line:task.end]
    assert lines[a + 1:m] == [block[0] + " (our name)"] + block[1:]
    assert lines[m + 1:b] == [block[0] + " (their name)"] + block[1:]
    # and everything outside the markers is the base book
    assert lines[:a] + block + lines[b + 1:] == base.split("\n")


def _id_of(text: str, title_line: str) -> str:
    book = parse(text.encode())
    line = text.split("\n").index("- " + title_line)
    return next(t.id for t in book.all_tasks() if t.line == line)


# ------------------------------------------------ the driver as a command

def _driver(tmp_path, base: bytes, ours: bytes, theirs: bytes):
    paths = []
    for name, data in (("O", base), ("A", ours), ("B", theirs)):
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    r = tb(tmp_path, "merge-driver", *paths, BOOK)
    assert "Traceback" not in r.stderr
    return r, paths[1].read_bytes()


def test_driver_command_exit_status_and_result_file(tmp_path):
    base = seed_path("000").read_bytes().decode()
    ours = base.replace(E0432, E0432 + " A")
    theirs = base.replace(E0432, E0432 + " B")
    r, out = _driver(tmp_path, base.encode(), ours.encode(), theirs.encode())
    assert r.returncode == 1
    assert out.count(b"<<<<<<< ours") == 1
    clean = base.replace("- 任务：InvalidData", "- 任务：new one\n\n- 任务：InvalidData")
    r, out = _driver(tmp_path, base.encode(), ours.encode(), clean.encode())
    assert r.returncode == 0, r.stderr
    assert out.decode() == clean.replace(E0432, E0432 + " A")


def test_task_conflict_without_overlapping_lines_takes_the_line_merge(tmp_path):
    # ours splits a task in two (a new top-level item inside it); theirs edits
    # a line far below in the same task: task by task that is a conflict,
    # line by line it is not, and git's line merge is what plain git would do
    base = "- [ ] alpha\n  - Log:\n" + "".join(f"    - entry {k}\n" for k in range(8))
    ours = base.replace("    - entry 1\n", "    - entry 1\n- [ ] split\n")
    theirs = base.replace("entry 7", "entry 7, edited")
    r, out = _driver(tmp_path, base.encode(), ours.encode(), theirs.encode())
    assert r.returncode == 0, r.stderr
    assert "tasks conflict but lines do not" in r.stderr
    assert out.decode() == ours.replace("entry 7", "entry 7, edited")


def test_non_task_conflict_falls_back_to_git_merge_file(tmp_path):
    base = seed_path("000").read_bytes().decode()
    first = base.split("\n")[0]
    ours = base.replace(first, first + " (ours)").replace("- 任务：InvalidData",
                                                         "- 任务：ours new\n\n- 任务：InvalidData")
    theirs = base.replace(first, first + " (theirs)")
    r, out = _driver(tmp_path, base.encode(), ours.encode(), theirs.encode())
    assert r.returncode == 1
    assert "line by line" in r.stderr
    text = out.decode()
    assert text.startswith("<<<<<<< ours\n" + first + " (ours)\n=======\n" + first
                           + " (theirs)\n>>>>>>> theirs\n")
    assert "- 任务：ours new" in text


def test_not_utf8_falls_back_and_still_merges(tmp_path):
    base = b"- [ ] one\n- [ ] two\n\xff\n\n\n\n\n- [ ] three\n"
    ours = base.replace(b"one", b"ONE")
    theirs = base.replace(b"three", b"THREE")
    r, out = _driver(tmp_path, base, ours, theirs)
    assert r.returncode == 0, r.stderr
    assert out == b"- [ ] ONE\n- [ ] two\n\xff\n\n\n\n\n- [ ] THREE\n"


# ------------------------------------------------------- merge() directly

SMALL = """# Work

- [ ] alpha
  - Log:
    - first
- [ ] beta
- [x] gamma
"""


def test_both_sides_log_to_one_task_keeps_both_entries():
    ours = SMALL.replace("    - first\n", "    - first\n    - ours entry\n")
    theirs = SMALL.replace("    - first\n", "    - first\n    - their entry\n")
    r = merge(SMALL.encode(), ours.encode(), theirs.encode())
    assert r.conflicts == 0
    assert r.data.decode() == SMALL.replace(
        "    - first\n", "    - first\n    - ours entry\n    - their entry\n")


def test_checklist_appends_from_both_sides_in_order():
    ours = SMALL + "- [ ] delta\n"
    theirs = SMALL + "- [ ] epsilon\n- [ ] zeta\n"
    r = merge(SMALL.encode(), ours.encode(), theirs.encode())
    assert r.conflicts == 0
    assert r.data.decode() == SMALL + "- [ ] delta\n- [ ] epsilon\n- [ ] zeta\n"


def test_deleted_on_one_side_edited_on_the_other_conflicts():
    ours = SMALL.replace("- [ ] beta\n", "")
    theirs = SMALL.replace("- [ ] beta\n", "- [x] beta\n")
    r = merge(SMALL.encode(), ours.encode(), theirs.encode())
    assert r.conflicts == 1
    assert "<<<<<<< ours\n=======\n- [x] beta\n>>>>>>> theirs\n" in r.data.decode()


def test_retitle_on_one_side_status_on_the_other_is_a_conflict_not_a_guess():
    ours = SMALL.replace("- [ ] alpha", "- [ ] alpha renamed")
    theirs = SMALL.replace("- [ ] alpha", "- [x] alpha")
    r = merge(SMALL.encode(), ours.encode(), theirs.encode())
    assert r.conflicts == 1
    assert r.data.decode().startswith("# Work\n\n<<<<<<< ours\n- [ ] alpha renamed\n")


def test_retitle_on_one_side_log_on_the_other_merges():
    ours = SMALL.replace("- [ ] alpha", "- [ ] alpha renamed")
    theirs = SMALL.replace("    - first\n", "    - first\n    - second\n")
    r = merge(SMALL.encode(), ours.encode(), theirs.encode())
    assert r.conflicts == 0
    assert r.data.decode() == ours.replace("    - first\n", "    - first\n    - second\n")


def test_crlf_and_bom_survive_a_merge():
    base = ("\ufeff" + SMALL).replace("\n", "\r\n").encode()
    ours = base.replace(b"- [ ] beta", b"- [x] beta")
    theirs = base + b"- [ ] delta\r\n"
    r = merge(base, ours, theirs)
    assert r.conflicts == 0
    assert r.data == ours + b"- [ ] delta\r\n"
    assert parse(r.data).render() == r.data


def test_two_edits_of_one_line_outside_tasks_is_unsafe():
    with pytest.raises(Unsafe):
        merge(SMALL.encode(), SMALL.replace("# Work", "# Ours").encode(),
              SMALL.replace("# Work", "# Theirs").encode())


def test_the_driver_does_not_import_gitpython(tmp_path):
    base = SMALL.encode()
    for name, data in (("O", base), ("A", base + b"- [ ] x\n"), ("B", base + b"- [ ] y\n")):
        (tmp_path / name).write_bytes(data)
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "taskbook", "merge-driver",
                        "O", "A", "B"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    mods = [ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines() if "|" in ln]
    assert mods and not [m for m in mods if m.split(".")[0] in ("git", "gitdb")]
