"""Run a build command: show its output live, save a clean log, report how it ended.

Why it is built this way:

* **pty or pipes.**  When our own output is a terminal the child runs on a
  pseudo-terminal, so compilers keep their colours and progress bars (they
  check `isatty`); otherwise plain pipes, so tools behave as they do in CI.
  On the pty, output post-processing (`OPOST`) is switched off so `\\n` stays
  `\\n`, and the window size is copied so cargo and pytest size their bars.
* **Live.**  Bytes are copied to the terminal the moment `read()` returns
  them, never held back to complete a line.
* **Clean log.**  The log gets whole lines only (an escape sequence or a `\\r`
  redraw may straddle two reads) with ANSI CSI/OSC sequences removed and each
  `\\r`-redrawn line reduced to what was drawn last.  Bytes that are not UTF-8
  are written as `\\xNN` escapes (`errors="backslashreplace"`): the log is
  always valid UTF-8 and nothing is silently dropped.
* **As fast as `tee`.**  Most output needs no cleaning: a read with no
  escape, no `\\r` and valid UTF-8 goes to the log (and to the diagnostics
  parser, as bytes) where it lies, with one `writev`, without a copy or a
  decode; only the line begun by earlier reads is joined to it.
* **Flat memory.**  Output is handled in 96 KiB reads; at most one partial
  line per stream is kept, and a line that grows past 1 MiB without a newline
  (a progress bar that never ends its line) is cut.
* **Signals.**  With a terminal on stdin the child stays in our process
  group and keeps the terminal, so a Ctrl-C typed there reaches the whole
  build directly (and `sudo` can still ask for a password); a signal the
  terminal sent (si_code SI_KERNEL) is not forwarded a second time.  Without
  one (CI, scripts) the child gets a process group of its own, so SIGINT,
  SIGTERM or SIGHUP sent to taskbook reach the whole build tree (a shell
  waiting for `sleep` would not react to a signal sent to the shell alone).
  Either way taskbook keeps reading until the child has gone, then finishes
  the log with a note that the build was interrupted.
* **One log per build.**  The log is opened without truncating it and
  locked (`flock`) before anything is written (`claim_log`); a log another
  build holds is left alone and this build writes `NAME.2`, `NAME.3`, ...
  The caller may keep the claim past the run (the CLI does, until the book
  is updated, since sync reads the log back).
* **Exit status.**  The child's own; 128+N when signal N killed it (what a
  shell reports as `$?`).  127/126 when the command cannot be started.
* **Grandchildren.**  A daemon left behind by the build (sccache, a `cmd &`)
  can keep the pty or pipe open forever: once the child has exited, reading
  stops at the first 0.1 s of silence.
"""

from __future__ import annotations

import errno
import os
import re
import select
import shlex
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

CHUNK = 3 << 15        # 96 KiB: below malloc's mmap threshold (flat memory), fewer reads than 64 KiB
PIPE_SIZE = 1 << 20
MAX_PENDING = 1 << 20
SILENCE = 0.1         # after the child exits: stop at the first silence this long
HARD_STOP = 5.0       # ... or this long after it exited, whatever a grandchild does
SI_KERNEL = 0x80      # Linux si_code of a signal sent by the terminal driver
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
META = "[taskbook] "  # prefix of the log's header and footer lines

ANSI = re.compile(rb"""
    \x1b\[[0-?]*[ -/]*[@-~]                 # CSI: colours, erase line, cursor moves
  | \x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?    # OSC ... BEL|ST: hyperlinks, cargo's 9;4 progress
  | \x1b[PX^_][^\x1b\n]*(?:\x1b\\)?         # DCS, SOS, PM, APC ... ST
  | \x1b[()*+].                             # character set designation (tput sgr0)
  | \x1b[@-Z\\-_]?                          # other two-byte escapes, or a lone ESC
""", re.VERBOSE)
CR_BEFORE_LF = re.compile(rb"\r+\n")
OVERWRITTEN = re.compile(rb"(?m)^[^\n]*\r")   # a line up to its last \r (linear: starts at a line start)

Piece = tuple[bytes, int, int]          # buf[start:end]: whole lines for the log
LinesSink = Callable[[int, list[Piece]], None]


def scrub(block: bytes) -> bytes:
    """Whole lines of terminal output -> the log's bytes (valid UTF-8)."""
    if b"\x1b" in block:
        block = ANSI.sub(b"", block)
    if b"\r" in block:
        block = CR_BEFORE_LF.sub(b"\n", block)
        if b"\r" in block:
            block = OVERWRITTEN.sub(b"", block)  # keep what was drawn last
    if _is_utf8(block, 0, len(block)):
        return block
    return block.decode("utf-8", "backslashreplace").encode("utf-8")


