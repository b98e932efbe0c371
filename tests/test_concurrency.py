"""Never a lost write (DESIGN.md non-negotiable 3, issue 3 item 7).

* many real taskbook processes editing one book at once serialize on the
  lock and every edit lands;
* a book changed on disk by someone who does not take the lock (an editor,
  git) between taskbook's read and its write is re-read and the edit
  re-applied, never overwritten;
* if the task is gone by then, nothing is written.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time

import pytest

from cli_helpers import (
    SEEDS_DIR, TASKBOOK, all_tasks, assert_round_trip, base_env, copy_seed, lines_of, seed_path,
    show, temp_files,
)
from taskbook import parse
from taskbook.errors import AddressError, ConflictError
from taskbook.query import resolve
from taskbook.store import Loaded, transact

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

FIRST = "罗列compilelog中各种未使用问题(error, import类的 warning 不看)，并逐个解决"
INVALID = "- 任务：InvalidDataType 不附带一些context以便debug吗？"
INVALID_DONE = "- （done）任务：InvalidDataType 不附带一些context以便debug吗？"
OTHER = "- 任务：增加注释分析介绍 DataSetMetaV2 derive用处"
OTHER_WORKING = "- （working）任务：增加注释分析介绍 DataSetMetaV2 derive用处"


def _first_id(book) -> str:
    return parse(book.read_bytes()).tasks[0].id


def _start_all(argvs, cwd):
    """Start every process before waiting for any of them."""
    env = base_env()
    procs = [subprocess.Popen([*TASKBOOK, *map(str, a)], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for a in argvs]
    out = []
    for p in procs:
        so, se = p.communicate(timeout=120)
        out.append((p.returncode, so, se))
    return out


def test_twenty_concurrent_logs(tmp_path):
    book = copy_seed("000", tmp_path)
    first = _first_id(book)
    before = show(book, first)
    n_before = len([s for s in before["sections"] if s["kind"] == "log"][0]["entries"])
    results = _start_all([["--book", book, "log", first, f"entry {k}", "--no-time"]
                          for k in range(20)], tmp_path)
    for k, (rc, so, se) in enumerate(results):
        assert rc == 0, f"process {k}: rc={rc} {se}"
        assert "Traceback" not in se
    data = book.read_bytes()
    assert_round_trip(data)
    lines = lines_of(data)
    for k in range(20):
        assert lines.count(f"      - entry {k}") == 1, f"entry {k} missing or duplicated"
    log = [s for s in show(book, first)["sections"] if s["kind"] == "log"][0]
    texts = [e["text"] for e in log["entries"]]
    assert len(texts) == n_before + 20
    assert sorted(texts[n_before:], key=lambda t: int(t.split()[1])) == [f"entry {k}" for k in range(20)]
    # nothing else in the book changed: removing the 20 entries gives the seed back
    rest = [ln for ln in data.split(b"\n") if not ln.startswith(b"      - entry ")]
    assert b"\n".join(rest) == seed_path("000").read_bytes()
    assert not temp_files(tmp_path)


def test_concurrent_mixed_edits(tmp_path):
    """adds, logs and status changes racing on one book: all of them land."""
    book = copy_seed("002", tmp_path)
    argvs = []
    for k in range(8):
        argvs.append(["--book", book, "add", f"并发任务 {k}"])
        argvs.append(["--book", book, "log", "重试机制", f"并发记录 {k}", "--no-time"])
    argvs.append(["--book", book, "done", "**心跳协议**"])
    argvs.append(["--book", book, "start", "**消息验证**"])
    results = _start_all(argvs, tmp_path)
    assert [rc for rc, _, _ in results] == [0] * len(argvs), [se for _, _, se in results if se]
    assert_round_trip(book.read_bytes())
    tasks = all_tasks(book)
    titles = [t["title"] for t in tasks]
    for k in range(8):
        assert titles.count(f"并发任务 {k}") == 1
    retry = [t for t in tasks if "重试机制" in t["title"]][0]
    log = [e["text"] for s in retry["sections"] if s["kind"] == "log" for e in s["entries"]]
    assert sorted(log) == sorted(f"并发记录 {k}" for k in range(8))
    status = {t["title"]: t["status"] for t in tasks}
    assert [v for k, v in status.items() if k.startswith("**心跳协议**")] == ["done"]
    assert [v for k, v in status.items() if k.startswith("**消息验证**")] == ["working"]
    assert not temp_files(tmp_path)


def test_edit_waits_for_the_lock_and_sees_the_other_writers_change(tmp_path):
    """Hold the directory lock as another taskbook would, change the book while
    holding it, release: the waiting process edits the new text."""
    book = copy_seed("000", tmp_path)
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        p = subprocess.Popen([*TASKBOOK, "--book", str(book), "done", "InvalidDataType"],
                             env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert p.poll() is None, f"taskbook did not wait for the lock: {p.communicate()}"
        assert INVALID in lines_of(book.read_bytes())
        # the lock holder writes its own change
        book.write_bytes(book.read_bytes().replace(OTHER.encode(), OTHER_WORKING.encode()))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    so, se = p.communicate(timeout=60)
    assert p.returncode == 0, se
    lines = lines_of(book.read_bytes())
    assert OTHER_WORKING in lines, "the lock holder's change was overwritten"
    assert INVALID_DONE in lines


# ---------------------------------------------------------- store.transact

def _done_edit(calls):
    """An edit function marking the InvalidDataType task done, by address."""
    def edit(loaded: Loaded) -> bytes:
        calls.append(loaded.data)
        task = resolve(loaded.book, "InvalidDataType")
        i = task.line
        lines = list(loaded.book.lines)
        assert lines[i] == INVALID
        lines[i] = INVALID_DONE
        return "\n".join(lines).encode("utf-8")
    return edit


def test_transact_reapplies_after_a_change_on_disk(tmp_path):
    book = copy_seed("000", tmp_path)
    seed = book.read_bytes()
    editor_version = seed.replace(OTHER.encode(), OTHER_WORKING.encode())
    assert editor_version != seed
    calls: list[bytes] = []
    inner = _done_edit(calls)

    def edit(loaded: Loaded) -> bytes:
        new = inner(loaded)
        if len(calls) == 1:
            book.write_bytes(editor_version)   # an editor saves meanwhile
        return new

    _, written = transact(book, edit)
    assert len(calls) == 2, "the edit was not re-applied to the new text"
    assert calls[0] == seed and calls[1] == editor_version
    final = book.read_bytes()
    assert written == final
    lines = lines_of(final)
    assert OTHER_WORKING in lines, "the other writer's change was overwritten"
    assert INVALID_DONE in lines
    assert final == editor_version.replace(INVALID.encode(), INVALID_DONE.encode())
    assert not temp_files(tmp_path)


def test_transact_gives_up_when_the_book_keeps_changing(tmp_path):
    book = copy_seed("000", tmp_path)
    calls: list[bytes] = []
    inner = _done_edit(calls)

    def edit(loaded: Loaded) -> bytes:
        new = inner(loaded)
        book.write_bytes(loaded.data + f"\n<!-- save {len(calls)} -->\n".encode())
        return new

    with pytest.raises(ConflictError):
        transact(book, edit)
    last = book.read_bytes()
    assert last.endswith(f"<!-- save {len(calls)} -->\n".encode()), "someone else's save was lost"
    assert INVALID in lines_of(last)
    assert not temp_files(tmp_path)


def test_transact_task_gone_writes_nothing(tmp_path):
    book = copy_seed("000", tmp_path)
    seed = book.read_bytes()
    without = seed.replace((INVALID + "\n\n").encode(), b"")
    assert without != seed
    calls = []

    def edit(loaded: Loaded) -> bytes:
        calls.append(1)
        task = resolve(loaded.book, "InvalidDataType")   # AddressError once it is gone
        if len(calls) == 1:
            book.write_bytes(without)                   # someone deletes the task
        lines = list(loaded.book.lines)
        lines[task.line] = INVALID_DONE
        return "\n".join(lines).encode("utf-8")

    with pytest.raises(AddressError):
        transact(book, edit)
    assert len(calls) == 2
    assert book.read_bytes() == without
    assert not temp_files(tmp_path)


def test_transact_edit_error_writes_nothing(tmp_path):
    book = copy_seed("000", tmp_path)
    seed = book.read_bytes()

    def edit(loaded: Loaded) -> bytes:
        raise AddressError("no such task")

    with pytest.raises(AddressError):
        transact(book, edit)
    assert book.read_bytes() == seed
    assert not temp_files(tmp_path)


def test_transact_nothing_to_change(tmp_path):
    book = copy_seed("000", tmp_path)
    before = os.stat(book)
    loaded, written = transact(book, lambda loaded: loaded.data)
    assert written is None
    after = os.stat(book)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_reader_never_sees_a_partial_book(tmp_path):
    """While writers replace the book, a reader only ever sees a whole book:
    one that parses and holds every earlier entry."""
    book = copy_seed("000", tmp_path)
    first = _first_id(book)
    head = book.read_bytes()[:300]
    tail = book.read_bytes()[-300:]
    env = base_env()
    procs = [subprocess.Popen([*TASKBOOK, "--book", str(book), "log", first, f"r{k}", "--no-time"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for k in range(6)]
    seen = 0
    deadline = time.time() + 60
    while any(p.poll() is None for p in procs) and time.time() < deadline:
        data = book.read_bytes()
        assert data.startswith(head) and data.endswith(tail)
        assert_round_trip(data)
        seen += 1
    for p in procs:
        p.wait(timeout=60)
        assert p.returncode == 0, p.stderr.read()
    assert seen > 0
    assert all(f"      - r{k}" in lines_of(book.read_bytes()) for k in range(6))
