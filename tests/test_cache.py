"""The parse cache (taskbook.cache): a cached book is the parsed book.

Every property a reader or an edit can see is compared between a book parsed
from its bytes and the same book read back from the cache: over all seeds
and corpus files, over generated books, and through the real CLI.  Entries
that do not belong to these exact bytes, or to this parser, or that are
damaged, must be ignored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given

from conftest import FUZZ, book_bytes, book_params
from cli_helpers import TASKBOOK, base_env
from model_helpers import describe

from taskbook import actions, cache, export
from taskbook.config import Config
from taskbook.parse import parse
from taskbook.query import select
from taskbook.store import load


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(d))
    monkeypatch.delenv("TASKBOOK_CACHE", raising=False)
    monkeypatch.setattr(cache, "MIN_SIZE", 0)   # cache every book, however small
    return d


def _round_trip(path: Path, data: bytes):
    parsed = parse(data)
    cache.save(path, data, parsed)
    cached = cache.load(path, data)
    assert cached is not None, "the entry just written was not used"
    return parsed, cached


@pytest.mark.parametrize("src", book_params())
def test_a_cached_book_is_the_parsed_book(src, cache_dir, tmp_path):
    data = src.read_bytes()
    path = tmp_path / "book.md"
    parsed, cached = _round_trip(path, data)
    # what read commands see, before any Item is asked for ...
    assert describe(cached) == describe(parsed)
    assert export.list_json(cached, "b", select(cached, None, True)) == \
        export.list_json(parsed, "b", select(parsed, None, True))
    assert cached.render() == data
    # ... and what edits see: Items scanned region by region on demand
    assert describe(cached) == describe(parsed)


_GEN_DIR = Path(tempfile.mkdtemp(prefix="taskbook-cache-gen-"))


@FUZZ
@given(book_bytes())
# mixed line endings: the item scanned on demand must lose its "\r" too
@example(b"\n" * 30 + b"- - ```\n\r\n  - **0**\xef\xbc\x9a\xe2\x9c\x85")
def test_generated_books_survive_the_cache(data):
    old_min, old_dir = cache.MIN_SIZE, os.environ.get("TASKBOOK_CACHE_DIR")
    cache.MIN_SIZE = 0
    os.environ["TASKBOOK_CACHE_DIR"] = str(_GEN_DIR / "cache")
    try:
        parsed, cached = _round_trip(_GEN_DIR / "book.md", data)
        assert describe(cached) == describe(parsed)
        assert cached.render() == data
    finally:
        cache.MIN_SIZE = old_min
        if old_dir is not None:
            os.environ["TASKBOOK_CACHE_DIR"] = old_dir


def _edit_all_ways(path: Path, data: bytes) -> list[bytes]:
    """Run a series of verbs on the book at `path`; the bytes after each."""
    config = Config(None, {"log": {"timestamp": False}})
    target = actions.BookTarget(path, config)
    out = []
    path.write_bytes(data)
    book = parse(data)
    tasks = list(book.all_tasks())
    actions.add_task(target, "cache check task")
    out.append(path.read_bytes())
    if tasks:
        t = tasks[len(tasks) // 2]
        actions.add_log(target, t.id, "a log entry", title=t.title)
        out.append(path.read_bytes())
        actions.add_plan(target, t.id, ["step one", "step two"], title=t.title)
        out.append(path.read_bytes())
        actions.status_verb(target, "done", t.id, note="finished", force=True, title=t.title)
        out.append(path.read_bytes())
    return out


@pytest.mark.parametrize("src", book_params())
def test_edits_of_a_cached_book_equal_edits_of_a_parsed_one(src, tmp_path, monkeypatch):
    data = src.read_bytes()
    monkeypatch.setenv("TASKBOOK_CACHE", "off")
    plain = _edit_all_ways(tmp_path / "plain.md", data)
    monkeypatch.setenv("TASKBOOK_CACHE", "on")
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MIN_SIZE", 0)
    cached_path = tmp_path / "cached.md"
    # every transaction of the second run starts from a cache hit
    cached = _edit_all_ways(cached_path, data)
    assert cached == plain


def test_an_entry_for_other_bytes_is_not_used(cache_dir, tmp_path):
    path = tmp_path / "b.md"
    data = b"- [ ] one\n- [x] two\n"
    cache.save(path, data, parse(data))
    assert cache.load(path, data) is not None
    assert cache.load(path, b"- [ ] one\n- [ ] two\n") is None
    assert cache.load(tmp_path / "other.md", data) is None


def test_an_entry_of_another_parser_is_not_used(cache_dir, tmp_path, monkeypatch):
    path = tmp_path / "b.md"
    data = b"- [ ] one\n"
    cache.save(path, data, parse(data))
    monkeypatch.setattr(cache, "_signature", b"\x00" * 20)
    assert cache.load(path, data) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_entry_is_a_miss_not_an_error(cache_dir, tmp_path, damage):
    path = tmp_path / "b.md"
    data = b"# Plan\n\n- [ ] one\n  - [x] two\n- [ ] three\n"
    cache.save(path, data, parse(data))
    entry = cache.entry_path(path)
    blob = entry.read_bytes()
    if damage == "truncate":
        blob = blob[:len(blob) // 2]
    elif damage == "flip":
        blob = blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:]
    elif damage == "garbage":
        blob = os.urandom(len(blob))
    else:
        blob = b""
    entry.write_bytes(blob)
    assert cache.load(path, data) is None
    path.write_bytes(data)
    loaded = load(path)       # a miss parses, and writes a good entry again
    assert describe(loaded.book) == describe(parse(data))
    assert cache.load(path, data) is not None


def test_small_books_and_the_off_switch_write_nothing(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(d))
    path = tmp_path / "b.md"
    data = b"- [ ] small\n"
    cache.save(path, data, parse(data))   # below MIN_SIZE
    assert not d.exists()
    monkeypatch.setattr(cache, "MIN_SIZE", 0)
    monkeypatch.setenv("TASKBOOK_CACHE", "off")
    cache.save(path, data, parse(data))
    assert not d.exists()


def test_old_entries_are_pruned(cache_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "MAX_FILES", 3)
    data = b"- [ ] x\n"
    book = parse(data)
    for k in range(6):
        cache.save(tmp_path / f"b{k}.md", data, book)
    assert len(list(cache_dir.glob("*.tbc"))) == 3


# --------------------------------------------------------------- the CLI

def _big_book(path: Path, n: int = 600) -> None:
    parts = ["# 计划\n\n"]
    for k in range(n):
        parts.append(f"- 任务：第 {k} 号任务 with some words to make the book larger\n"
                     f"  - 分析：\n    1. 原因 {k}\n  - 执行记录：\n    - 做了 {k}\n\n")
    path.write_text("".join(parts), encoding="utf-8")
    assert path.stat().st_size > cache.MIN_SIZE


def _tb(*args, env):
    # from a directory without .taskbook/: no project settings (and their cache entry)
    return subprocess.run([*TASKBOOK, *map(str, args)], env=env, capture_output=True, text=True,
                          cwd=tempfile.gettempdir())


def test_the_cli_writes_and_reuses_an_entry(tmp_path):
    book = tmp_path / "big.md"
    _big_book(book)
    d = tmp_path / "cache"
    env = base_env(TASKBOOK_CACHE_DIR=str(d))
    first = _tb("--book", book, "list", "--json", env=env)
    assert first.returncode == 0, first.stderr
    entries = list(d.glob("*.tbc"))
    assert len(entries) == 1
    stamp = entries[0].stat().st_mtime_ns
    second = _tb("--book", book, "list", "--json", env=env)
    assert second.stdout == first.stdout
    assert entries[0].stat().st_mtime_ns == stamp      # a hit rewrites nothing
    # an edit writes the entry of the new text; the next read agrees with a parse
    tid = json.loads(first.stdout)["tasks"][3]["id"]
    assert _tb("--book", book, "done", tid, env=env).returncode == 0
    after = _tb("--book", book, "list", "--all", "--json", env=env)
    fresh = _tb("--book", book, "list", "--all", "--json",
                env=base_env(TASKBOOK_CACHE_DIR=str(d), TASKBOOK_CACHE="off"))
    assert after.stdout == fresh.stdout
    assert json.loads(after.stdout)["tasks"][3]["status"] == "done"


def test_a_hand_edit_is_seen_at_once(tmp_path):
    book = tmp_path / "big.md"
    _big_book(book)
    env = base_env(TASKBOOK_CACHE_DIR=str(tmp_path / "cache"))
    assert _tb("--book", book, "list", "--json", env=env).returncode == 0
    text = book.read_text(encoding="utf-8").replace("第 7 号任务", "第 7 号任务 changed by hand")
    book.write_text(text, encoding="utf-8")
    out = json.loads(_tb("--book", book, "list", "--json", env=env).stdout)
    assert any(t["title"].startswith("第 7 号任务 changed by hand") for t in out["tasks"])


def test_an_unwritable_cache_directory_changes_nothing(tmp_path):
    book = tmp_path / "big.md"
    _big_book(book)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    env = base_env(TASKBOOK_CACHE_DIR=str(blocker / "cache"))
    r = _tb("--book", book, "list", "--json", env=env)
    assert r.returncode == 0 and r.stderr == ""
    assert json.loads(r.stdout)["tasks"]



def test_temporary_files_of_a_killed_writer_are_removed(cache_dir, tmp_path):
    data = b"- [ ] x\n"
    cache.save(tmp_path / "a.md", data, parse(data))
    old = cache_dir / f"{cache.TMP_PREFIX}left-by-a-killed-writer.tmp"
    old.write_bytes(b"half")
    fresh = cache_dir / f"{cache.TMP_PREFIX}being-written-now.tmp"
    fresh.write_bytes(b"half")
    foreign = cache_dir / "someone-elses.tmp"     # the folder may be shared
    foreign.write_bytes(b"not ours")
    past = old.stat().st_mtime - cache.STALE - 60
    for f in (old, foreign):
        os.utime(f, (past, past))
    cache.save(tmp_path / "b.md", data, parse(data))
    assert not old.exists()
    assert fresh.exists()     # another taskbook may be writing it right now
    assert foreign.exists()


# ------------------------------------------------- settings of config.yaml

def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".taskbook").mkdir(exist_ok=True)
    (tmp_path / ".taskbook" / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


CONFIG = """# my settings
book: notes.md   # the book
order: oldest-first
log:
  timestamp: &t false
  timestamp_format: "%d.%m. %H:%M"