def _is_utf8(buf: bytes, start: int, end: int) -> bool:
    """buf[start:end] is valid UTF-8 (the caller checked isascii() first when it could)."""
    try:
        str(memoryview(buf)[start:end], "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plain(buf: bytes, start: int, end: int, ascii: bool) -> bool:
    """buf[start:end] goes to the log as it is: no escape, no `\\r`, valid UTF-8."""
    return (buf.find(b"\x1b", start, end) < 0 and buf.find(b"\r", start, end) < 0
            and (ascii or _is_utf8(buf, start, end)))


class Cleaner:
    """One output stream cut into whole lines, cleaned for the log.

    A read rarely ends at the end of a line, so the lines a read completes
    come as up to two pieces: the line that earlier reads began, and the
    whole lines inside the read itself.  The latter are not copied when they
    need no cleaning (no escape sequence, no `\\r`, valid UTF-8: most of a
    build's output); else both are joined and scrubbed.
    """

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending = bytearray()   # grows in place: a long line in small reads stays linear

    def feed(self, data: bytes) -> list[Piece]:
        cut = data.rfind(b"\n")
        if cut < 0:
            self.pending += data
            _bound(self.pending)
            if len(self.pending) > MAX_PENDING:  # one endless line: cut it
                return self.flush()
            return []
        head, start, end = b"", 0, cut + 1
        if self.pending:
            start = data.find(b"\n") + 1
            head = bytes(self.pending) + data[:start]
        self.pending = bytearray(data[cut + 1:])
        _bound(self.pending)
        if not (_plain(data, start, end, data.isascii()) and _plain(head, 0, len(head), head.isascii())):
            block = scrub(head + data[start:end])
            return [(block, 0, len(block))]
        pieces = [(head, 0, len(head))] if head else []
        if start < end:
            pieces.append((data, start, end))
        return pieces

    def flush(self) -> list[Piece]:
        if not self.pending:
            return []
        block = scrub(bytes(self.pending) + b"\n")
        self.pending = bytearray()
        return [(block, 0, len(block))]


def _bound(buf: bytearray) -> None:
    """A partial line past the limit keeps only its last `\\r` redraw."""
    if len(buf) > MAX_PENDING:
        i = buf.rfind(b"\r", 0, len(buf) - 1)
        if i >= 0:
            del buf[:i + 1]


class Outcome:
    """How the build ended."""

    def __init__(self, argv: list[str], log: Path, cwd: Path) -> None:
        self.argv = argv
        self.log = log
        self.cwd = cwd
        self.status = 0               # as a shell reports it: 128+N for signal N
        self.signal: int | None = None          # the signal that killed the child
        self.interrupted: int | None = None     # a signal taskbook itself received
        self.start_error: str | None = None     # the command could not be started
        self.started = datetime.now().astimezone()
        self.ended = self.started
        self.duration = 0.0
        self.commit: str | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)


def git_commit(cwd: Path) -> str | None:
    """The short HEAD commit when `cwd` is in a git repository (plain git: fast)."""
    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd, text=True,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


class _Signals:
    """SIGINT/SIGTERM/SIGHUP during the build: record them, forward when needed."""

    def __init__(self) -> None:
        self.early: list[int] = []
        self.got: list[int] = []
        self.old: dict[int, object] = {}
        self.blocked = False
        self.proc: subprocess.Popen | None = None
        self.group = False   # the child leads a process group of its own

    def install(self) -> None:
        for s in FORWARDED:
            self.old[s] = signal.signal(s, self._early)

    def _early(self, signum: int, frame: object) -> None:  # before blocking
        self.early.append(signum)

    def block(self) -> None:
        """From here on signals wait to be fetched with their sender (si_code)."""
        if hasattr(signal, "sigtimedwait"):
            signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
            self.blocked = True

    def poll(self) -> None:
        while self.early:
            self._received(self.early.pop(0), from_terminal=False)
        while self.blocked:
            info = signal.sigtimedwait(FORWARDED, 0)
            if info is None:
                break
            self._received(info.si_signo, from_terminal=info.si_code == SI_KERNEL)

    def _received(self, signum: int, from_terminal: bool) -> None:
        self.got.append(signum)
        proc = self.proc
        if not from_terminal and proc is not None and proc.poll() is None:
            try:
                if self.group:
                    os.killpg(proc.pid, signum)
                else:
                    proc.send_signal(signum)
            except ProcessLookupError:
                pass

    def restore(self) -> None:
        self.poll()
        if self.blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
            self.blocked = False
        for s, h in self.old.items():
            signal.signal(s, h)


