"""The config's edit rules hold the same way in every front end (issue 17).

`taskbook.actions` applies them: `done.commit`, the log prefix (`log.timestamp`,
`log.commit`, made only when an entry is written), `order`, the review rules.
Each front end is driven for real: the CLI as a process, the board under
Textual's Pilot, the MCP server through the real client, build sync through a
real `taskbook build` run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from taskbook import parse

from cli_helpers import SEEDS_DIR, base_env, show
from git_helpers import BOOK, GIT_ENV, git, make_repo, tb_ok

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

INVALID = "ymnf1"      # seed 000: "- 任务：InvalidDataType 不附带一些context以便debug吗？"


def _config(repo, text: str) -> None:
    (repo / ".taskbook").mkdir(exist_ok=True)
    (repo / ".taskbook" / "config.yaml").write_text(text, encoding="utf-8")


def _short(repo) -> str:
    return git(repo, "rev-parse", "--short", "HEAD").stdout.strip()


def _log(book, address: str) -> list[str]:
    t = parse(book.read_bytes()).by_id[address]
    s = t.section("log")
    return [e.text for e in s.entries] if s else []


@pytest.fixture
def repo(tmp_path):
    repo = make_repo(tmp_path)
    _config(repo, "log:\n  timestamp: false\ndone:\n  commit: true\n")
    return repo


# ------------------------------------------------------------------- CLI

def _imports(repo, *args: str) -> list[str]:
    """Run the CLI in a real process; the modules it imported."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "taskbook", *args],
                       cwd=repo, env=base_env(**GIT_ENV), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return [ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines()
            if ln.startswith("import time:")]


def test_cli_a_status_change_without_a_log_entry_makes_no_stamp(repo):
    """With log.commit on, `start` logs nothing, so it must not ask git."""
    _config(repo, "log:\n  commit: true\n")
    mods = _imports(repo, "start", INVALID)
    assert "taskbook.actions" in mods
    assert not [m for m in mods if m.split(".")[0] == "git"]
    assert _log(repo / BOOK, INVALID) == []
    # a note is logged: then the stamp names the commit
    mods = _imports(repo, "block", INVALID, "--note", "waiting")
    assert "git" in mods
    assert _log(repo / BOOK, INVALID)[-1].endswith(f"[{_short(repo)} main] blocked: waiting")


def test_cli_done_notes_the_commit_from_the_config(repo):
    tb_ok(repo, "done", INVALID)
    assert _log(repo / BOOK, INVALID) == [f"done at commit {_short(repo)} on main"]


# ----------------------------------------------------------------- board

def test_board_done_notes_the_commit_from_the_config(repo):
    from board_helpers import board_app, drive, select

    app = board_app(repo / BOOK)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("d")

    drive(app, script)
    assert _log(repo / BOOK, INVALID) == [f"done at commit {_short(repo)} on main"]


def test_board_log_follows_log_commit(repo):
    from board_helpers import board_app, drive, select, type_text

    _config(repo, "log:\n  timestamp: false\n  commit: true\n")
    app = board_app(repo / BOOK)

    async def script(pilot):
        await select(pilot, INVALID)
        await pilot.press("l")
        await type_text(pilot, "looked")
        await pilot.press("enter")

    drive(app, script)
    assert _log(repo / BOOK, INVALID) == [f"[{_short(repo)} main] looked"]


# ------------------------------------------------------------------- MCP

def test_mcp_done_and_log_follow_the_config(repo):
    pytest.importorskip("mcp", reason="the mcp package is not installed")
    from test_mcp import payload, server, session_run

    _config(repo, "log:\n  timestamp: false\n  commit: true\ndone:\n  commit: true\n")
    short = _short(repo)

    async def body(s) -> None:
        payload(await s.call_tool("log", {"id": INVALID, "message": "looked"}))
        done = payload(await s.call_tool("done", {"id": INVALID}))
        assert done["task"]["status"] == "done"

    session_run(server(cwd=repo, **GIT_ENV), body)
    assert _log(repo / BOOK, INVALID) == [f"[{short} main] looked",
                                          f"[{short} main] done at commit {short} on main"]


# ----------------------------------------------------------------- build

def test_build_sync_follows_order_and_the_log_prefix(tmp_path):
    """A checklist the parser reads oldest-first, configured newest-first:
    both new tasks go on top (the second one too: sync's intermediate books
    keep the configured order), and entries carry no time (log.timestamp)."""
    _config(tmp_path, "order: newest-first\nlog:\n  timestamp: false\nbuild:\n  tasks: one\n")
    (tmp_path / "out.txt").write_text(
        "warning: unused variable: `a`\n --> src/lib.rs:4:9\n\n"
        "warning: unused variable: `b`\n --> src/lib.rs:5:9\n\n", encoding="utf-8")
    book = tmp_path / BOOK
    book.write_text("# Tasks\n\n- [ ] older\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "taskbook", "build", "--", "cat", "out.txt"],
                       cwd=tmp_path, env=base_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = book.read_text(encoding="utf-8").split("\n")
    titles = [ln for ln in lines if ln.startswith("- [ ]")]
    assert titles == ["- [ ] warning: unused variable: `b`", "- [ ] warning: unused variable: `a`",
                      "- [ ] older"]
    doc = show(book, "unused variable: `a`", cwd=tmp_path)
    entries = [e["text"] for s in doc["sections"] if s["kind"] == "log"
               for e in s["entries"]]
    assert len(entries) == 1 and entries[0].startswith("seen in `cat out.txt`")
    assert json.loads(subprocess.run(
        [sys.executable, "-m", "taskbook", "list", "--json"], cwd=tmp_path, env=base_env(),
        capture_output=True, text=True).stdout)["order"] == "newest-first"
