"""Diagnostics become tasks: real builds (cargo, gcc, javac, pytest) against real books.

Each test runs the real `taskbook` program and checks the book's bytes: the
same failing build twice writes nothing the second time; fixing one warning
changes only that warning's task; an interrupted build closes nothing.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import signal
import subprocess
import sys

import pytest

from build_helpers import TASKBOOK, base_env, cargo_env, make_crate, need, tb, write_config
from taskbook.parse import parse

REVIEW_BOOK = "（顺序：新的在前面）\n\n- 任务：手写的任务\n  - 执行记录：\n      - 开始\n"


def changed_lines(old: str, new: str) -> set[int]:
    """0-based lines of `new` that the edit inserted or replaced."""
    out: set[int] = set()
    sm = difflib.SequenceMatcher(a=old.split("\n"), b=new.split("\n"), autojunk=False)
    for op, _a0, a1, b0, b1 in sm.get_opcodes():
        if op in ("replace", "insert"):
            out.update(range(b0, b1))
        elif op == "delete":
            raise AssertionError("an edit deleted lines")
    return out


def task_titled(book_text: str, title: str):
    hits = [t for t in parse(book_text.encode()).all_tasks() if t.title == title]
    assert len(hits) == 1, (title, [t.title for t in parse(book_text.encode()).all_tasks()])
    return hits[0]


# ------------------------------------------------------------------ cargo

@pytest.fixture(scope="module")
def crate(tmp_path_factory):
    need("cargo")
    root = make_crate(tmp_path_factory.mktemp("crate"))
    env = cargo_env(root / "target")
    return root, env


def cargo_build(root, env, book, *extra):
    """`taskbook build -- cargo build` run beside the book (whose settings apply)."""
    return subprocess.run([*TASKBOOK, "--book", str(book), "build", *extra, "--", "cargo", "build",
                           "--offline", "--manifest-path", str(root / "Cargo.toml")],
                          cwd=book.parent, env=env, capture_output=True, text=True,
                          errors="replace", timeout=300)


def one_task_each(root) -> None:
    """Settings for the tests of `build.tasks: one` (every diagnostic a top-level task)."""
    write_config(root, "build:\n  tasks: one\n  max_new_tasks: 0\n")


def test_cargo_failing_build_run_twice_creates_its_tasks_once(crate, tmp_path):
    root, env = crate
    one_task_each(tmp_path)
    book = tmp_path / "TASKBOOK.md"
    book.write_text(REVIEW_BOOK)
    r = cargo_build(root, env, book)
    assert r.returncode == 101, r.stderr
    first = book.read_text()
    titles = [t.title for t in parse(first.encode()).all_tasks()]
    assert "error[E0382]: borrow of moved value: `unique_id`" in titles
    assert "warning: unused variable: `w`" in titles
    assert len(titles) == 1 + 6   # the hand-written task, 1 error, 5 warnings
    assert "tasks: 6 created, 0 resolved" in r.stderr
    e = task_titled(first, "error[E0382]: borrow of moved value: `unique_id`")
    entry = e.section("log").entries[0].text
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d `cargo build --offline --manifest-path \S+` "
                        r"报告于 src/main.rs:11:20 \[fp:[0-9a-f]{12}\]", entry), entry
    r2 = cargo_build(root, env, book)
    assert r2.returncode == 101
    assert book.read_text() == first          # nothing duplicated, nothing touched
    assert "incomplete: stopped early" in r2.stderr


def test_cargo_fixing_one_warning_changes_only_that_task(crate, tmp_path):
    root, env = crate
    main = root / "src" / "main.rs"
    fixed = main.read_text().replace('println!("{}", unique_id);', 'println!("{}", moved);')
    main.write_text(fixed)
    one_task_each(tmp_path)
    book = tmp_path / "TASKBOOK.md"
    book.write_text(REVIEW_BOOK)
    try:
        assert cargo_build(root, env, book).returncode == 0
        before = book.read_text()
        assert len(list(parse(before.encode()).all_tasks())) == 1 + 6
        # the same warnings, moved down two lines: still the same tasks
        main.write_text("// moved\n// down\n" + fixed)
        r = cargo_build(root, env, book)
        assert r.returncode == 0 and book.read_text() == before
        # fix one warning
        main.write_text("// moved\n// down\n" + fixed.replace("let w = vec!", "let _w = vec!"))
        r = cargo_build(root, env, book)
        assert r.returncode == 0, r.stderr
        after = book.read_text()
        t = task_titled(after, "warning: unused variable: `w`")
        assert changed_lines(before, after) <= set(range(t.line, t.end))
        assert t.status.value == "done"
        assert "构建不再报告此问题" in t.section("log").entries[-1].text
        assert "tasks: 0 created, 1 resolved" in r.stderr
    finally:
        main.write_text(fixed.replace('println!("{}", moved);', 'println!("{}", unique_id);'))


# ------------------------------------------------------------------ gcc

GCC_SRC = "int main(void) {\n    int unused_a = 1;\n    int unused_b = 2;\n    return 0;\n}\n"


def test_gcc_warnings_become_tasks_and_a_fixed_one_is_resolved(tmp_path):
    need("gcc")
    one_task_each(tmp_path)
    (tmp_path / "w.c").write_text(GCC_SRC)
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Work\n\n- [ ] write the parser\n")
    cmd = ["build", "--", "gcc", "-Wall", "-c", "w.c", "-o", "w.o"]
    r = tb(*cmd, cwd=tmp_path, book=book)
    assert r.returncode == 0, r.stderr
    text = book.read_text()
    assert "- [ ] warning: unused variable ‘unused_a’ [-Wunused-variable]" in text
    assert "- [ ] warning: unused variable ‘unused_b’ [-Wunused-variable]" in text
    (tmp_path / "w.c").write_text(GCC_SRC.replace("    int unused_b = 2;\n", ""))
    r = tb(*cmd, cwd=tmp_path, book=book)
    assert r.returncode == 0
    after = book.read_text()
    assert "- [x] warning: unused variable ‘unused_b’ [-Wunused-variable]" in after
    assert "- [ ] warning: unused variable ‘unused_a’ [-Wunused-variable]" in after
    t = task_titled(after, "warning: unused variable ‘unused_b’ [-Wunused-variable]")
    assert changed_lines(text, after) <= set(range(t.line, t.end))


def test_a_c_file_not_recompiled_is_not_resolved(tmp_path):
    """make-style builds skip unchanged files: absent is not fixed unless the file was compiled."""
    need("gcc")
    one_task_each(tmp_path)
    (tmp_path / "w.c").write_text(GCC_SRC)
    (tmp_path / "b.sh").write_text("if [ -f dirty ]; then gcc -Wall -c w.c -o w.o; fi\n")
    (tmp_path / "dirty").write_text("")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Work\n\n- [ ] write the parser\n")
    assert tb("build", "--", "sh", "b.sh", cwd=tmp_path, book=book).returncode == 0
    text = book.read_text()
    assert text.count("- [ ] warning:") == 2
    (tmp_path / "dirty").unlink()
    r = tb("build", "--", "sh", "b.sh", cwd=tmp_path, book=book)
    assert r.returncode == 0 and "complete" in r.stderr
    assert book.read_text() == text          # nothing compiled: nothing proven fixed


# ------------------------------------------------------------------ signals

def test_an_interrupted_build_closes_nothing(tmp_path):
    (tmp_path / "run.sh").write_text(
        "if [ -f slow ]; then echo ready; sleep 30; "
        "else printf 'warning: unused thing\\n --> src/lib.rs:3:1\\n\\n'; fi\n")
    one_task_each(tmp_path)
    book = tmp_path / "TASKBOOK.md"
    book.write_text(REVIEW_BOOK)
    assert tb("build", "--", "sh", "run.sh", cwd=tmp_path, book=book).returncode == 0
    text = book.read_text()
    assert "- 任务：warning: unused thing" in text
    (tmp_path / "slow").write_text("")
    p = subprocess.Popen([*TASKBOOK, "--book", str(book), "build", "--", "sh", "run.sh"],
                         cwd=tmp_path, env=base_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130
    assert book.read_text() == text
    assert b"incomplete: interrupted" in err
    log = (tmp_path / "compilelog").read_text().split("\n")
    assert log[-2].startswith("[taskbook] interrupted: SIGINT")


# ------------------------------------------------------------------ config

RUST_WARNINGS = ("warning: unused import: `std::io`\\n --> src/lib.rs:1:5\\n\\n"
                 "warning: unused variable: `a`\\n --> src/lib.rs:4:9\\n\\n"
                 "warning: unused variable: `b`\\n --> src/lib.rs:5:9\\n\\n")


def test_grouped_tasks_ignore_rules_and_checklist_dialect(tmp_path):
    write_config(tmp_path, "build:\n  tasks: grouped\n  ignore:\n    - 'regex:unused import'\n")
    out = tmp_path / "out.txt"
    out.write_text(RUST_WARNINGS.replace("\\n", "\n"))
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Tasks\n\n- [ ] existing\n")
    r = tb("build", "--json", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["complete"] and doc["tasks"]["ignored"] == 1 and len(doc["tasks"]["created"]) == 2
    lines = book.read_text().split("\n")
    parent = [ln for ln in lines if ln.startswith("- [ ] Build `cat out.txt`")]
    assert len(parent) == 1 and parent[0].endswith(": 2 new diagnostic(s)")
    assert "  - [ ] warning: unused variable: `a`" in lines
    assert "  - [ ] warning: unused variable: `b`" in lines
    assert not any("unused import" in ln for ln in lines)
    out.write_text(RUST_WARNINGS.replace("\\n", "\n").split("warning: unused variable: `b`")[0])
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    lines = book.read_text().split("\n")
    assert "  - [x] warning: unused variable: `b`" in lines
    out.write_text("")
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    text = book.read_text()
    assert "  - [x] warning: unused variable: `a`" in text
    assert "- [x] Build `cat out.txt`" in text          # all its diagnostics resolved
    assert "- [ ] existing" in text


def test_an_open_hand_written_task_with_the_same_title_is_adopted(tmp_path):
    (tmp_path / "out.txt").write_text("warning: unused variable: `a`\n --> src/lib.rs:4:9\n\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- 任务：warning: unused variable: `a`\n")
    r = tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    assert r.returncode == 0
    text = book.read_text()
    assert text.count("warning: unused variable: `a`") == 1 and "[fp:" in text


def test_close_resolved_false_notes_but_keeps_open(tmp_path):
    write_config(tmp_path, "build:\n  tasks: one\n  close_resolved: false\n")
    out = tmp_path / "out.txt"
    out.write_text("warning: unused variable: `a`\n --> src/lib.rs:4:9\n\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Tasks\n\n- [ ] existing\n")
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    out.write_text("")
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    once = book.read_text()
    assert "- [ ] warning: unused variable: `a`" in once and "gone]" in once
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    assert book.read_text() == once           # "gone" is said once
    out.write_text("warning: unused variable: `a`\n --> src/lib.rs:9:9\n\n")
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    assert "reported again by `cat out.txt` at src/lib.rs:9:9" in book.read_text()


# ------------------------------------------------------------------ scan

def test_scan_json_and_scan_sync_of_a_foreign_log(tmp_path):
    from build_helpers import FIXTURES
    shutil.copy(FIXTURES / "cargo_pty.raw", tmp_path / "compilelog")
    r = tb("scan", "compilelog", "--json", cwd=tmp_path)
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert [d["code"] for d in doc["diagnostics"]].count("E0382") == 1
    assert set(doc["diagnostics"][0]) == {"tool", "severity", "code", "message", "file", "line",
                                          "column", "fingerprint"}
    book = tmp_path / "TASKBOOK.md"
    book.write_text(REVIEW_BOOK)
    r = tb("scan", "compilelog", "--sync", cwd=tmp_path, book=book)
    assert r.returncode == 0, r.stderr
    assert "incomplete: the log has no taskbook footer" in r.stderr
    assert book.read_text().count("[fp:") == 7
    assert tb("scan", "missing.log", cwd=tmp_path).returncode == 2


# ------------------------------------------------------------------ other tools

def test_pytest_failures_close_on_a_complete_failing_run(tmp_path):
    (tmp_path / "test_t.py").write_text("def test_a():\n    assert 1 == 2\n\n"
                                        "def test_b():\n    assert 'x' == 'y'\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Tasks\n\n- [ ] existing\n")
    cmd = ["build", "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_t.py"]
    assert tb(*cmd, cwd=tmp_path, book=book).returncode == 1
    assert "- [ ] FAILED test_t.py::test_b - AssertionError" in book.read_text()
    (tmp_path / "test_t.py").write_text("def test_a():\n    assert 1 == 2\n\ndef test_b():\n    pass\n")
    r = tb(*cmd, cwd=tmp_path, book=book)
    assert r.returncode == 1 and "complete" in r.stderr and "1 resolved" in r.stderr
    text = book.read_text()
    assert "- [x] FAILED test_t.py::test_b" in text and "- [ ] FAILED test_t.py::test_a" in text


def test_javac_errors_are_found(tmp_path):
    need("javac")
    (tmp_path / "Foo.java").write_text(
        "public class Foo {\n    void run() {\n        undefinedCall();\n        int n = \"s\";\n    }\n}\n")
    r = tb("build", "--no-sync", "--json", "--", "javac", "-d", "out", "Foo.java", cwd=tmp_path)
    assert r.returncode == 1
    got = [(d["severity"], d["file"], d["line"], d["column"], d["message"])
           for d in json.loads(r.stdout)["diagnostics"]]
    assert got == [("error", "Foo.java", 3, 9, "cannot find symbol (symbol: method undefinedCall())"),
                   ("error", "Foo.java", 4, 17, "incompatible types: String cannot be converted to int")]
