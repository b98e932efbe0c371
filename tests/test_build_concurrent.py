"""Two builds on one book at once (issue 12): their logs never mix, the book stays right.

The first build holds `compilelog` from its start until its tasks are
written; a second build started meanwhile writes `compilelog.2` and says so.
Both sync into the book, one after the other under the book's lock, each
from the book as the other left it.  The first build waits on a file the
test creates, so the overlap is certain without any timing.
"""

from __future__ import annotations

import subprocess

from build_helpers import TASKBOOK, base_env, need, tb, write_config
from taskbook.parse import parse

A_SRC = "int fa(int pa) {\n    int ua = 1;\n    return 0;\n}\n"
B_SRC = "int fb(int pb) {\n    int ub = 1;\n    return 0;\n}\n"


def start_waiting_build(tmp_path, book, source: str):
    """`taskbook build` of `source` that, once compiled, waits for the file `go`."""
    script = (f"gcc -Wall -Wextra -c {source} -o /dev/null; echo compiled; "
              "while [ ! -e go ]; do sleep 0.05; done; echo done")
    p = subprocess.Popen([*TASKBOOK, "--book", str(book), "build", "--", "sh", "-c", script],
                         cwd=tmp_path, env=base_env(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"compiled\n"   # it runs, so it holds compilelog
    return p


def finish(p) -> tuple[int, str]:
    try:
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    return p.returncode, err.decode("utf-8", "replace")


def test_a_second_build_writes_its_own_log_and_both_sync(tmp_path):
    need("gcc")
    (tmp_path / "a.c").write_text(A_SRC)
    (tmp_path / "b.c").write_text(B_SRC)
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Work\n\n- [ ] write the parser\n")
    first = start_waiting_build(tmp_path, book, "a.c")
    try:
        second = tb("build", "--", "gcc", "-Wall", "-Wextra", "-c", "b.c", "-o", "/dev/null",
                    cwd=tmp_path, book=book)
    finally:
        (tmp_path / "go").write_text("")
    code, err = finish(first)
    assert code == 0, err
    assert second.returncode == 0, second.stderr
    assert "compilelog is being written by another build; this build's log:" in second.stderr
    assert second.stderr.rstrip().endswith("compilelog.2")
    a_log = (tmp_path / "compilelog").read_text()
    b_log = (tmp_path / "compilelog.2").read_text()
    assert "a.c" in a_log and "b.c" not in a_log and a_log.count("[taskbook] command:") == 1
    assert "b.c" in b_log and "a.c" not in b_log and b_log.count("[taskbook] command:") == 1
    assert a_log.rstrip().split("\n")[-1] == "[taskbook] exit status: 0"
    text = book.read_text()
    titles = [t.title for t in parse(text.encode()).all_tasks()]
    for name in ("‘ua’", "‘ub’", "‘pa’", "‘pb’"):
        assert sum(name in t for t in titles) == 1, (name, titles)
    assert text.count("[fp:") == 4
    # the log is free again once a build is over
    third = tb("build", "--", "gcc", "-Wall", "-Wextra", "-c", "b.c", "-o", "/dev/null",
               cwd=tmp_path, book=book)
    assert "another build" not in third.stderr and third.stderr.rstrip().endswith("compilelog")


def test_two_builds_reporting_the_same_diagnostics_make_their_tasks_once(tmp_path):
    """Same diagnostics from both: whichever syncs second finds them tracked."""
    need("gcc")
    write_config(tmp_path, "build:\n  tasks: one\n")
    (tmp_path / "a.c").write_text(A_SRC)
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] write the parser\n")
    first = start_waiting_build(tmp_path, book, "a.c")
    try:
        second = subprocess.run(
            [*TASKBOOK, "--book", str(book), "build", "--", "sh", "-c",
             "gcc -Wall -Wextra -c a.c -o /dev/null; echo compiled; echo done"],
            cwd=tmp_path, env=base_env(), capture_output=True, text=True, timeout=120)
    finally:
        (tmp_path / "go").write_text("")
    code, err = finish(first)
    assert code == 0 and second.returncode == 0, (err, second.stderr)
    text = book.read_text()
    assert text.count("[fp:") == 2 and text.count("- [ ] warning:") == 2
    assert "tasks: 2 created" in second.stderr and "tasks: 0 created" in err
