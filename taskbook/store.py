"""Reading and writing books on disk: clear errors, atomic writes, one writer.

Every write goes through `transact()`:

1. take an exclusive `flock` on the book's directory, so concurrent taskbook
   processes (the agent, the board, a second terminal) take turns;
2. read and parse the book as it is now;
3. apply the edit, which addresses tasks by id, never by remembered lines;
4. just before replacing the file, read it again: if anyone (an editor, git,
   a tool that does not lock) changed it meanwhile, start over from 2 with the
   new text, up to a few times, then give up with a clear message;
5. write a temporary file in the same directory, fsync it, give it the
   book's mode, rename it over the book, fsync the directory.

A reader therefore always sees the old or the new book, never a mix, and no
change made by someone else is overwritten.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from pathlib import Path
from typing import Callable

from . import cache
from .errors import BookFormatError, BookNotFoundError, ConflictError, UsageError
from .model import Book
from .parse import parse

RETRIES = 5


class Loaded:
    """A book as read from disk, with the bytes it was parsed from."""

    __slots__ = ("path", "data", "book")

    def __init__(self, path: Path, data: bytes, book: Book) -> None:
        self.path = path
        self.data = data
        self.book = book


def read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        if path.is_symlink():
            raise BookNotFoundError(f"{path} is a dangling symbolic link") from None
        raise BookNotFoundError(
            f"no book at {path}",
            hint="create one with `taskbook init`, or name one with --book PATH") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a book") from None
    except PermissionError:
        raise UsageError(f"cannot read {path}: permission denied") from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None


def load(path: Path, order: str | None = None) -> Loaded:
    """Read and parse a book, turning every failure into a one-line error.

    `order` ("newest-first"/"oldest-first") overrides the order the parser
    guessed from the book (config `order`).
    """
    path = Path(path)
    data = read_bytes(path)
    book = cache.load(path, data)
    if book is None:
        try:
            book = parse(data)
        except BookFormatError as e:
            raise BookFormatError(f"{path}: {e.message}", code=e.code) from None
        cache.save(path, data, book)
    set_order(book, order)
    return Loaded(path, data, book)


def set_order(book: Book, order: str | None) -> None:
    """Apply the config's `order` (newest-first/oldest-first) over the order
    the parser guessed; it decides which of two equal titles is older."""
    if order not in ("newest-first", "oldest-first"):
        return
    newest = order == "newest-first"
    if newest != book.newest_first:
        from .parse.address import assign_addresses
        book.newest_first = newest
        book.by_id = assign_addresses(list(book.all_tasks()), newest)
        book.reordered = True   # not the parser's own tree: the cache does not keep it


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old or the new file."""
    path = Path(path)
    if path.is_symlink():
        # write through the link: renaming over the link itself would turn it
        # into a copy and leave the real book unedited
        path = Path(os.path.realpath(path))
    directory = path.parent if str(path.parent) else Path(".")
    try:
        mode = stat_mod.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    # a file nobody may write is read-only even for root, whom os.access
    # always lets write (and the rename below would bypass the mode)
    if mode is not None and (not mode & 0o222 or not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: the file is read-only")
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    replace_file(path, data, f".{path.name}.", ".tbtmp", mode=mode, durable=True)
    _fsync_dir(directory)


def replace_file(path: Path, data: bytes, prefix: str, suffix: str, *,
                 mode: int | None = None, durable: bool = False) -> None:
    """Write `data` to a new file beside `path` and rename it over `path`,
    so readers see the old or the new file; `durable` fsyncs it first.  The
    temporary file is removed if anything fails."""
    fd, tmp = create_temp(Path(path).parent, prefix, suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def create_temp(directory: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file of our own in `directory` (created with O_EXCL, mode 0600):
    what tempfile.mkstemp does, without the ~5 ms its imports cost."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(directory, f"{prefix}{os.getpid()}-{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {directory}")


def remove_stale_temps(path: Path) -> None:
    """Delete temporary files left by a taskbook killed mid-write.

    Called with the directory lock held: no other taskbook is writing then,
    so every `.BOOK.*.tbtmp` beside the book is garbage.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".tbtmp"):
            try:
                os.unlink(directory / name)
            except OSError:
                pass


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class DirectoryLock:
    """An exclusive flock on the directory holding the book.

    Locking the directory rather than the file matters: the file is replaced
    by rename on every write, so a lock on its old inode would protect nothing,
    and no lock file is left lying beside the user's book.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fd: int | None = None

    def __enter__(self) -> "DirectoryLock":
        import fcntl
        try:
            self.fd = os.open(self.directory, os.O_RDONLY)
        except OSError as e:
            raise UsageError(f"cannot open {self.directory}: {e.strerror}") from None
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def lock_for(path: Path) -> DirectoryLock:
    return DirectoryLock(Path(path).resolve().parent)


EditFn = Callable[[Loaded], "bytes | None"]


def transact(path: Path, edit: EditFn, *, create: bytes | None = None,
             order: str | None = None) -> tuple[Loaded, bytes | None]:
    """Apply `edit` to the current book under the lock; write its result.

    `edit` gets the freshly read book and returns the new bytes, or None for
    "nothing to change".  It may raise a TaskbookError, in which case nothing
    is written.  Returns the book as read and the bytes written (or None).
    """
    path = Path(path)
    with lock_for(path):
        remove_stale_temps(path)
        for attempt in range(RETRIES):
            if create is not None and not path.exists():
                loaded = Loaded(path, b"", parse(b""))
                set_order(loaded.book, order)
            else:
                loaded = load(path, order)
            new = edit(loaded)
            if new is None or new == loaded.data:
                return loaded, None
            # someone who does not take our lock may have written meanwhile
            try:
                now = read_bytes(path)
            except BookNotFoundError:
                now = b"" if create is not None else None
            if now != loaded.data:
                continue
            try:
                atomic_write(path, new)
            except PermissionError:
                raise UsageError(f"cannot write {path}: permission denied") from None
            except OSError as e:
                if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                    raise UsageError(f"cannot write {path}: {e.strerror}") from None
                raise
            return loaded, new
    raise ConflictError(
        f"{path} kept changing while taskbook tried to edit it; nothing was written",
        hint="try again once the other program has finished writing")
