"""`taskbook init --agents`: the marked block in AGENTS.md, CLAUDE.md and
.cursorrules, run as the real program in temp directories.

The user's own text around the block must survive byte for byte, whatever
its line endings, and running the command again must leave one block.
"""

from __future__ import annotations

import json
import re

import pytest

from cli_helpers import SEEDS_DIR, assert_clean_error, copy_seed, run, run_json

BEGIN = b"<!-- taskbook:begin -->"
END = b"<!-- taskbook:end -->"

# every step of the workflow, as the exact command the agent should type
COMMANDS = ["taskbook next --json", "taskbook show ID", "taskbook add ", "taskbook plan ID ",
            "taskbook submit ID", "taskbook start ID", "taskbook log ID ",
            "taskbook add --under ID ", "taskbook done ID", "taskbook build -- "]


def init(cwd, *flags):
    r = run("init", *flags, cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r


def block_of(data: bytes) -> bytes:
    assert data.count(BEGIN) == 1 and data.count(END) == 1, data
    a = data.index(BEGIN)
    return data[a:data.index(END) + len(END)]


def outside(data: bytes) -> tuple[bytes, bytes]:
    a = data.index(BEGIN)
    b = data.index(END) + len(END)
    return data[:a], data[b:]


def test_new_file_and_idempotent(tmp_path):
    init(tmp_path, "--agents")
    first = (tmp_path / "AGENTS.md").read_bytes()
    block_of(first)
    assert first.startswith(BEGIN) and first.endswith(END + b"\n")
    init(tmp_path, "--agents")
    assert (tmp_path / "AGENTS.md").read_bytes() == first
    assert not (tmp_path / "CLAUDE.md").exists() and not (tmp_path / ".cursorrules").exists()


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_existing_content_kept_byte_for_byte(tmp_path, eol):
    before = eol.join([b"# Agents", b"", b"Use tabs.\t ", b"  - keep this  ", b"last line, no newline"])
    (tmp_path / "AGENTS.md").write_bytes(before)
    init(tmp_path, "--agents")
    once = (tmp_path / "AGENTS.md").read_bytes()
    assert once.startswith(before)
    head, tail = outside(once)
    assert head == before + eol + eol
    assert tail == eol
    # the block follows the file's line endings
    block = block_of(once)
    assert block.count(b"\n") == block.count(eol)
    init(tmp_path, "--agents")
    assert (tmp_path / "AGENTS.md").read_bytes() == once


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_block_between_user_text_is_updated_in_place(tmp_path, eol):
    head = eol.join([b"\xef\xbb\xbf# Rules", b"", b"Before the block.", b""]) + eol
    tail = eol + eol.join([b"", b"## After", b"Text after the block, odd   spacing\t", b""])
    stale = BEGIN + eol + b"old instructions, written by an older taskbook" + eol + END
    (tmp_path / "AGENTS.md").write_bytes(head + stale + tail)
    init(tmp_path, "--agents")
    data = (tmp_path / "AGENTS.md").read_bytes()
    assert outside(data) == (head, tail)
    assert b"old instructions" not in data
    assert b"taskbook next --json" in block_of(data)
    init(tmp_path, "--agents")
    assert (tmp_path / "AGENTS.md").read_bytes() == data


def test_claude_and_cursor(tmp_path):
    (tmp_path / ".cursorrules").write_text("Always answer in English.\n", encoding="utf-8")
    out = run_json("init", "--claude", "--cursor", cwd=tmp_path)
    actions = {a["path"].rsplit("/", 1)[-1]: a["action"] for a in out["actions"]}
    assert actions["AGENTS.md"] == "created" and actions["CLAUDE.md"] == "created"
    assert actions[".cursorrules"] == "added block"
    blocks = {name: block_of((tmp_path / name).read_bytes())
              for name in ("AGENTS.md", "CLAUDE.md", ".cursorrules")}
    assert len(set(blocks.values())) == 1
    assert (tmp_path / ".cursorrules").read_bytes().startswith(b"Always answer in English.\n\n")
    again = run_json("init", "--agents", "--claude", "--cursor", cwd=tmp_path)
    assert {a["action"] for a in again["actions"]} == {"kept"}


def test_workflow_commands_in_both_languages(tmp_path):
    for lang in ("zh", "en"):
        d = tmp_path / lang
        d.mkdir()
        init(d, "--agents", "--lang", lang)
        text = (d / "AGENTS.md").read_text(encoding="utf-8")
        for cmd in COMMANDS:
            assert cmd in text, (lang, cmd)
        assert "TASKBOOK.md" in text
        has_cjk = re.search(r"[\u4e00-\u9fff]", text) is not None
        assert has_cjk == (lang == "zh")
    zh = (tmp_path / "zh" / "AGENTS.md").read_text(encoding="utf-8")
    assert "修改计划" in zh and "子问题" in zh and "绝不自己批准" in zh
    en = (tmp_path / "en" / "AGENTS.md").read_text(encoding="utf-8")
    assert "Never approve or reject a plan yourself" in en


def test_every_command_in_the_block_exists(tmp_path):
    init(tmp_path, "--agents", "--lang", "en")
    text = (tmp_path / "AGENTS.md").read_text(encoding="utf-8")
    verbs = set(re.findall(r"`taskbook ([a-z]+)", text))
    assert {"next", "show", "list", "add", "plan", "submit", "start", "log", "block", "done",
            "build", "mcp"} <= verbs
    for verb in sorted(verbs):
        assert run(verb, "--help").returncode == 0, verb
    assert "approve" not in verbs and "reject" not in verbs


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")
def test_language_follows_the_existing_book(tmp_path):
    # an English config, but the book is seed 000, written in Chinese
    run("init", "--lang", "en", "--book-name", "review.txt", cwd=tmp_path)
    (tmp_path / "review.txt").unlink()
    copy_seed("000", tmp_path, "review.txt")
    init(tmp_path, "--agents")
    text = (tmp_path / "AGENTS.md").read_text(encoding="utf-8")
    assert "任务簿" in text and "`review.txt`" in text


@pytest.mark.parametrize("content", [
    BEGIN + b"\nno end marker\n",
    b"text\n" + END + b"\n",
    END + b"\n" + BEGIN + b"\n",
    BEGIN + b"\n" + END + b"\n" + BEGIN + b"\n" + END + b"\n",
], ids=["no-end", "no-begin", "reversed", "twice"])
def test_broken_markers_refused(tmp_path, content):
    (tmp_path / "AGENTS.md").write_bytes(content)
    (tmp_path / "CLAUDE.md").write_bytes(b"claude notes\n")
    r = run("init", "--agents", "--claude", cwd=tmp_path)
    assert "AGENTS.md" in assert_clean_error(r, 2)
    assert (tmp_path / "AGENTS.md").read_bytes() == content
    # no agent file is written when one of them is refused
    assert (tmp_path / "CLAUDE.md").read_bytes() == b"claude notes\n"


def test_json_error_for_broken_markers(tmp_path):
    (tmp_path / "AGENTS.md").write_bytes(BEGIN + b"\n")
    r = run("init", "--agents", "--json", cwd=tmp_path)
    assert r.returncode == 2
    assert json.loads(r.stderr)["error"]["code"] == "bad-input"
