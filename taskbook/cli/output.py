"""Output conventions shared by all commands.

stdout carries data (the list, the JSON); messages go to stderr.  Exit codes:
0 success, 1 the operation failed, 2 bad usage or bad input, 130 interrupted.
Text that comes from the book or from a build is untrusted: `safe()` makes
control characters and escape sequences visible instead of letting the
terminal interpret them, and rich `Text` objects are used so that `[red]` in
a title stays literally `[red]`.
"""

from __future__ import annotations

import re
import sys

from ..errors import ExitCode

__all__ = ["ExitCode", "safe", "emit_json", "info", "report_error"]


# C0 and C1 controls (not tab and newline); the bidirectional controls that
# can make a terminal show text in another order than it is stored; and the
# invisible format characters (zero-width space and joiners, word joiner, BOM,
# soft hyphen, line and paragraph separators, invisible operators, tag
# characters that can smuggle hidden text): all shown by name, never sent
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")


def _picture(m: re.Match) -> str:
    c = ord(m.group(0))
    if c < 0x20:
        return chr(0x2400 + c)     # ␛ for ESC, ␀ for NUL ...
    if c == 0x7F:
        return "\u2421"            # ␡
    if c > 0xFFFF:
        return f"\\U{c:08x}"
    if c > 0xFF or c == 0xAD:
        return f"\\u{c:04x}"      # a format character, shown by its code
    return f"\\x{c:02x}"


def safe(text: str) -> str:
    """Untrusted text made inert for a terminal: controls shown, not obeyed."""
    return _CONTROL.sub(_picture, text)


def emit_json(obj: object) -> None:
    """JSON on stdout: indented for a person at a terminal, compact otherwise
    (the compact form uses the C encoder, ~10x faster on a large book)."""
    import json
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=indent))
    sys.stdout.write("\n")


def info(message: str) -> None:
    """A message for the person at the terminal (stderr, never data)."""
    print(safe(message), file=sys.stderr)


def report_error(message: str, *, code: str = "error", as_json: bool = False,
                 hint: str | None = None, candidates: list | None = None) -> None:
    if as_json:
        import json

        from ..export import error_json
        print(json.dumps(error_json(message, code, hint, candidates), ensure_ascii=False),
              file=sys.stderr)
        return
    line = f"taskbook: {safe(message)}"
    if hint:
        line += f" ({safe(hint)})"
    print(line, file=sys.stderr)
