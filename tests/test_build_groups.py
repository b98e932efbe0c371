"""`build.tasks: by-code` and `build.max_new_tasks`, with real gcc and cargo builds.

By code: each error is a task of its own; each warning is a sub-task of the
task of its kind (tool and code or lint), closed on its own when a complete
build no longer reports it; the kind's task closes when all of its are.
The cap: at most N diagnostics become tasks per build, errors first; the
summary and --json say how many were left out and why.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from build_helpers import TASKBOOK, cargo_env, make_crate, need, tb, write_config
from taskbook.parse import parse
from test_build_sync import changed_lines

C_SRC = """\
int used(int a, int b) {
    int unused_x = 1;
    int unused_y = 2;
    return 0;
}

int other(int c) {
    int unused_z = 3;
    return 1;
}
"""
BUILD = ["build", "--", "gcc", "-Wall", "-Wextra", "-c", "w.c", "-o", "w.o"]


def tasks(text: str) -> dict[str, object]:
    return {t.title: t for t in parse(text.encode()).all_tasks()}


def test_gcc_warnings_are_grouped_by_kind_and_closed_one_by_one(tmp_path):
    need("gcc")
    (tmp_path / "w.c").write_text(C_SRC)
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Work\n\n- [ ] write the parser\n")
    r = tb(*BUILD, cwd=tmp_path, book=book)
    assert r.returncode == 0, r.stderr
    assert "tasks: 6 created (2 new groups), 0 resolved" in r.stderr
    first = book.read_text()
    t = tasks(first)
    var = t["warning: unused variable [-Wunused-variable]"]
    par = t["warning: unused parameter [-Wunused-parameter]"]
    assert sorted(c.title for c in var.children) == ["w.c: unused variable ‘unused_x’",
                                               "w.c: unused variable ‘unused_y’",
                                               "w.c: unused variable ‘unused_z’"]
    assert sorted(c.title for c in par.children) == ["w.c: unused parameter ‘a’",
                                                     "w.c: unused parameter ‘b’",
                                                     "w.c: unused parameter ‘c’"]
    assert var.parent is None and par.parent is None
    assert re.search(r"\[fam:[0-9a-f]{8}\]", var.section("log").entries[0].text)
    # the same build again: nothing written
    assert tb(*BUILD, cwd=tmp_path, book=book).returncode == 0
    assert book.read_text() == first
    # one location fixed: only its sub-task changes
    (tmp_path / "w.c").write_text(C_SRC.replace("    int unused_y = 2;\n", ""))
    r = tb(*BUILD, cwd=tmp_path, book=book)
    assert "tasks: 0 created, 1 resolved" in r.stderr
    after = book.read_text()
    y = tasks(after)["w.c: unused variable ‘unused_y’"]
    assert y.status.value == "done" and y.parent.status.value == "todo"
    assert changed_lines(first, after) <= set(range(y.line, y.end))
    # the rest of that kind fixed: its task closes with them
    (tmp_path / "w.c").write_text(C_SRC.replace("    int unused_y = 2;\n", "")
                                  .replace("    int unused_x = 1;\n", "")
                                  .replace("    int unused_z = 3;\n", ""))
    r = tb(*BUILD, cwd=tmp_path, book=book)
    t = tasks(book.read_text())
    assert t["warning: unused variable [-Wunused-variable]"].status.value == "done"
    assert t["warning: unused parameter [-Wunused-parameter]"].status.value == "todo"
    # a new location of a closed kind: a sub-task under it, and the kind reopens
    (tmp_path / "w.c").write_text(C_SRC.replace("    int unused_y = 2;\n", "")
                                  .replace("    int unused_x = 1;\n", "    int fresh_q = 1;\n")
                                  .replace("    int unused_z = 3;\n", ""))
    r = tb(*BUILD, cwd=tmp_path, book=book)
    assert "tasks: 1 created, 0 resolved" in r.stderr
    text = book.read_text()
    t = tasks(text)
    var = t["warning: unused variable [-Wunused-variable]"]
    assert var.status.value == "todo"
    assert [c.title for c in var.children][-1] == "w.c: unused variable ‘fresh_q’"
    assert "new locations reported by `gcc -Wall -Wextra -c w.c -o w.o`" in text
    assert len([x for x in t if x.startswith("warning: unused variable")]) == 1


def test_errors_are_tasks_of_their_own(tmp_path):
    need("gcc")
    (tmp_path / "w.c").write_text(C_SRC + "int broken(void) { int v = undefined_name; return v; }\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- 任务：手写的任务\n")
    r = tb(*BUILD, cwd=tmp_path, book=book)
    assert r.returncode == 1 and "incomplete" in r.stderr
    t = tasks(book.read_text())
    err = [x for x in t.values() if x.title.startswith("error:")]
    assert len(err) == 1 and err[0].parent is None and not err[0].children
    assert "‘undefined_name’ undeclared" in err[0].title
    kinds = [x for x in t.values() if x.title.startswith("warning:")]
    assert {k.title for k in kinds} == {"warning: unused variable [-Wunused-variable]",
                                        "warning: unused parameter [-Wunused-parameter]"}
    # a Chinese book gets Chinese entries and sub-problem labels
    text = book.read_text()
    assert "报告的同类问题 [fam:" in text and "- 遇到的问题：" in text
    assert re.search(r"- 子问题[123]：w.c: unused variable ‘unused_x’", text)


def test_the_cap_leaves_out_warnings_first_and_says_so(tmp_path):
    need("gcc")
    write_config(tmp_path, "build:\n  max_new_tasks: 3\n")
    (tmp_path / "w.c").write_text(C_SRC + "int broken(void) { int v = undefined_name; return v; }\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("# Work\n\n- [ ] write the parser\n")
    r = tb(*BUILD[:1], "--json", *BUILD[1:], cwd=tmp_path, book=book)
    doc = json.loads(r.stdout)
    assert doc["counts"] == {"error": 1, "warning": 6, "note": 0}
    assert len(doc["tasks"]["created"]) == 3 and doc["tasks"]["left_out"] == 4
    assert "build.max_new_tasks" in doc["tasks"]["left_out_reason"]
    assert doc["tasks"]["created"][0]["title"].startswith("error:")
    assert text_count(book, "[fp:") == 3
    # the next run offers the rest, three at a time
    r = tb(*BUILD, cwd=tmp_path, book=book)
    assert "tasks: 3 created" in r.stderr and "1 left out" in r.stderr
    assert "1 diagnostic(s) left out: at most 3 new task(s) per build" in r.stderr
    r = tb(*BUILD, cwd=tmp_path, book=book)
    assert "tasks: 1 created" in r.stderr and "left out" not in r.stderr
    assert text_count(book, "[fp:") == 7
    assert tb(*BUILD, cwd=tmp_path, book=book).returncode == 1
    assert text_count(book, "[fp:") == 7


def text_count(book, s: str) -> int:
    return book.read_text().count(s)


# ------------------------------------------------------------------ cargo

@pytest.fixture()
def fixed_crate(tmp_path):
    """The test crate with its error fixed: a complete build with warnings."""
    need("cargo")
    root = make_crate(tmp_path / "crate")
    main = root / "src" / "main.rs"
    main.write_text(main.read_text().replace('println!("{}", unique_id);', 'println!("{}", moved);'))
    return root, cargo_env(tmp_path / "target")


def cargo(root, env, book, *extra):
    return subprocess.run([*TASKBOOK, "--book", str(book), "build", *extra, "--", "cargo", "build",
                           "--offline", "--manifest-path", str(root / "Cargo.toml")],
                          cwd=book.parent, env=env, capture_output=True, text=True,
                          errors="replace", timeout=300)


def test_cargo_warnings_by_kind(fixed_crate, tmp_path):
    root, env = fixed_crate
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- Task: ship it\n")
    r = cargo(root, env, book)
    assert r.returncode == 0, r.stderr
    text = book.read_text()
    t = tasks(text)
    unused = t["warning: unused variable"]
    assert sorted(c.title for c in unused.children) == ["src/main.rs: unused variable: `w`",
                                                        "src/main.rs: unused variable: `x`"]
    assert "warning: function … is never used" in t
    assert all(c.parent is not None for c in t.values() if c.title.startswith("src/"))
    # fix one of them: it closes, its kind stays open
    main = root / "src" / "main.rs"
    main.write_text(main.read_text().replace("let w = vec!", "let _w = vec!"))
    r = cargo(root, env, book)
    assert "tasks: 0 created, 1 resolved" in r.stderr, r.stderr
    after = book.read_text()
    t = tasks(after)
    w = t["src/main.rs: unused variable: `w`"]
    assert w.status.value == "done" and t["warning: unused variable"].status.value == "todo"
    assert changed_lines(text, after) <= set(range(w.line, w.end))


def test_cargo_cap_and_json(fixed_crate, tmp_path):
    root, env = fixed_crate
    write_config(tmp_path, "build:\n  tasks: one\n  max_new_tasks: 2\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] ship it\n")
    r = cargo(root, env, book, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    warnings = doc["counts"]["warning"]
    assert warnings >= 5
    assert len(doc["tasks"]["created"]) == 2 and doc["tasks"]["left_out"] == warnings - 2
    assert [t.parent for t in parse(book.read_bytes()).all_tasks()] == [None] * 3


def test_config_set_refuses_what_a_build_could_not_use(tmp_path):
    (tmp_path / ".taskbook").mkdir()
    (tmp_path / ".taskbook" / "config.yaml").write_text("book: TASKBOOK.md\n")
    for key, value in [("build.tasks", "foo"), ("build.max_new_tasks", "-1"),
                       ("build.max_new_tasks", "many"), ("build.ignore", "regex:(unclosed"),
                       ("build.patterns", "no groups"),
                       ("build.log", " "), ("build.close_resolved", "maybe")]:
        r = tb("config", "set", "--", key, value, cwd=tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (key, value, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (tmp_path / ".taskbook" / "config.yaml").read_text() == "book: TASKBOOK.md\n"
    for key, value in [("build.tasks", "one"), ("build.tasks", "by-code"), ("build.tasks", "grouped"),
                       ("build.max_new_tasks", "0"), ("build.ignore", "code:E0432"),
                       ("build.patterns", "(?P<file>\\S+):(?P<line>\\d+): (?P<message>.+)")]:
        assert tb("config", "set", key, value, cwd=tmp_path).returncode == 0, (key, value)
    cfg = tb("config", "get", "build.max_new_tasks", "--json", cwd=tmp_path)
    assert json.loads(cfg.stdout)["value"] == 0


def test_a_hand_edited_bad_setting_is_reported_at_the_build(tmp_path):
    write_config(tmp_path, "build:\n  tasks: everything\n")
    (tmp_path / "out.txt").write_text("warning: unused variable: `a`\n --> src/lib.rs:4:9\n\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] a\n")
    r = tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    assert r.returncode == 2 and "build.tasks takes one of by-code, one, grouped" in r.stderr
    assert book.read_text() == "- [ ] a\n"
    assert "Traceback" not in r.stderr


RUST = ("warning: unused variable: `a`\n --> src/lib.rs:4:9\n\n"
        "warning: unused variable: `b`\n --> src/lib.rs:5:9\n\n")


def test_a_dropped_kind_takes_no_new_locations(tmp_path):
    (tmp_path / "out.txt").write_text(RUST)
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] existing\n")
    assert tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book).returncode == 0
    kind = tasks(book.read_text())["warning: unused variable"]
    r = tb("drop", kind.id, "--force", cwd=tmp_path, book=book)
    assert r.returncode == 0, r.stderr
    dropped = book.read_text()
    (tmp_path / "out.txt").write_text(RUST + "warning: unused variable: `c`\n --> src/lib.rs:6:9\n\n")
    r = tb("build", "--json", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    doc = json.loads(r.stdout)
    assert doc["tasks"]["created"] == [] and doc["tasks"]["ignored"] == 1
    assert book.read_text() == dropped


def test_tags_of_eight_digits_from_an_earlier_taskbook_still_match(tmp_path):
    (tmp_path / "out.txt").write_text(RUST)
    write_config(tmp_path, "build:\n  tasks: one\n")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] existing\n")
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    twelve = book.read_text()
    old = re.sub(r"\[fp:([0-9a-f]{8})[0-9a-f]{4}\]", r"[fp:\1]", twelve)
    assert old != twelve and len(re.findall(r"\[fp:[0-9a-f]{8}\]", old)) == 2
    book.write_text(old)
    assert tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book).returncode == 0
    assert book.read_text() == old                       # found, not doubled
    (tmp_path / "out.txt").write_text(RUST.split("warning: unused variable: `b`")[0])
    tb("build", "--", "cat", "out.txt", cwd=tmp_path, book=book)
    after = book.read_text()
    assert "- [x] warning: unused variable: `b`" in after and after.count("gone]") == 1
