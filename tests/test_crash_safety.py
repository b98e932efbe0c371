"""A writer killed with SIGKILL at random moments never leaves a damaged book.

A child process appends log entries in a loop through the real store
(lock, re-read, temporary file, fsync, rename); the test kills it at random
moments, 200 times, and checks after each kill that the book is exactly one
of the versions the edits produce — never truncated or mixed — and that
temporary files do not accumulate.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import taskbook
from taskbook import edit, store
from taskbook.query import resolve

KILLS = int(os.environ.get("TASKBOOK_CRASH_KILLS", "200"))

CHILD = r"""
import sys
from taskbook import edit, store
from taskbook.query import resolve
path, address = sys.argv[1], sys.argv[2]
k = 0
print("ready", flush=True)
while True:
    k += 1
    def fn(loaded):
        book = loaded.book
        task = resolve(book, address)
        change = edit.add_log(book, task, "entry %d" % k)
        return edit.apply(change, lambda new: None).render()
    store.transact(path, fn)
"""


def test_sigkill_never_damages_the_book(tmp_path: Path) -> None:
    seed = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "000_9bac320f59fe1627.txt"
    if not seed.exists():
        import pytest
        pytest.skip("../shared/seeds is not beside the checkout")
    book = tmp_path / "book.md"
    book.write_bytes(seed.read_bytes())
    first = taskbook.parse(book.read_bytes())
    address = first.tasks[0].id
    rng = random.Random(20261122)
    kills_during_write = 0
    previous = book.read_bytes()
    for i in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(book), address],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = book.read_bytes()
        parsed = taskbook.parse(now)               # never unreadable
        assert parsed.render() == now               # never damaged
        # exactly the previous book plus whole log entries appended, in order
        before_entries = taskbook.parse(previous).tasks[0].section("log").entries
        after_entries = parsed.tasks[0].section("log").entries
        assert [e.text for e in after_entries[:len(before_entries)]] == \
            [e.text for e in before_entries]
        added = after_entries[len(before_entries):]
        assert all(e.text.startswith("entry ") for e in added)
        # and nothing but those lines changed
        old_lines = previous.split(b"\n")
        new_lines = now.split(b"\n")
        assert len(new_lines) == len(old_lines) + len(added)
        if added:
            kills_during_write += 1
        previous = now
        stray = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tbtmp")]
        assert len(stray) <= 1, stray              # at most the one being written when killed
    # the next writer cleans up what a killed one left behind
    def noop(loaded):
        task = resolve(loaded.book, address)
        return edit.apply(edit.add_log(loaded.book, task, "final"), lambda new: None).render()
    store.transact(book, noop)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tbtmp")]
    assert kills_during_write > 0  # the test did kill writers that had written
