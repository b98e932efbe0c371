"""Git context (issue 6): the helpers in `taskbook.gitctx`, finding the book
at the repository root, commit stamps in log entries, `done --commit`,
`init --git-merge`, and that ordinary commands never import GitPython."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from taskbook import gitctx
from taskbook.config import git_root, resolve_book

from cli_helpers import SEEDS_DIR, assert_clean_error, base_env, seed_path
from git_helpers import BOOK, GIT_ENV, commit, git, make_repo, tb, tb_ok

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

INVALID = "InvalidDataType 不附带一些context以便debug吗？"


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def _short(repo) -> str:
    return git(repo, "rev-parse", "--short", "HEAD").stdout.strip()


def _log_entries(repo, title: str) -> list[str]:
    task = json.loads(tb_ok(repo, "show", title, "--json").stdout)["task"]
    return [e["text"] for s in task["sections"] if s["kind"] == "log" for e in s["entries"]]


# ----------------------------------------------------------------- helpers

def test_helpers_on_a_real_repository(repo):
    sub = repo / "src" / "deep"
    sub.mkdir(parents=True)
    assert git_root(sub) == repo.resolve()          # how the book is found (no GitPython)
    assert git_root(repo.parent) is None
    h = gitctx.head(repo / BOOK)
    assert (h.short, h.branch) == (_short(repo), "main")
    assert h.label() == f"{h.short} on main" and h.tag() == f"{h.short} main"
    first = git(repo, "rev-parse", "HEAD").stdout.strip()
    (repo / BOOK).write_bytes((repo / BOOK).read_bytes() + b"\n- \xe4\xbb\xbb\xe5\x8a\xa1\xef\xbc\x9anew\n")
    second = commit(repo, "second", date="2024-02-01T12:00:00+01:00", author="Dora")
    (repo / "other.txt").write_text("x", encoding="utf-8")
    commit(repo, "not the book")
    br = gitctx.book_repo(repo / BOOK)
    assert br.rel == BOOK
    assert br.blob(first) == seed_path("000").read_bytes()
    assert br.blob("HEAD") == (repo / BOOK).read_bytes()
    commits = br.commits()
    assert [c.sha for c in commits] == [second, first]
    assert (commits[0].author, commits[0].email, commits[0].summary) == ("Dora", "dora@example.com", "second")
    assert commits[0].date.isoformat() == "2024-02-01T12:00:00+01:00"
    assert commits[0].parent == first and commits[1].parent is None
    git(repo, "checkout", "-q", "--detach", "HEAD")
    assert gitctx.head(repo).branch is None


def test_head_outside_a_repository_and_before_the_first_commit(tmp_path):
    assert gitctx.head(tmp_path) is None
    git(tmp_path, "init", "-q", "-b", "main")
    assert gitctx.head(tmp_path) is None


def test_unknown_revision_is_a_usage_error(repo):
    from taskbook.errors import UsageError
    with pytest.raises(UsageError, match="unknown revision"):
        gitctx.book_repo(repo / BOOK).blob("nope~3")


# ------------------------------------------------------- finding the book

def test_book_found_at_the_repository_root_from_a_subdirectory(repo):
    sub = repo / "src" / "deep"
    sub.mkdir(parents=True)
    assert resolve_book(None, sub)[0] == (repo / BOOK).resolve()
    out = json.loads(tb_ok(sub, "list", "--json").stdout)
    assert out["book"] == str((repo / BOOK).resolve())
    # a book in the current directory still wins
    (sub / BOOK).write_text("- [ ] local\n", encoding="utf-8")
    assert resolve_book(None, sub)[0] == (sub / BOOK).resolve()


def test_list_json_in_a_repository_does_not_import_git(repo):
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "taskbook", "list", "--json"],
                       cwd=repo, env=base_env(**GIT_ENV), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    mods = [ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines() if ln.startswith("import time:")]
    assert "taskbook.cli.app" in mods  # the measurement saw the CLI load
    assert [m for m in mods if m.split(".")[0].startswith("git")] == []


# ------------------------------------------------------------ commit stamps

def test_log_commit_prefixes_entries_with_commit_and_branch(repo):
    tb_ok(repo, "init")
    tb_ok(repo, "config", "set", "log.commit", "true")
    tb_ok(repo, "log", INVALID, "first look")
    entry = _log_entries(repo, INVALID)[-1]
    assert entry.endswith(f"[{_short(repo)} main] first look")
    assert entry[:4].isdigit()  # the timestamp is still there, first
    tb_ok(repo, "config", "set", "log.timestamp", "false")
    tb_ok(repo, "block", INVALID, "--note", "waiting for review")
    assert _log_entries(repo, INVALID)[-1] == f"[{_short(repo)} main] blocked: waiting for review"


def test_done_commit_records_head(repo):
    tb_ok(repo, "done", INVALID, "--commit")
    assert _log_entries(repo, INVALID)[-1].endswith(f"done at commit {_short(repo)} on main")


def test_done_commit_from_config_and_with_a_note(repo):
    tb_ok(repo, "init")
    tb_ok(repo, "config", "set", "done.commit", "true")
    tb_ok(repo, "config", "set", "log.timestamp", "false")
    tb_ok(repo, "done", INVALID, "--note", "fixed")
    assert _log_entries(repo, INVALID) == [f"fixed (commit {_short(repo)} on main)"]
    tb_ok(repo, "reopen", INVALID)
    tb_ok(repo, "done", INVALID, "--no-commit")
    assert len(_log_entries(repo, INVALID)) == 1


def test_done_commit_outside_a_repository_changes_nothing(tmp_path):
    book = tmp_path / BOOK
    book.write_text("- [ ] one\n", encoding="utf-8")
    before = book.read_bytes()
    line = assert_clean_error(tb(tmp_path, "done", "one", "--commit"))
    assert "not in a git repository" in line
    assert book.read_bytes() == before


# ------------------------------------------------------------ init --git-merge

def test_init_git_merge_registers_the_driver_idempotently(repo):
    before = (repo / BOOK).read_bytes()
    r = json.loads(tb_ok(repo, "init", "--git-merge", "--json").stdout)
    acts = {a["path"].rsplit("/", 1)[-1]: a["action"] for a in r["actions"]}
    assert acts[BOOK] == "kept" and acts["config"].startswith("set")
    assert acts[".gitattributes"] == f"added /{BOOK} merge=taskbook"
    assert (repo / BOOK).read_bytes() == before
    driver = git(repo, "config", "--get", "merge.taskbook.driver").stdout.strip()
    assert "merge-driver" in driver and "%O %A %B %P" in driver
    assert git(repo, "config", "--get", "merge.taskbook.name").stdout.strip()
    assert git(repo, "check-attr", "merge", "--", BOOK).stdout.strip() == f"{BOOK}: merge: taskbook"
    attrs = (repo / ".gitattributes").read_bytes()
    config = (repo / ".git" / "config").read_bytes()
    r = json.loads(tb_ok(repo, "init", "--git-merge", "--json").stdout)
    assert {a["action"] for a in r["actions"]} == {"kept"}
    assert (repo / ".gitattributes").read_bytes() == attrs
    assert (repo / ".git" / "config").read_bytes() == config


def test_init_git_merge_pattern_for_a_book_name_with_spaces(repo):
    git(repo, "mv", BOOK, "my book.md")
    commit(repo, "rename")
    tb_ok(repo, "init", "--git-merge", "--book-name", "my book.md")
    assert git(repo, "check-attr", "merge", "--", "my book.md").stdout.strip() == "my book.md: merge: taskbook"
    assert git(repo, "check-attr", "merge", "--", "my").stdout.strip() == "my: merge: unspecified"


def test_init_git_merge_outside_a_repository(tmp_path):
    line = assert_clean_error(tb(tmp_path, "init", "--git-merge"))
    assert "not inside a git repository" in line
    assert not (tmp_path / ".taskbook").exists()
