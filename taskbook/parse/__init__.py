"""parse(bytes) -> Book: decode, split into lines, locate blocks, find tasks.

The scanner and the task rules (and their ~20 regular expressions) are
imported on the first parse, not with the package: a command that finds its
book in the parse cache never needs them.
"""

from __future__ import annotations

from ..errors import BookFormatError
from ..model import Book

__all__ = ["parse", "parse_text", "decode"]

BOM = b"\xef\xbb\xbf"


def decode(data: bytes) -> tuple[str, bool]:
    """UTF-8 text of a book and whether it had a BOM; BookFormatError otherwise."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse() takes bytes")
    data = bytes(data)
    bom = data.startswith(BOM)
    if bom:
        data = data[3:]
    nul = data.find(b"\x00")
    if nul != -1:
        raise BookFormatError(f"not a text file: NUL byte at offset {nul + (3 if bom else 0)}",
                              code="binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise BookFormatError(
            f"not valid UTF-8: byte 0x{data[e.start]:02x} at line {line} "
            f"(offset {e.start + (3 if bom else 0)})", code="encoding") from None
    return text, bom


def parse(data: bytes) -> Book:
    """Parse a book.  `parse(b).render() == b` for every UTF-8 book."""
    text, bom = decode(data)
    return parse_text(text, bom)


def parse_text(text: str, bom: bool = False) -> Book:
    from ..markers import EMOJI
    from .address import assign_addresses
    from .blocks import scan
    from .tasks import build
    lines = text.split("\n")
    bare = [s[:-1] if s.endswith("\r") else s for s in lines] if "\r" in text else lines
    # one `in` per mark runs at memchr speed; a regex alternation over a
    # 7 MB book took 60 ms
    has_emoji = any(e in text for e in EMOJI)
    blocks = scan(bare)
    found = build(bare, blocks, has_emoji)
    book = Book(lines, bom, found.dialect, found.language, found.newest_first, found.tasks,
                found.groups, found.notes, found.preamble_end)
    book.counts = found.counts
    book.labelled = found.labelled
    book.emoji = has_emoji
    book.by_id = assign_addresses(found.all_tasks, book.newest_first)
    book.top_items = [(r.start, r.end) for r in blocks.roots]
    return book
