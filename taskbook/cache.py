"""A parse cache for large books: the task tree of exactly these bytes
(and, the same way, the settings of a config file, so that reading them
needs no YAML parser).

Why: every command is a new process, and parsing is pure Python: a 7 MB book
(10,000 tasks) takes ~0.4 s to parse, while its tree comes back from a
marshal file in a fraction of that.  Books below MIN_SIZE parse faster than a
cache file is read, so they are never cached.

Why it cannot serve a stale tree: an entry is used only when it was made from
the very same bytes (SHA-1 of the book as read now) by the very same parser
(taskbook's version and the source of every parser module).  A book
edited by anyone, or a new taskbook, simply misses.  A file that is truncated,
corrupt or of another format misses too (checksum, magic, then a guarded
`marshal.loads`).  The cache is written atomically (temporary file and
rename) and is never the only copy of anything: deleting it is always safe.

Which trees: a command that parsed a book saves that parse; an edit saves
the tree it checked its result with, which the local re-parse
(`parse.incremental`) usually made: that one is exactly the whole parse of
the same text (the test suite compares every local re-parse it makes with a
whole parse, and fuzzes them), and spot-checks itself on every run.  A tree
renumbered by the config's `order` is not the parser's, and is not saved.

What it keeps: the model (`taskbook.model`) without the per-line
`blocks.Item` objects, which cost more to rebuild than they save.  Edits that
need an Item get it from `model.Pending`, which scans just that task's
top-level list item.

Where: `$TASKBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/taskbook`, else
`~/.cache/taskbook`; one file per book (named by a hash of its real path),
at most MAX_FILES of them.  `TASKBOOK_CACHE=off` switches the cache off.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import time
import zlib
from pathlib import Path

from .model import Book, Dialect, Form, Group, Note, Pending, Section, Status, Task

MIN_SIZE = 64 * 1024        # bytes; smaller books parse in a few milliseconds
MAX_FILES = 64
STALE = 600                 # seconds after which a leftover temporary file is garbage
TMP_PREFIX = ".tbc-"
FORMAT = 1                  # bump when the payload's layout changes
MAGIC = b"TBCACHE\x00"
_HEAD = len(MAGIC) + 20 + 20 + 4   # magic, book digest, parser signature, crc32

_STATUS = {s.value: s for s in Status}
_VALUE = {s: s.value for s in Status}   # Enum.value is a slow descriptor
_DIALECT = {d.value: d for d in Dialect}
_signature: bytes | None = None


def enabled() -> bool:
    return os.environ.get("TASKBOOK_CACHE", "").lower() not in ("off", "0", "no", "false")


def directory() -> Path:
    d = os.environ.get("TASKBOOK_CACHE_DIR")
    if d:
        return Path(d)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "taskbook"


def entry_path(book_path: Path) -> Path:
    real = os.path.realpath(book_path)
    name = hashlib.sha1(real.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return directory() / f"{name}.tbc"


def parser_signature() -> bytes:
    """Changes whenever the code that builds the model could have changed."""
    global _signature
    if _signature is None:
        from . import __version__
        here = Path(__file__).resolve().parent
        h = hashlib.sha1(f"{__version__}/{FORMAT}".encode())
        for name in ("model.py", "markers.py", "cache.py", "config.py", "parse/__init__.py",
                     "parse/blocks.py", "parse/tasks.py", "parse/address.py",
                     "parse/incremental.py"):
            try:  # the code itself (~0.3 ms): mtimes of a reproducible build are all alike
                h.update((here / name).read_bytes())
            except OSError:
                h.update(f"{name}:missing".encode())
        _signature = h.digest()
    return _signature


# ------------------------------------------------------------------ reading

def _payload(source: Path, data: bytes) -> memoryview | None:
    """The payload of the entry for `source` if it was made from exactly
    `data` by this parser and is intact, else None."""
    try:
        with open(entry_path(source), "rb") as f:
            blob = f.read()
    except OSError:
        return None
    if (len(blob) < _HEAD or not blob.startswith(MAGIC)
            or blob[len(MAGIC):len(MAGIC) + 20] != hashlib.sha1(data).digest()
            or blob[len(MAGIC) + 20:len(MAGIC) + 40] != parser_signature()
            or int.from_bytes(blob[_HEAD - 4:_HEAD], "big") != zlib.crc32(memoryview(blob)[_HEAD:])):
        return None
    return memoryview(blob)[_HEAD:]


def load(book_path: Path, data: bytes) -> Book | None:
    """The cached tree of `data` (the book's bytes as read now), or None."""
    if len(data) < MIN_SIZE or not enabled():
        return None
    payload = _payload(book_path, data)
    if payload is None:
        return None
    # like the parser, this allocates many objects and frees none: the cyclic
    # GC would run again and again for nothing (it tripled the time)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _book(marshal.loads(payload), data)
    except Exception:  # a damaged entry is a miss, never an error
        return None
    finally:
        if gc_was_on:
            gc.enable()


def load_settings(config_path: Path, data: bytes):
    """The settings of a config file (plain dicts), if cached for these bytes."""
    if not enabled():
        return None
    payload = _payload(config_path, data)
    if payload is None:
        return None
    try:
        kind, settings = marshal.loads(payload)
    except Exception:
        return None
    return settings if kind == "settings" and isinstance(settings, dict) else None


def _book(payload: tuple, data: bytes) -> Book:
    fmt, meta, task_rows, group_rows, note_rows = payload
    if fmt != FORMAT:
        raise ValueError("cache format")
    bom, dialect, language, newest_first, preamble_end, counts, labelled, emoji = meta
    groups: list[Group] = []
    for title, level, line, end, parent in group_rows:
        groups.append(Group(title, level, line, end, groups[parent] if parent >= 0 else None))
    notes = [Note(title, line, end) for title, line, end in note_rows]
    source = data[3:] if bom else data
    book = Book(None, bom, _DIALECT[dialect], language, newest_first, [], groups, notes,
                preamble_end, source=source)
    book.counts = counts
    book.labelled = labelled
    book.emoji = emoji
    regions: dict[tuple[int, int], Pending] = {}

    def region(span: tuple[int, int]) -> Pending:
        p = regions.get(span)
        if p is None:
            p = regions[span] = Pending(book, span[0], span[1])
        return p

    def form(task: Task, raw: bytes) -> Form:
        f = marshal.loads(raw)
        return Form(_DIALECT[f[0]], *f[1:])

    def sections(task: Task, raw: bytes) -> list[Section]:
        """A task's sections, built when first asked for (their lines are
        stored relative to the task's, which may have moved since)."""
        rows = marshal.loads(raw)
        own = task._item
        scanned = None
        if own is not None and own.__class__ is not Pending:
            # the task's item was scanned already: its sections' are in that tree
            root = own
            while root.parent is not None:
                root = root.parent
            scanned, todo = {}, [root]
            while todo:
                x = todo.pop()
                scanned[(x.start, x.text_pos)] = x
                todo.extend(x.children)
        base = task.line
        out = []
        for kind, label, line, end, inline, bullet, text_pos, nested, spots in rows:
            line += base
            end += base
            if scanned is not None:
                item = scanned.get((line, text_pos))
            elif own is not None:
                item = own
            else:  # a heading task's section is a top-level item: its own region
                item = Pending(book, line, end)
            out.append(Section(kind, label, line, end, inline, item, book, bullet,
                               text_pos, nested, spots))
        return out

    tasks: list[Task] = []
    top = book.tasks
    by_id = book.by_id
    status_of = _STATUS
    for (tid, title, status, marker, line, end, depth, parent, group, level,
         form_raw, root, section_raw) in task_rows:
        t = Task(tid, title, status_of[status], marker, line, end, depth, (form, form_raw),
                 region((line + root[0], line + root[1])) if root is not None else None, level,
                 (sections, section_raw) if section_raw else None)
        if group >= 0:
            t.group = groups[group]
        if parent >= 0:
            p = tasks[parent]
            t.parent = p
            p.children.append(t)
        else:
            top.append(t)
        tasks.append(t)
        by_id[tid] = t
    return book


# ------------------------------------------------------------------ writing

def save(book_path: Path, data: bytes, book: Book) -> None:
    """Remember `book` as the tree of `data`.  Best effort: never fails."""
    if len(data) < MIN_SIZE or not enabled() or book.reordered:
        return
    try:
        payload = marshal.dumps(_rows(book))
    except Exception:
        return
    _write(book_path, data, payload)


def save_settings(config_path: Path, data: bytes, settings: dict) -> None:
    """Remember the plain settings parsed from the config file's `data`."""
    if not enabled():
        return
    try:
        payload = marshal.dumps(("settings", settings))
    except ValueError:  # something marshal cannot hold: just do not cache it
        return
    _write(config_path, data, payload)


def _write(source: Path, data: bytes, payload: bytes) -> None:
    try:
        blob = b"".join((MAGIC, hashlib.sha1(data).digest(), parser_signature(),
                         zlib.crc32(payload).to_bytes(4, "big"), payload))
        target = entry_path(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        from .store import replace_file
        replace_file(target, blob, TMP_PREFIX, ".tmp")   # a cache needs no fsync
        _prune(target.parent)
    except Exception:
        return


def _rows(book: Book) -> tuple:
    group_index = {id(g): k for k, g in enumerate(book.groups)}
    group_rows = [(g.title, g.level, g.line, g.end,
                   group_index[id(g.parent)] if g.parent is not None else -1) for g in book.groups]
    note_rows = [(n.title, n.line, n.end) for n in book.notes]
    task_index: dict[int, int] = {}
    task_rows = []
    for t in book.all_tasks():
        task_index[id(t)] = len(task_rows)
        tl = t.line
        span = t.root_span()
        root = (span[0] - tl, span[1] - tl) if span is not None else None
        # a task's form and sections are marshalled on their own, so loading
        # the cache makes one bytes object of each, not dozens of tuples;
        # lines are relative to the task's, entries' to their section's, so
        # what came from the cache untouched is written back as it was
        f = t._form
        if f.__class__ is tuple:
            form = f[1]
        else:
            form = marshal.dumps((f.dialect.value, f.kind, f.prefix_end, f.marker_span,
                                  f.marker_pos, f.title_span, f.label, f.struck, f.tag_span,
                                  f.bullet, f.nested))
        secs = t._sections
        if secs.__class__ is tuple:
            sections = secs[1]
        elif secs:
            sections = marshal.dumps(tuple(
                (s.kind, s.label, s.line - tl, s.end - tl, s.inline, s.bullet, s.text_pos,
                 s.nested, s.spots())
                for s in secs))
        else:
            sections = b""
        task_rows.append((
            t.id, t.title, _VALUE[t.status], t.marker, tl, t.end, t.depth,
            task_index[id(t.parent)] if t.parent is not None else -1,
            group_index[id(t.group)] if t.group is not None else -1,
            t.level, form, root, sections))
    meta = (book.bom, book.dialect.value, book.language, book.newest_first, book.preamble_end,
            book.counts, book.labelled, book.emoji)
    return (FORMAT, meta, task_rows, group_rows, note_rows)


def _prune(folder: Path) -> None:
    """Keep the MAX_FILES most recently written entries, and drop temporary
    files a killed taskbook left behind (older than STALE seconds).  Only
    taskbook's own names are touched: the folder may be shared."""
    try:
        found = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    entries = []
    for e in found:
        try:
            if e.name.startswith(TMP_PREFIX) and e.name.endswith(".tmp"):
                if now - e.stat().st_mtime > STALE:
                    os.unlink(e.path)
            elif e.name.endswith(".tbc"):
                entries.append((e.stat().st_mtime_ns, e.path))
        except OSError:   # another taskbook pruning at the same time
            continue
    entries.sort(reverse=True)
    for _, path in entries[MAX_FILES:]:
        try:
            os.unlink(path)
        except OSError:
            pass
