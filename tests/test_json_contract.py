"""The JSON contract (docs/json.md, docs/schema/taskbook-v1.json) held against
real output: every read command on every seed, the edit verbs, check, init and
config, the errors on stderr, and the examples printed in docs/json.md, which
are re-run and compared.

`python tests/test_json_contract.py` rewrites the examples in docs/json.md from
a fresh run (after a deliberate change of output).
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
from pathlib import Path

import pytest

from cli_helpers import (
    CORPUS_DIR, REPO_ROOT, SEEDS_DIR, copy_seed, run, run_json, walk,
)
from schema_helpers import schema, validate

from taskbook import export, parse
from taskbook.check import check_book
from taskbook.query import next_task, select

DOCS = REPO_ROOT / "docs" / "json.md"
SEEDS = sorted(p.name[:3] for p in SEEDS_DIR.glob("*")) if SEEDS_DIR.is_dir() else []
needs_seeds = pytest.mark.skipif(not SEEDS, reason=f"no test data in {SEEDS_DIR}")


# ------------------------------------------------ real output of every command

@needs_seeds
@pytest.mark.parametrize("number", SEEDS)
def test_read_commands_on_every_seed(tmp_path, number):
    book = copy_seed(number, tmp_path)
    listing = run_json("--book", book, "list", "--all")
    validate(listing, "list")
    validate(run_json("--book", book, "list"), "list")
    validate(run_json("--book", book, "stats"), "stats")
    validate(run_json("--book", book, "next"), "next")
    tasks = list(walk(listing["tasks"]))
    for t in tasks[:1] + tasks[-1:]:
        shown = run_json("--book", book, "show", t["id"])
        validate(shown, "show")
        assert shown["task"]["id"] == t["id"]
    r = run("--book", book, "check", "--json")
    assert r.returncode in (0, 1), r.stderr
    validate(json.loads(r.stdout), "check")


@needs_seeds
def test_filtered_list_marks_context(tmp_path):
    book = copy_seed("000", tmp_path)
    out = run_json("--book", book, "list", "--status", "todo")
    validate(out, "list")
    context = [t for t in walk(out["tasks"]) if t.get("context")]
    assert context and all(t["status"] != "todo" for t in context)


@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason=f"no test data in {CORPUS_DIR}")
def test_every_corpus_book_in_process():
    """The same builders the CLI calls, on every corpus book (fast: no process)."""
    for path in sorted(CORPUS_DIR.glob("*.md")):
        book = parse(path.read_bytes())
        name = str(path)
        validate(export.list_json(book, name, select(book, None, True)), "list")
        validate(export.stats_json(book, name), "stats")
        validate(export.next_json(book, name, next_task(book), 3), "next")
        for t in list(book.all_tasks())[:5]:
            validate(export.show_json(book, name, t), "show")
        findings = check_book(book)
        validate({"schema_version": 1, "books": [name], "counts": {k: 0 for k in schema()[
            "$defs"]["check"]["properties"]["counts"]["required"]},
            "findings": [{"book": name, **f.to_json()} for f in findings]}, "check")


@needs_seeds
def test_edit_verbs(tmp_path):
    book = copy_seed("000", tmp_path)
    added = run_json("--book", book, "add", "JSON 契约测试")
    validate(added, "edit")
    tid = added["task"]["id"]
    for args, action in ((["plan", tid, "一步"], "planned"), (["log", tid, "记录"], "logged"),
                         (["submit", tid], "submitted"), (["approve", tid], "approved"),
                         (["start", tid], "started"), (["block", tid, "--note", "等"], "blocked"),
                         (["reopen", tid], "reopened"), (["done", tid], "done")):
        out = run_json("--book", book, *args)
        validate(out, "edit")
        assert out["action"] == action


def test_init_and_config(tmp_path):
    validate(run_json("init", cwd=tmp_path), "init")
    validate(run_json("init", "--agents", cwd=tmp_path), "init")
    validate(run_json("config", "get", "log.timestamp", cwd=tmp_path), "config_get")
    validate(run_json("config", "list", cwd=tmp_path), "config_list")


# ------------------------------------------------------------ errors on stderr

READ_COMMANDS = [["list"], ["show", "x"], ["stats"], ["next"], ["check"]]


def _json_error(r, exit_code: int = 2) -> dict:
    assert r.returncode == exit_code, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1, r.stderr
    err = json.loads(lines[0])
    validate(err, "error")
    return err["error"]


@pytest.mark.parametrize("cmd", READ_COMMANDS, ids=lambda c: c[0])
def test_missing_book(tmp_path, cmd):
    err = _json_error(run("--book", tmp_path / "nope.md", *cmd, "--json"))
    assert err["code"] == "no-book" and "nope.md" in err["message"]


@pytest.mark.parametrize("cmd", READ_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("data,code", [(b"- [ ] a\n\xff\xfe\n", "encoding"),
                                       (b"- [ ] a\x00b\n", "binary")], ids=["utf8", "binary"])
def test_unreadable_book(tmp_path, cmd, data, code):
    book = tmp_path / "bad.md"
    book.write_bytes(data)
    assert _json_error(run("--book", book, *cmd, "--json"))["code"] == code
    assert book.read_bytes() == data


@pytest.mark.parametrize("cmd", [["show"], ["show", "--status"]], ids=["no-address", "bad-option"])
def test_usage_errors(tmp_path, cmd):
    book = tmp_path / "b.md"
    book.write_text("- [ ] a\n", encoding="utf-8")
    assert _json_error(run("--book", book, *cmd, "--json"))["code"] == "usage"


def test_bad_value(tmp_path):
    book = tmp_path / "b.md"
    book.write_text("- [ ] a\n", encoding="utf-8")
    err = _json_error(run("--book", book, "list", "--status", "nope", "--json"))
    assert err["code"] == "bad-input" and "nope" in err["message"]


def test_unknown_and_ambiguous_address(tmp_path):
    book = tmp_path / "b.md"
    book.write_text("- [ ] fix the parser\n- [ ] fix the printer\n", encoding="utf-8")
    assert _json_error(run("--book", book, "show", "zzz", "--json"))["code"] == "unknown-address"
    err = _json_error(run("--book", book, "show", "fix", "--json"))
    assert err["code"] == "ambiguous-address"
    assert [c["title"] for c in err["candidates"]] == ["fix the parser", "fix the printer"]
    assert [c["line"] for c in err["candidates"]] == [1, 2]


# ------------------------------------------------------- the examples in docs

_RUN = re.compile(r"<!-- run: (?P<args>.*?) \| schema: (?P<schema>\w+)(?: \| exit: (?P<exit>\d+))? -->\n"
                  r"```json\n(?P<body>.*?)```", re.S)
_BOOK = re.compile(r"<!-- example-book -->\n```markdown\n(?P<body>.*?)```", re.S)


def _examples(text: str):
    return list(_RUN.finditer(text))


def _run_example(directory: Path, m: re.Match) -> tuple[int, dict]:
    args = shlex.split(m["args"])
    if args[0] != "--book":
        args = ["--book", "TASKBOOK.md", *args]
    r = run(*args, "--json", cwd=directory)
    out = r.stdout if r.returncode in (0, 1) and r.stdout else r.stderr
    assert "Traceback" not in r.stderr
    return r.returncode, json.loads(out)


def _fresh_example_dir(text: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix="taskbook-json-doc-"))
    (d / "TASKBOOK.md").write_text(_BOOK.search(text)["body"], encoding="utf-8")
    return d


def test_docs_cover_every_output():
    text = DOCS.read_text(encoding="utf-8")
    shown = {m["schema"] for m in _examples(text)}
    outputs = {"list", "show", "stats", "next", "check", "edit", "error"}
    assert outputs <= shown, f"no example of {outputs - shown} in docs/json.md"
    assert outputs | {"init", "config_get", "config_list"} <= set(schema()["$defs"])


def test_docs_examples_are_real_output():
    text = DOCS.read_text(encoding="utf-8")
    d = _fresh_example_dir(text)
    for m in _examples(text):
        code, got = _run_example(d, m)
        assert code == int(m["exit"] or 0), (m["args"], code, got)
        documented = json.loads(m["body"])
        validate(documented, m["schema"])
        assert got == documented, (f"docs/json.md is out of date for `{m['args']}`: "
                                   f"run python tests/test_json_contract.py")


def regenerate() -> None:
    """Rewrite every example block of docs/json.md with a fresh run."""
    text = DOCS.read_text(encoding="utf-8")
    d = _fresh_example_dir(text)
    out, pos = [], 0
    for m in _examples(text):
        _, got = _run_example(d, m)
        out.append(text[pos:m.start("body")])
        out.append(json.dumps(got, ensure_ascii=False, indent=2) + "\n")
        pos = m.end("body")
    out.append(text[pos:])
    DOCS.write_text("".join(out), encoding="utf-8")


if __name__ == "__main__":
    regenerate()
