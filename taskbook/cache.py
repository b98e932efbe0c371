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

What it keeps: the model (`taskbook.model`).  A book from the cache is a
`CachedBook` of `CachedTask`s: the same model, but a task's form and
sections are unpacked the first time they are read, and the book's text is
decoded the first time it is needed, so listing 10,000 cached tasks builds
no objects nobody looks at.

Where: `$TASKBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/taskbook`, else
`~/.cache/taskbook`; one file per book (named by a hash of its real path),
at most MAX_FILES of them.  `TASKBOOK_CACHE=off` switches the cache off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import time
import zlib
from pathlib import Path

from .model import Book, Dialect, Entry, Form, Group, Note, Section, Status, Task

MIN_SIZE = 64 * 1024        # bytes; smaller books parse in a few milliseconds
MAX_FILES = 64
STALE = 600                 # seconds after which a leftover temporary file is garbage
TMP_PREFIX = ".tbc-"
FORMAT = 2                  # bump when the payload's layout changes
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
    try:
        return _book(marshal.loads(payload), data)
    except Exception:  # a damaged entry is a miss, never an error
        return None


def load_settings(config_path: Path, data: bytes) -> dict | None:
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


class CachedBook(Book):
    """A Book read from the cache: its text is decoded (and its list of
    top-level items unpacked) the first time something reads them."""

    def __init__(self, source: bytes, top_items: bytes, **fields: object) -> None:
        super().__init__([], **fields)
        del self.lines, self.top_items  # until read: see __getattr__
        self._source = source           # UTF-8 text without the BOM
        self._top_items = top_items

    def __getattr__(self, name: str) -> object:
        if name == "lines":
            self.lines = self._source.decode("utf-8").split("\n")
            self._source = b""
            return self.lines
        if name == "top_items":
            flat = marshal.loads(self._top_items)
            self.top_items = list(zip(flat[::2], flat[1::2]))
            return self.top_items
        raise AttributeError(name)


class CachedTask(Task):
    """A Task read from the cache: its form and sections stay packed
    (marshalled bytes, lines relative to the task's) until first read."""

    __slots__ = ("_form_raw", "_sections_raw")

    def __init__(self, id: str, title: str, status: Status, marker: str | None, line: int,
                 end: int, depth: int, level: int, form_raw: bytes, sections_raw: bytes) -> None:
        self.id = id
        self.title = title
        self.status = status
        self.marker = marker
        self.line = line
        self.end = end
        self.depth = depth
        self.level = level
        self.parent = None
        self.children = []
        self.group = None
        self._form_raw = form_raw
        self._sections_raw = sections_raw
        if not sections_raw:
            self.sections = []

    def __getattr__(self, name: str) -> object:
        if name == "form":
            f = marshal.loads(self._form_raw)
            self.form = Form(_DIALECT[f[0]], *f[1:])
            return self.form
        if name == "sections":
            self.sections = _sections(self.line, marshal.loads(self._sections_raw))
            return self.sections
        raise AttributeError(name)

    def shifted(self, d: int) -> Task:
        # still packed: what is packed is relative to the task's line
        return CachedTask(self.id, self.title, self.status, self.marker, self.line + d,
                          self.end + d, self.depth, self.level, self._form_raw,
                          self._sections_raw)


def _sections(base: int, rows: tuple) -> list[Section]:
    """A task's sections from their rows (lines relative to the task's)."""
    out = []
    for kind, label, line, end, inline, bullet, text_pos, nested, entry_rows in rows:
        entries = [Entry(base + e_line, base + e_end, text, e_bullet)
                   for e_line, e_end, text, e_bullet in entry_rows]
        out.append(Section(kind, label, base + line, base + end, inline, bullet, text_pos,
                           nested, entries))
    return out


def _book(payload: tuple, data: bytes) -> Book:
    fmt, meta, task_rows, group_rows, note_rows, top_items = payload
    if fmt != FORMAT:
        raise ValueError("cache format")
    bom, dialect, language, newest_first, preamble_end, counts, labelled, emoji = meta
    groups: list[Group] = []
    for title, level, line, end, parent in group_rows:
        groups.append(Group(title, level, line, end, groups[parent] if parent >= 0 else None))
    notes = [Note(title, line, end) for title, line, end in note_rows]
    book = CachedBook(data[3:] if bom else data, top_items, bom=bom,
                      dialect=_DIALECT[dialect], language=language, newest_first=newest_first,
                      tasks=[], groups=groups, notes=notes, preamble_end=preamble_end)
    book.counts = counts
    book.labelled = labelled
    book.emoji = emoji
    tasks: list[Task] = []
    top = book.tasks
    by_id = book.by_id
    status_of = _STATUS
    for (tid, title, status, marker, line, end, depth, parent, group, level,
         form_raw, section_raw) in task_rows:
        t = CachedTask(tid, title, status_of[status], marker, line, end, depth, level,
                       form_raw, section_raw)
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
        if type(t) is CachedTask:
            # still valid: lines are relative to the task's
            form, sections = t._form_raw, t._sections_raw
        else:
            form, sections = _form_raw(t.form), _sections_raw(t.line, t.sections)
        task_rows.append((
            t.id, t.title, _VALUE[t.status], t.marker, t.line, t.end, t.depth,
            task_index[id(t.parent)] if t.parent is not None else -1,
            group_index[id(t.group)] if t.group is not None else -1,
            t.level, form, sections))
    meta = (book.bom, book.dialect.value, book.language, book.newest_first, book.preamble_end,
            book.counts, book.labelled, book.emoji)
    top_items = marshal.dumps([x for span in book.top_items for x in span])
    return (FORMAT, meta, task_rows, group_rows, note_rows, top_items)


def _form_raw(f: Form) -> bytes:
    """A task's form, marshalled on its own: loading the cache then makes one
    bytes object of it, not a dozen tuples."""
    return marshal.dumps((f.dialect.value, f.kind, f.prefix_end, f.marker_span,
                          f.marker_pos, f.title_span, f.label, f.struck, f.tag_span,
                          f.bullet, f.nested))


def _sections_raw(base: int, sections: list[Section]) -> bytes:
    """A task's sections, marshalled on their own, lines relative to the
    task's (`base`), so that a task that only moved keeps the same bytes."""
    if not sections:
        return b""
    return marshal.dumps(tuple(
        (s.kind, s.label, s.line - base, s.end - base, s.inline, s.bullet, s.text_pos, s.nested,
         tuple((e.line - base, e.end - base, e.text, e.bullet) for e in s.entries))
        for s in sections))


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
