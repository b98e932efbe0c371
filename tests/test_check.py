"""`taskbook check` as the real program: what it finds, what it leaves alone,
its exit codes, its JSON, and the pre-commit hook that runs it."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import pytest
from ruamel.yaml import YAML

from cli_helpers import REPO_ROOT, SEEDS_DIR, TASKBOOK, assert_clean_error, base_env, copy_seed, run
from schema_helpers import validate

CRAFTED = """\
# Release

- [ ]x checkbox glued to its title
- [X]done glued too
-[ ] no space after the dash
1.[x] no space after the number
- [] empty box
- [ x] spaced box
- [done] lower-case word
- 任务 没有冒号
- 任务1：带编号
- （完成了）任务：不认识的状态
- (done 任务：没闭合的括号
- Task 2: numbered English label
- Task - dashed English label
- （done）任务：父任务已完成
  - 子问题1：子问题还开着
- （working）任务：没有计划
- （approved）任务：批准了但没有计划
- 任务：重名
- 任务：重名
"""

EXPECTED = {
    (3, "unreadable-task"), (4, "unreadable-task"), (5, "unreadable-task"), (6, "unreadable-task"),
    (7, "unreadable-task"), (8, "unreadable-task"), (9, "unreadable-task"), (10, "unreadable-task"),
    (11, "unreadable-task"), (12, "unreadable-task"), (13, "unreadable-task"),
    (14, "unreadable-task"), (15, "unreadable-task"),
    (16, "done-with-open-subproblems"), (18, "missing-plan"), (19, "missing-plan"),
    (20, "duplicate-address"),   # newest first: the upper one is the newer, "-2"
}

CLEAN = """\
（顺序：新的在前面）

- 任务：有计划的任务
  - 修改计划：
      1. 第一步
  - 执行记录：
      - 任务 A 完成了，[ ]x 这里只是记录里的文字
- （working）任务：进行中
  - 修改计划：
      1. 做
- （done）任务：已完成
  - （done）子问题1：也完成了
- [x](https://example.com) a link list item, not a box
- [ ]*star-glued box (read as a task)
- 任务管理：a word that starts with the label

```
- [ ]x inside a code block
-[ ] also code
```

<!--
- [ ]x inside a comment
- 任务 inside a comment
-->

> - [ ]x in a block quote

| - [ ]x | in a table |
|---|---|
"""


def _check(path, *extra, **kw):
    return run("--book", path, "check", *extra, **kw)


def test_crafted_book_findings(tmp_path):
    book = tmp_path / "b.md"
    book.write_text(CRAFTED, encoding="utf-8")
    before = book.read_bytes()
    r = _check(book, "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    validate(out, "check")
    got = {(f["line"], f["kind"]) for f in out["findings"]}
    assert got == EXPECTED
    assert out["counts"] == {"unreadable-task": 13, "done-with-open-subproblems": 1,
                             "missing-plan": 2, "duplicate-address": 1}
    lines = CRAFTED.splitlines()
    for f in out["findings"]:
        assert f["book"] == str(book) and f["message"]
        if f["kind"] == "unreadable-task":
            assert f["text"] == lines[f["line"] - 1]
        else:
            assert "id" in f
    assert book.read_bytes() == before


def test_crafted_book_text_output(tmp_path):
    book = tmp_path / "b.md"
    book.write_text(CRAFTED, encoding="utf-8")
    r = _check(book)
    assert r.returncode == 1
    out = r.stdout.splitlines()
    assert len(out) == len(EXPECTED)
    for line in out:
        assert re.fullmatch(re.escape(str(book)) + r":\d+: [a-z-]+: .+", line), line
    assert out[0].startswith(f"{book}:3: unreadable-task: checkbox followed directly by text")
    assert f"{len(EXPECTED)} finding(s)" in r.stderr


@pytest.mark.parametrize("line,why", [
    ("- [ ]x foo", "put a space after it"),
    ("-[ ] foo", "between the list marker and the checkbox"),
    ("- [  ] foo", "malformed checkbox"),
    ("- [todo] foo", "lower case"),
    ("- 任务 foo", "without a colon"),
    ("- 任务；foo", "without a colon"),
    ("- 任务2：foo", "numbered task label"),
    ("- （finished?）任务：foo", "not a status word"),
    ("- （done 任务：foo", "not closed"),
    ("- **Task** - foo", "without a colon"),
])
def test_each_rule(tmp_path, line, why):
    book = tmp_path / "b.md"
    book.write_text(f"- [ ] a real task\n{line}\n", encoding="utf-8")
    r = _check(book, "--json")
    assert r.returncode == 1
    findings = json.loads(r.stdout)["findings"]
    assert [(f["line"], f["kind"]) for f in findings] == [(2, "unreadable-task")]
    assert why in findings[0]["message"]


def test_clean_book(tmp_path):
    book = tmp_path / "b.md"
    book.write_text(CLEAN, encoding="utf-8")
    r = _check(book)
    assert r.returncode == 0, r.stdout
    assert r.stdout == "" and "no problems" in r.stderr
    out = json.loads(_check(book, "--json").stdout)
    validate(out, "check")
    assert out["findings"] == [] and set(out["counts"].values()) == {0}


def test_empty_and_plain_books_are_clean(tmp_path):
    for text in ("", "# Notes\n\nJust prose, no tasks.\n"):
        book = tmp_path / "b.md"
        book.write_text(text, encoding="utf-8")
        assert _check(book).returncode == 0


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")
def test_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    out = json.loads(_check(book, "--json").stdout)
    kinds = [f["kind"] for f in out["findings"]]
    # three titles occur twice (error[E0521] among them); two done tasks
    # still hold open sub-problems (子问题1-3 of 274z1, 子任务1 of v5zbg)
    assert kinds.count("duplicate-address") == 3
    assert kinds.count("done-with-open-subproblems") == 2
    assert "unreadable-task" not in kinds
    dup_lines = [f["line"] for f in out["findings"] if f["kind"] == "duplicate-address"]
    text = book.read_text(encoding="utf-8").splitlines()
    assert any("error[E0521]" in text[n - 1] for n in dup_lines)


def test_exit_2_on_bad_input(tmp_path):
    assert_clean_error(_check(tmp_path / "missing.md"), 2)
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\x00\x01")
    assert_clean_error(run("check", binary), 2)
    good = tmp_path / "good.md"
    good.write_text("- [ ] fine\n", encoding="utf-8")
    # one bad book among good ones: exit 2, nothing on stdout
    r = run("check", good, tmp_path / "missing.md")
    assert r.returncode == 2 and r.stdout == ""


def test_several_books(tmp_path):
    good = tmp_path / "good.md"
    good.write_text("- [ ] fine\n", encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text("- [ ]x broken\n", encoding="utf-8")
    assert run("check", good).returncode == 0
    r = run("check", good, bad, "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["books"] == [str(good), str(bad)]
    assert [(f["book"], f["line"]) for f in out["findings"]] == [(str(bad), 1)]


def test_crlf_and_bom_book(tmp_path):
    book = tmp_path / "b.md"
    book.write_bytes(b"\xef\xbb\xbf- [ ] ok\r\n- [ ]x broken\r\n")
    out = json.loads(_check(book, "--json").stdout)
    assert [(f["line"], f["text"]) for f in out["findings"]] == [(2, "- [ ]x broken")]


# ---------------------------------------------------------------- pre-commit

def _hook() -> dict:
    hooks = YAML(typ="safe").load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["taskbook-check"]
    return hooks[0]


def test_pre_commit_hook_definition():
    hook = _hook()
    assert hook["entry"] == "taskbook check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for name in ("TASKBOOK.md", "docs/TASKBOOK.md"):
        assert files.search(name)
    for name in ("README.md", "TASKBOOK.md.bak", "NOTTASKBOOK.md"):
        assert not files.search(name)


def test_pre_commit_hook_runs_like_pre_commit(tmp_path):
    """pre-commit runs `entry` plus the matching file names from the repo root."""
    hook = _hook()
    (tmp_path / "TASKBOOK.md").write_text("- [ ] fine\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "TASKBOOK.md").write_text("-[ ] broken\n", encoding="utf-8")
    names = [p for p in ("TASKBOOK.md", "sub/TASKBOOK.md", "README.md") if re.search(hook["files"], p)]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "taskbook"
    cmd = [*TASKBOOK, *entry[1:]]
    r = subprocess.run([*cmd, *names], cwd=tmp_path, env=base_env(), capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stdout.startswith("sub/TASKBOOK.md:1: unreadable-task:")
    r = subprocess.run([*cmd, names[0]], cwd=tmp_path, env=base_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
