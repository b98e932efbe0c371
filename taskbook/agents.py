"""Agent instructions: a marked block in AGENTS.md, CLAUDE.md or .cursorrules.

Those files belong to the user (and to other tools that write into them), so
taskbook owns only the lines from `<!-- taskbook:begin -->` to
`<!-- taskbook:end -->`.  Writing the block again replaces exactly those
bytes; everything before and after, line endings and BOM included, stays as
it was.  A file without a block gets it appended.
"""

from __future__ import annotations

from .errors import UsageError
from .templates import read_template

BEGIN = "<!-- taskbook:begin -->"
END = "<!-- taskbook:end -->"
NOTE = "<!-- written by `taskbook init --agents`: edits between these markers are replaced when it runs again -->"
FILES = {"agents": "AGENTS.md", "claude": "CLAUDE.md", "cursor": ".cursorrules"}


def render_block(language: str, book_name: str) -> str:
    """The block, markers included, with "\\n" line ends and no final one."""
    body = read_template(f"agents.{language}.md").replace("{book}", book_name).strip("\n")
    return "\n".join([BEGIN, NOTE, "", body, "", END])


def _eol(data: bytes) -> bytes:
    """The file's line ending, judged by its first line (LF for a new file)."""
    nl = data.find(b"\n")
    return b"\r\n" if nl > 0 and data[nl - 1:nl] == b"\r" else b"\n"


def _marker_lines(data: bytes, marker: bytes) -> list[tuple[int, int]]:
    """(start, end) byte spans of the lines that hold only `marker`, line end excluded."""
    out = []
    pos = 0
    while pos <= len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl == -1 else nl
        if data[pos:end].strip(b" \t\r") == marker:
            content_end = end - 1 if data[pos:end].endswith(b"\r") else end
            out.append((pos, content_end))
        if nl == -1:
            break
        pos = nl + 1
    return out


def upsert(data: bytes, block: str, name: str) -> tuple[bytes, str]:
    """The file with the block written in; and "added", "updated" or "kept".

    Refuses (UsageError, nothing written) when the markers are unpaired or
    repeated: guessing which lines are ours could delete the user's text.
    """
    eol = _eol(data)
    new_block = block.encode("utf-8").replace(b"\n", eol)
    begins = _marker_lines(data, BEGIN.encode())
    ends = _marker_lines(data, END.encode())
    if not begins and not ends:
        if not data:
            return new_block + eol, "added"
        if data.endswith(eol + eol) or data == eol:
            sep = b""
        elif data.endswith(b"\n"):
            sep = eol
        else:
            sep = eol + eol
        return data + sep + new_block + eol, "added"
    if len(begins) != 1 or len(ends) != 1 or ends[0][0] < begins[0][1]:
        lines = sorted(_line_no(data, s) for s, _ in begins + ends)
        raise UsageError(
            f"{name}: the taskbook markers must appear once each, begin before end "
            f"(found on line(s) {', '.join(map(str, lines))}); the file was not changed",
            hint=f"fix or remove the lines `{BEGIN}` and `{END}` by hand")
    start, end = begins[0][0], ends[0][1]
    if data[start:end] == new_block:
        return data, "kept"
    return data[:start] + new_block + data[end:], "updated"


def _line_no(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