class Runner:
    """Runs one command; `on_lines(stream, pieces)` receives the cleaned lines
    as they are logged: whole lines of UTF-8, in pieces `(buf, start, end)`."""

    def __init__(self, argv: list[str], log_path: Path, *, cwd: Path | None = None,
                 on_lines: LinesSink | None = None, terminal_fd: int = 1,
                 use_pty: bool | None = None, log: Claim | None = None) -> None:
        self.argv = list(argv)
        self.cwd = Path(cwd or os.getcwd())
        self.claim = log            # the log, already claimed by the caller (kept open)
        self.out = Outcome(self.argv, log.path if log is not None else Path(log_path), self.cwd)
        self.on_lines = on_lines
        self.terminal = [terminal_fd, terminal_fd if terminal_fd == 2 else 2]
        self.terminal_ok = True
        self.use_pty = _isatty(terminal_fd) if use_pty is None else use_pty
        self.cleaners = [Cleaner(), Cleaner()]
        self.own_group = not _isatty(0)  # no terminal to share: signal the whole tree
        self.log = None

    # ------------------------------------------------------------ running

    def run(self) -> Outcome:
        out = self.out
        out.commit = git_commit(self.cwd)
        claim = self.claim or claim_log(out.log)
        self.log = claim.file
        t0 = time.monotonic()
        sigs = _Signals()
        try:
            self._header()
            sigs.install()
            try:
                proc, fds, master = self._spawn()
            except OSError as e:
                out.start_error = f"cannot run {self.argv[0]!r}: {e.strerror or e}"
                out.status = 127 if isinstance(e, FileNotFoundError) else 126
            else:
                sigs.proc = proc
                sigs.group = self.own_group
                sigs.block()
                winch = self._follow_window_size(master)
                try:
                    self._pump(proc, fds, sigs)
                    self._reap(proc, sigs)
                finally:
                    if winch is not None:
                        signal.signal(signal.SIGWINCH, winch)
                    for fd in fds:
                        os.close(fd)
                rc = proc.returncode
                if rc < 0:
                    out.signal = -rc
                    out.status = 128 - rc
                else:
                    out.status = rc
        finally:
            sigs.restore()
            interrupts = [s for s in sigs.got if s in FORWARDED]
            out.interrupted = interrupts[0] if interrupts else None
            if out.signal == signal.SIGINT and out.interrupted is None:
                out.interrupted = signal.SIGINT  # Ctrl-C reached only the child
            out.ended = datetime.now().astimezone()
            out.duration = time.monotonic() - t0
            for stream, c in enumerate(self.cleaners):
                self._emit(stream, c.flush())
            self._footer()
            if self.claim is None:
                claim.release()
        return out

    def _spawn(self) -> tuple[subprocess.Popen, dict[int, int], int | None]:
        if self.use_pty:
            master, slave = os.openpty()
            try:
                _configure_pty(slave, self.terminal[0])
                proc = subprocess.Popen(self.argv, cwd=self.cwd, stdout=slave, stderr=slave,
                                        process_group=0 if self.own_group else None)
            except BaseException:
                os.close(master)
                raise
            finally:
                os.close(slave)  # else the pty never reports end of output
            return proc, {master: 0}, master
        proc = subprocess.Popen(self.argv, cwd=self.cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                process_group=0 if self.own_group else None)
        fds = {os.dup(proc.stdout.fileno()): 0, os.dup(proc.stderr.fileno()): 1}
        proc.stdout.close()
        proc.stderr.close()
        for fd in fds:
            _widen_pipe(fd)
        return proc, fds, None

    def _follow_window_size(self, master: int | None):
        if master is None or not hasattr(signal, "SIGWINCH"):
            return None

        def resized(signum: int, frame: object) -> None:
            _copy_window_size(self.terminal[0], master)
        return signal.signal(signal.SIGWINCH, resized)

    def _pump(self, proc: subprocess.Popen, fds: dict[int, int], sigs: _Signals) -> None:
        live = list(fds)
        exited_at = None
        while live:
            ready, _, _ = select.select(live, [], [], SILENCE)
            sigs.poll()
            if not ready:
                if exited_at is not None:
                    return  # silence after the exit: whoever holds the fds is not the build
                if proc.poll() is not None:
                    exited_at = time.monotonic()  # one more round for its last words
                continue
            for fd in ready:
                try:
                    data = os.read(fd, CHUNK)
                except OSError as e:
                    if e.errno != errno.EIO:  # EIO: the pty's end of output (Linux)
                        raise
                    data = b""
                if not data:
                    live.remove(fd)
                    continue
                stream = fds[fd]
                self._show(stream, data)
                self._emit(stream, self.cleaners[stream].feed(data))
            if proc.poll() is not None:
                now = time.monotonic()
                exited_at = exited_at or now
                if now - exited_at > HARD_STOP:
                    return

    def _reap(self, proc: subprocess.Popen, sigs: _Signals) -> None:
        while True:
            try:
                proc.wait(timeout=SILENCE)
                return
            except subprocess.TimeoutExpired:
                sigs.poll()

    # ------------------------------------------------------------ output

    def _show(self, stream: int, data: bytes) -> None:
        if not self.terminal_ok:
            return
        fd = self.terminal[stream]
        view = memoryview(data)
        try:
            while view:
                n = os.write(fd, view)
                view = view[n:]
        except BlockingIOError:
            select.select([], [fd], [])
            self._show(stream, bytes(view))
        except OSError:  # EPIPE, EBADF: nobody watches; the log still gets it all
            self.terminal_ok = False

    def _emit(self, stream: int, pieces: list[Piece]) -> None:
        if pieces:
            write_all(self.log.fileno(), [memoryview(buf)[start:end] for buf, start, end in pieces])
            if self.on_lines is not None:
                self.on_lines(stream, pieces)

    def _meta(self, text: str) -> None:
        write_all(self.log.fileno(), [f"{META}{text}\n".encode("utf-8", "backslashreplace")])

    def _header(self) -> None:
        out = self.out
        self._meta(f"command: {out.command}")
        self._meta(f"cwd: {out.cwd}")
        self._meta(f"started: {out.started.isoformat(timespec='seconds')}")
        if out.commit:
            self._meta(f"commit: {out.commit}")
        self._meta("---- output ----")

    def _footer(self) -> None:
        out = self.out
        self._meta("---- end of output ----")
        if out.start_error:
            self._meta(f"error: {out.start_error}")
        self._meta(f"ended: {out.ended.isoformat(timespec='seconds')}")
        self._meta(f"duration: {out.duration:.3f} s")
        how = f" (killed by {signal_name(out.signal)})" if out.signal else ""
        self._meta(f"exit status: {out.status}{how}")
        if out.interrupted is not None:
            self._meta(f"interrupted: {signal_name(out.interrupted)} during the build; "
                       "the output above is incomplete")


