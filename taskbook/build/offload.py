"""The diagnostics parser in a process of its own, so a second core parses while the first copies.

Why: a build that prints hundreds of megabytes keeps taskbook busy copying
them to the terminal and the log; parsing them on the same core would halve
the rate at which the build's output is drained.  A thread does not help in
CPython: `re` and `bytes.find` hold the GIL, and measured, a parser thread
is slower than parsing inline.  So once a build has printed
`OFFLOAD_AFTER` bytes, on a machine with more than one core, `Scan` forks:
the child inherits the parsers as they are at that moment and parses all
that follows.  A small build (nearly all of them) never forks.

How the lines get there: through a shared memory ring, not a pipe.  A pipe
costs a copy into the kernel and one out of it, as much CPU as the whole
`tee`; the ring costs one memcpy (the pieces of a read land side by side),
and the child parses the bytes where they are.  Only `(stream, position,
length)` messages go through a pipe, and the child acknowledges what it has
parsed so the ring is reused.  A run too big for the ring travels in the
pipe itself.  At the end the child sends back the collector, pickled.

The child keeps the signals the runner blocked blocked, so a Ctrl-C sent to
the process group does not kill it; it ends when its pipe is closed.  If no
process or pipe can be had, `Scan` goes on parsing in its own process.
"""

from __future__ import annotations

import mmap
import os
import pickle
import select
import struct

from .runner import Piece, write_all

RING = 4 << 20             # the shared buffer (memory stays flat: it is reused)
MSG = struct.Struct("<BQI")    # stream, position in the ring (ever growing), length
ACK = struct.Struct("<Q")      # the position up to which the child has parsed
INLINE = (1 << 64) - 1         # position of a piece sent in the pipe after its message
DRAIN_EVERY = 256              # pieces between two looks at the acknowledgements


class Offloaded:
    """A forked parser: `send` it whole lines, `finish` to get its collector."""

    def __init__(self, scan) -> None:
        """Fork; OSError if that cannot be done (the caller keeps parsing itself)."""
        self.ring = mmap.mmap(-1, RING)
        fds: list[int] = []
        try:
            for _ in range(3):
                fds.extend(os.pipe())
            pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            self.ring.close()
            raise
        msg_r, self.msg_w, self.ack_r, ack_w, self.result_r, result_w = fds
        if pid == 0:  # the child: parse until the pipe closes, never return
            for fd in (self.msg_w, self.ack_r, self.result_r):
                os.close(fd)
            _child(scan, self.ring, msg_r, ack_w, result_w)
        self.pid = pid
        for fd in (msg_r, ack_w, result_w):
            os.close(fd)
        os.set_blocking(self.ack_r, False)
        self.head = 0    # bytes put in the ring so far
        self.parsed = 0  # ... of which the child has parsed
        self.sent = 0
        self.broken = False

    def send(self, stream: int, pieces: list[Piece]) -> None:
        """Whole lines, as one run of the ring."""
        if self.broken:
            return
        views = [memoryview(buf)[start:end] for buf, start, end in pieces]
        n = sum(len(v) for v in views)
        try:
            if n > RING // 2:
                write_all(self.msg_w, [MSG.pack(stream, INLINE, n), *views])
                return
            at = self.head % RING
            if at + n > RING:  # a run never wraps: the parser needs it in one piece
                self.head += RING - at
                at = 0
            self.sent += 1
            if self.sent % DRAIN_EVERY == 0:
                self._take_acks(wait=False)  # else a full pipe of them would block the child
            while self.head + n - self.parsed > RING:
                self._take_acks(wait=True)
            for v in views:
                self.ring[at:at + len(v)] = v
                at += len(v)
            write_all(self.msg_w, [MSG.pack(stream, self.head, n)])
            self.head += n
        except (BrokenPipeError, EOFError):
            self.broken = True  # the child died: `finish` says so

    def _take_acks(self, wait: bool) -> None:
        if wait:
            select.select([self.ack_r], [], [])
        try:
            got = os.read(self.ack_r, ACK.size * 1024)  # whole records: each is written at once
        except BlockingIOError:
            return
        if not got:
            raise EOFError
        self.parsed = ACK.unpack_from(got, len(got) - ACK.size)[0]

    def finish(self):
        """The child's collector; its error, if it failed, is raised here."""
        os.close(self.msg_w)
        os.close(self.ack_r)  # its last acknowledgements are not needed any more
        with os.fdopen(self.result_r, "rb") as f:
            raw = f.read()
        os.waitpid(self.pid, 0)
        self.ring.close()
        kind, value = pickle.loads(raw) if raw else ("error", "it stopped without an answer")
        if kind == "error":
            raise RuntimeError(f"the diagnostics parser failed: {value}")
        return value


def _child(scan, ring: mmap.mmap, msg_r: int, ack_w: int, result_w: int) -> None:
    status = 0
    try:
        with os.fdopen(msg_r, "rb") as f:
            while True:
                head = f.read(MSG.size)
                if len(head) < MSG.size:
                    break
                stream, at, n = MSG.unpack(head)
                if at == INLINE:
                    scan.parsers[stream].feed_bytes(f.read(n), 0, n)
                    continue
                start = at % RING
                scan.parsers[stream].feed_bytes(ring, start, start + n)
                try:
                    os.write(ack_w, ACK.pack(at + n))
                except BrokenPipeError:
                    pass  # the parent has sent everything and no longer listens
        answer = ("ok", scan.close_here())
    except BaseException as e:  # noqa: BLE001 - the parent raises it
        answer = ("error", f"{type(e).__name__}: {e}")
        status = 1
    try:
        with os.fdopen(result_w, "wb") as out:
            out.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(status)