next:
  log_entries: 7
build:
  ignore: [severity:note, "tool:mypy"]
"""


def test_settings_from_the_cache_are_the_parsed_settings(tmp_path, monkeypatch):
    from taskbook.config import DEFAULTS, Config
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    root = _project(tmp_path, CONFIG)
    parsed = Config.load(root)            # a miss: parsed with ruamel, then cached
    assert parsed._yaml is not None
    cached = Config.load(root)
    assert cached._yaml is None           # a hit: no YAML parser
    assert {k: cached.get(k) for k in DEFAULTS} == {k: parsed.get(k) for k in DEFAULTS}
    assert cached.get("log.timestamp") is False and cached.get("next.log_entries") == 7
    # a change by hand is read at once
    (root / ".taskbook" / "config.yaml").write_text(CONFIG.replace("7", "2"), encoding="utf-8")
    assert Config.load(root).get("next.log_entries") == 2


def test_changing_a_cached_config_keeps_its_comments(tmp_path, monkeypatch):
    from taskbook.config import Config
    monkeypatch.setenv("TASKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    root = _project(tmp_path, CONFIG)
    Config.load(root)
    config = Config.load(root)
    assert config._yaml is None
    config.set("next.log_entries", 4)
    config.save()
    text = (root / ".taskbook" / "config.yaml").read_text(encoding="utf-8")
    assert text == CONFIG.replace("log_entries: 7", "log_entries: 4")


def test_a_read_command_in_a_project_does_not_import_the_yaml_parser(tmp_path):
    root = _project(tmp_path, CONFIG)
    (root / "notes.md").write_text("- [ ] one\n", encoding="utf-8")
    env = base_env(TASKBOOK_CACHE_DIR=str(tmp_path / "cache"))

    def modules() -> list[str]:
        r = subprocess.run([sys.executable, "-X", "importtime", "-m", "taskbook", "list", "--json"],
                           cwd=root, env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["tasks"][0]["title"] == "one"
        return [ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines() if "|" in ln]
    assert any(m.startswith("ruamel") for m in modules())       # first: parsed and cached
    assert not any(m.startswith("ruamel") for m in modules())   # then: from the cache