class Claim:
    """A build log held by this build: open for writing, locked (flock) so
    that a second build on the same book does not write into it."""

    def __init__(self, path: Path, file, wanted: Path) -> None:
        self.path = path
        self.file = file
        self.wanted = wanted      # the log asked for; `path` differs when it was busy

    @property
    def busy(self) -> bool:
        return self.path != self.wanted

    def release(self) -> None:
        self.file.close()         # closing drops the lock

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim_log(path: Path, tries: int = 100) -> Claim:
    """Open `path` for this build's log, locked; if another build holds it,
    the next free `NAME.2`, `NAME.3`, ... instead (a log is never truncated
    before its lock is taken).  UsageError if none can be written."""
    import fcntl
    path = Path(path)
    for n in range(1, tries + 1):
        p = path if n == 1 else path.with_name(f"{path.name}.{n}")
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as e:
            from ..errors import UsageError
            raise UsageError(f"cannot write the build log {p}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        return Claim(p, open(fd, "wb", buffering=0), path)  # pieces are written in place
    from ..errors import UsageError
    raise UsageError(f"cannot write the build log: {path} and {tries - 1} numbered ones are in use")


def write_all(fd: int, parts: list) -> None:
    """Write buffers in order with as few system calls as it takes."""
    while parts:
        n = os.writev(fd, parts)
        while parts and n >= len(parts[0]):
            n -= len(parts[0])
            parts = parts[1:]
        if parts and n:
            parts = [memoryview(parts[0])[n:], *parts[1:]]


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe (Linux) lets a fast child write on while we process."""
    import fcntl
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # over /proc/sys/fs/pipe-max-size, or not Linux: the default will do


def _configure_pty(slave: int, terminal_fd: int) -> None:
    import termios
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # no "\n" -> "\r\n" translation
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    _copy_window_size(terminal_fd, slave)


def _copy_window_size(src: int, dst: int) -> None:
    import fcntl
    import termios
    try:
        size = fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(dst, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def run(argv: list[str], log_path: Path, **kw) -> Outcome:
    """Run `argv`, tee its output to the terminal and the log; see `Runner`."""
    return Runner(argv, log_path, **kw).run()


