r"""Diagnostics from build output: a streaming parser for compilers, checkers and test runners.

Formats: rustc/cargo (human), gcc/g++/clang, ld, javac, tsc (plain and
`--pretty`), mypy, ruff (full and concise), pytest failures, go build/vet,
plus user regexes with named groups (config `build.patterns`).

The same `Parser` is fed while a build runs (`feed_bytes` with whole lines
of UTF-8, already stripped of colour by the runner) and over a saved log
(`scan_file`), so the two can never disagree.  `line()` defines what the
parser does; `feed_bytes` gets the same result without looking at most lines
(see "The fast path" below).  One `Parser` per output stream (stdout and
stderr of a piped build interleave); they share a `Collector`, which removes
duplicates, computes fingerprints and notices whether the run was complete.

What is *not* a diagnostic, by design: summary lines (`warning: \`x\` (bin
"x") generated 6 warnings`, `error: could not compile`, `Some errors have
detailed explanations`, `2 errors`, `Found 3 errors`), context lines (`In
function ...`, `required from here`, `# package`), and note/help children,
which belong to the diagnostic above them.

Identity: `fingerprint` is a hash of tool, code, file and the normalised
message (quotes unified, numbers outside quotes replaced by N), plus the
occurrence index when the same message appears at several places of one file.
Never the line number: a diagnostic that moves keeps its fingerprint.  The
rustc lint name (`#[warn(unused_variables)]`) is deliberately not the code: it
is printed only on the first warning of each lint, so it would change when
that first one is fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

SEVERITIES = ("error", "warning", "note")
MAX_DIAGNOSTICS = 100_000  # distinct ones kept per run; more means the run proves nothing


class Diagnostic:
    """One problem reported by a tool."""

    __slots__ = ("tool", "severity", "code", "message", "file", "line", "column",
                 "fingerprint", "key", "detail", "lint")

    def __init__(self, tool: str, severity: str, code: str | None, message: str,
                 file: str | None = None, line: int | None = None, column: int | None = None,
                 key: str | None = None) -> None:
        self.tool = tool
        self.severity = severity
        self.code = code or None
        self.message = " ".join(message.split())
        self.file = file or None
        self.line = line
        self.column = column
        self.fingerprint = ""
        self.key = key          # identity text when the message is not (pytest node id)
        self.detail: list[str] | None = None   # javac's `symbol:` lines and the like
        self.lint: str | None = None  # rustc's lint (`dead_code`), known from JSON output only

    def title(self) -> str:
        """The task title, written the way the tool writes its header line."""
        sev, code, msg = self.severity, self.code, self.message
        if self.tool == "pytest":
            return f"{code} {msg}"
        if self.tool == "ruff":
            return f"{code} {msg}"
        if self.tool == "tsc":
            return f"{sev} {code}: {msg}"
        if self.tool in ("gcc", "mypy") and code:
            return f"{sev}: {msg} [{code}]"
        if self.tool == "javac" and code:
            return f"{sev}: [{code}] {msg}"
        if code and self.tool not in ("go",):
            return f"{sev}[{code}]: {msg}"
        return f"{sev}: {msg}"

    def location(self) -> str:
        if not self.file:
            return "(no location)"
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_json(self) -> dict:
        return {"tool": self.tool, "severity": self.severity, "code": self.code,
                "message": self.message, "file": self.file, "line": self.line,
                "column": self.column, "fingerprint": self.fingerprint}

    def __repr__(self) -> str:
        return f"Diagnostic({self.tool} {self.severity} {self.code} {self.location()} {self.message!r})"


# ------------------------------------------------------------- identity

_QUOTED = re.compile(r"(`[^`]*`|‘[^’]*’|'[^'\s][^']*'|\"[^\"]*\")")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NUM = re.compile(r"\b\d+\b")


_DIGIT = re.compile(r"\d")


def normalise(message: str) -> str:
    """The message as identity: quotes unified, numbers outside quotes as N."""
    if not message.isascii():
        message = (message.replace("‘", "'").replace("’", "'")
                   .replace("“", '"').replace("”", '"'))
    text = " ".join(message.split())
    if _DIGIT.search(text) is None:
        return text
    parts = _QUOTED.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = _NUM.sub("N", _HEX.sub("0xN", parts[i]))
    return "".join(parts)


FP_LEN = 12   # hex digits: 48 bits, so 50,000 diagnostics collide with odds of ~1e-5
OLD_FP_LEN = 8  # what taskbook wrote before; such tags are still matched (by prefix)


def fingerprint(tool: str, code: str | None, file: str | None, ident: str, occurrence: int = 0,
                salt: int = 0) -> str:
    raw = "\x1f".join((tool, code or "", file or "", ident, str(occurrence)))
    if salt:
        raw += f"\x1f{salt}"
    return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:FP_LEN]


_NAMED = re.compile(r"`[^`]*`|'[^'\s][^']*'|\"[^\"]*\"")
_NAMES_ONLY = re.compile(r"(.*?):(?:\s|…|,|\band\b|\bor\b)*$")
_NAMES_AT_END = re.compile(r"(?:[\s,]+(?:and|or)?)*[\s,]+…$")


def family(d: Diagnostic) -> tuple[str, str]:
    """(identity, title) of the diagnostic's kind: the same tool, severity and
    code (`-Wunused-parameter`, `F401`, `[arg-type]`), or without a code the
    message with what it names taken out -- "unused variable: `x`" and
    "unused variable: `y`" are both "warning: unused variable".  Never the
    rustc lint name: it is printed on the first warning of a lint only."""
    shape = _NAMED.sub("…", normalise(d.message))
    m = _NAMES_ONLY.match(shape)
    if m and m.group(1).strip():
        shape = m.group(1).strip()
    shape = _NAMES_AT_END.sub("", shape) or shape
    key = d.code or d.lint or shape
    raw = "\x1f".join(("family", d.tool, d.severity, key))
    ident = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if d.lint and not d.code:   # JSON output names the lint of every warning
        return ident, f"{d.severity}: {d.lint}"
    title = Diagnostic(d.tool, d.severity, d.code, shape).title()
    return ident, title


# ------------------------------------------------------------- patterns

# Lines that look like headers but only summarise: never diagnostics.
_SUMMARY = re.compile(
    r"(?:warning: `[^`]+` \([^)]*\) generated \d+ warnings?.*"
    r"|warning: \d+ warnings? emitted.*"
    r"|error: could not compile `.*"
    r"|error: aborting due to .*"
    r"|warning: build failed, waiting for other jobs to finish.*"
    r"|For more information about (?:this|an) error, try `rustc --explain .*"
    r"|Some errors have detailed explanations: .*"
    r"|\d+ (?:warnings?|errors?)(?: and \d+ (?:warnings?|errors?))? generated\."
    r"|\d+ (?:errors?|warnings?)"
    r"|(?:\d+ \w+(?:, )?)+ in [\d.]+s\b.*"
    r"|Found \d+ errors?.*"
    r"|Success: no issues found.*"
    r"|All checks passed!"
    r"|\[\*\] \d+ fixable.*|No fixes available.*"
    r"|cc1\w*: all warnings being treated as errors"
    r"|collect2: error: ld returned \d+ exit status"
    r"|compilation terminated\."
    r"|(?:g?make|ninja)(?:\[\d+\])?: .*"
    r"|Note: .*"
    r"|Finished .*|error: Recipe .*)$")
# Summaries that say a compiler stopped before checking everything.
_STOPPED = re.compile(
    r"error: could not compile|error: aborting due to|warning: build failed, waiting"
    r"|compilation terminated\.|(?:g?make|ninja)(?:\[\d+\])?: (?:\*\*\*|build stopped)"
    r"|.*: too many errors|!+ stopping after|!+ Interrupted|!+ KeyboardInterrupt")
# Summaries of checkers and test runners that went over everything.
_WHOLE_RUN = re.compile(
    r"Found \d+ errors? in \d+ files? \(checked|Success: no issues found|All checks passed!"
    r"|Found \d+ errors?\.$|Found \d+ errors? in (?:the same file|\d+ files)"
    r"|=* ?(?:\d+ (?:failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected)(?:, )?)+"
    r" in [\d.]+s\b")

_RUST_HEADER = re.compile(r"(error|warning)(?:\[([A-Za-z]+\d+|[a-z_]+(?:::[a-z_]+)+)\])?: (.+)$")
_RUST_CHILD = re.compile(r"(?:note|help)(?:\[\w+\])?: ")
_RUST_LOC = re.compile(r"\s*(?:-->|╭▸)\s+(.+?):(\d+):(\d+)\s*$")
_CC_TOOL = re.compile(r"(?:cc1\w*|gcc|g\+\+|clang(?:\+\+)?|cc|c\+\+|javac|go): (?:fatal )?(error|warning): (.+)$")
_LOCATED = re.compile(
    r"((?:[A-Za-z]:)?[^\s:(][^:]*):(\d+):(?:(\d+):)?(?:\{[\d:-]+\}+:?)?\s+"
    r"(?:fatal\s+)?(error|warning|note|remark|info)\s*:\s+(.*)$")
_GCC_CODE = re.compile(r"^(.*?)\s+\[(-W[\w=+-]+|-Werror=[\w-]+|CWE-\d+)\]$")
_MYPY_CODE = re.compile(r"^(.*?)  \[([\w-]+)\]$")
_JAVAC_CODE = re.compile(r"^\[([\w-]+)\] (.*)$")
_TSC = re.compile(r"([^\s(][^(]*)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$")
_TSC_PRETTY = re.compile(r"([^\s:][^:]*):(\d+):(\d+) - (error|warning|message) (TS\d+): (.*)$")
_RUFF = re.compile(r"([^\s:][^:]*\.(?:py|pyi|ipynb)):(\d+):(\d+): ([A-Z]+\d+) (?:\[\*\] )?(.*)$")
_RUFF_HEADER = re.compile(r"([A-Z]{1,4}\d{2,4}|invalid-syntax) (?:\[\*\] )?(.+)$")
_GO = re.compile(r"(?:vet: )?((?:[A-Za-z]:)?[^\s:][^:]*\.go):(\d+)(?::(\d+))?: (.+)$")
_LD = re.compile(r"([^\s:][^:]*):(?:(\d+):)?(?:\(\.[\w.$]+\+0x[0-9a-f]+\):)? (undefined reference to .+"
                 r"|multiple definition of .+)$")
_PYTEST_FAIL = re.compile(r"(FAILED|ERROR) (\S+)(?: - (.*))?$")
# cheap tests that let most lines skip the regexes above
_SEV_WORD = re.compile(r": (?:fatal )?(?:error|warning|note|remark|info)\b")
_NO_COLON_FIRST = frozenset("_=!0123456789FASNc")
# How the lines `_SUMMARY` matches in `_top` (column 0, with a colon) begin: a cheap gate.
_SUMMARY_START = ("warning: ", "error: ", "For more information about ", "Found ", "Finished ",
                  "Some errors have detailed explanations: ", "Success: no issues found",
                  "All checks passed!", "cc1", "collect2: error: ld returned ",
                  "compilation terminated.", "gmake", "make", "ninja", "No fixes available",
                  "Note: ", "[*] ")
_LOCATED_SEVERITY = {"error": "error", "warning": "warning", "note": "note", "remark": "note",
                     "info": "note"}   # what _severity() makes of _LOCATED's words
_PYTEST_SECTION = re.compile(r"_{3,} (.+?) _{3,}$")
_PYTEST_LOC = re.compile(r"([^\s:][^:]*\.py):(\d+): ?(\w[\w.]*)?$")
_CARET = re.compile(r"(\s*)\^")

_EXT_TOOL = {".py": "mypy", ".pyi": "mypy", ".java": "javac", ".go": "go"}

# The fast path (Parser.feed_bytes).  While no block is open, `line()` acts
# on few lines of a build's output; the others only move `prev` and maybe
# reset `last` (see Parser._skip).  Two searches over the UTF-8 bytes find
# every line it could act on, and then some.  Each starts with a literal, so
# `re` scans for it at C speed and tries the alternatives only there:
# `_AT_START` at each newline (column-0 tokens without ": " -- summaries,
# pytest bars and sections, ruff's `F401 msg` header, whose next line ` -->
# file:1:2` is then looked at too), `_AT_COLON` at each ": " (everything
# else: `file:12: error: ...`, `error[E0382]: `, `main.go:3:4: msg`).  Inside
# a pytest report `file.py:12:` matters too: `_AT_COLON_PYTEST`.  `\d` and
# `\s` of the str patterns may be non-ASCII, hence the \x80-\xff.
# test_diagnostics checks that skipping gives the same result as not skipping.
_AT_START = re.compile(
    rb"\n(?=[_=!0-9A-Zci{\[])(?:[_=!0-9]|F(?:or more|ound |inished |AILED )|ERROR |All checks passed!"
    rb"|No fixes available|compilation terminated\.|[A-Z]{1,4}[0-9\xc0-\xff]|invalid-syntax |\{\"|\[\{\")")
_COLON_SPACE = (rb"[ ](?:fatal |error|warning|note|remark|info|message|undefined reference to "
                rb"|multiple definition of |too many errors|\*\*\*|build stopped"
                rb"|(?<=[0-9\x80-\xbf\]]: )|(?<=\nerror: )|(?<=\nwarning: )|(?<=\nnote: |\nhelp: )"
                rb"|(?<=\nSuccess: ))")
_AT_COLON = re.compile(b":" + _COLON_SPACE)
_AT_COLON_PYTEST = re.compile(rb":(?:(?<=\.py:)|" + _COLON_SPACE + b")")
_RUFF_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZi")
# What str.isspace() accepts, in UTF-8 (test_diagnostics checks the list).
_SPACE = (rb"(?:[\t\x0b\x0c\r\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]"
          rb"|\xe2\x81\x9f|\xe3\x80\x80)")
# A skipped line that resets `last`: a blank one, or a column-0 line with a colon.
_RESETS = re.compile(rb"\n(?:[^ \t\n][^\n]*:|" + _SPACE + rb"*(?:\n|\Z))")
# Inside a rustc block whose location is known, or past its note/help
# children, indented lines change nothing: the next line that can is blank or
# starts in column 0.
_RUST_NEXT = re.compile(rb"\n(?:[^ \t]|" + _SPACE + rb"*(?:\n|\Z))")


class Pattern:
    """A user pattern from config `build.patterns`: a regex with named groups.

    Groups: `file`, `line`, `column` (or `col`), `severity`, `code`,
    `message` (or `msg`).  Given as a string, or a mapping with `regex` and
    optional `tool` and `severity` (used when the regex has no such group).
    """

    def __init__(self, spec) -> None:
        if isinstance(spec, str):
            spec = {"regex": spec}
        try:
            self.regex = re.compile(str(spec["regex"]))
        except (KeyError, TypeError):
            raise ValueError("a build pattern needs a `regex`") from None
        except re.error as e:
            raise ValueError(f"build pattern {spec.get('regex')!r}: {e}") from None
        groups = self.regex.groupindex
        if "message" not in groups and "msg" not in groups:
            raise ValueError(f"build pattern {spec['regex']!r} has no (?P<message>...) group")
        self.tool = str(spec.get("tool") or "custom")
        self.severity = _severity(str(spec.get("severity") or "error"))

    def match(self, line: str) -> Diagnostic | None:
        m = self.regex.search(line)
        if m is None:
            return None
        g = m.groupdict()
        msg = g.get("message") or g.get("msg") or ""
        if not msg.strip():
            return None
        return Diagnostic(self.tool, _severity(g.get("severity") or self.severity), g.get("code"),
                          msg, g.get("file"), _int(g.get("line")), _int(g.get("column") or g.get("col")))


def _severity(word: str) -> str:
    w = word.strip().lower()
    if w.startswith(("err", "fatal", "fail")):
        return "error"
    if w.startswith("warn"):
        return "warning"
    if w in SEVERITIES:
        return w
    return "note" if w in ("info", "remark", "message", "help", "hint") else "warning"


def _int(s: str | None) -> int | None:
    return int(s) if s and s.isdigit() else None


# ------------------------------------------------------------- collector

class Collector:
    """Diagnostics of one run, in order, without duplicates, with fingerprints.

    Also what the run's summary lines said: `stopped_early` (a compiler gave
    up: `could not compile`, `compilation terminated`, make's `***`, pytest's
    `stopping after N failures`) and `whole_run` (a checker or test runner
    printed its closing summary: mypy/ruff/tsc `Found N errors`, pytest's
    `N failed, M passed in 1.2s`).
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = os.path.realpath(root) if root else None
        self.diagnostics: list[Diagnostic] = []
        self.places: dict[tuple, list[tuple]] = {}
        self.fingerprints: set[str] = set()
        self.stopped_early: str | None = None
        self.whole_run = False
        self.overflow = 0
        self._idents: dict[tuple, tuple] = {}   # repeated reports skip normalising
        self._files: dict[str | None, str | None] = {}

    def add(self, d: Diagnostic) -> None:
        raw = (d.tool, d.code, d.file, d.message, d.key)
        known = self._idents.get(raw)
        if known is None:
            file = self._files.get(d.file)
            if file is None:
                file = self._files[d.file] = self.relative(d.file)
            ident = d.key if d.key is not None else normalise(d.message)
            known = (file, (d.tool, d.code, None if d.key is not None else file, ident))
            if len(self._idents) < 4 * MAX_DIAGNOSTICS:
                self._idents[raw] = known
        d.file, k = known
        where = (d.file, d.line, d.column)
        seen = self.places.get(k)
        if seen is None:
            if len(self.diagnostics) >= MAX_DIAGNOSTICS:
                self.overflow += 1
                return
            seen = self.places[k] = []
        elif where in seen:
            return  # the same report twice (lib and test targets, a header in two units)
        fp = fingerprint(*k, len(seen))
        salt = 0
        while fp in self.fingerprints:   # two diagnostics, one hash: the later one moves on
            salt += 1
            fp = fingerprint(*k, len(seen), salt=salt)
        self.fingerprints.add(fp)
        d.fingerprint = fp
        seen.append(where)
        self.diagnostics.append(d)

    def relative(self, file: str | None) -> str | None:
        """Paths as identity: '/'-separated, relative to the build's directory when inside it."""
        if not file:
            return None
        f = file.strip().replace("\\", "/")
        if self.root and os.path.isabs(f):
            real = os.path.realpath(f)
            if real == self.root or real.startswith(self.root.rstrip("/") + "/"):
                f = os.path.relpath(real, self.root)
        f = os.path.normpath(f).replace("\\", "/") if f else f
        return f

    def summary_line(self, line: str) -> None:
        if self.stopped_early is None and _STOPPED.match(line):
            self.stopped_early = line.strip()
        if _WHOLE_RUN.match(line):
            self.whole_run = True

    def done(self) -> None:
        """Nothing more will be added: drop what only finding duplicates needed
        (about half the memory of a run with 50,000 diagnostics)."""
        self._idents.clear()
        self._files.clear()
        self.places = {}
        self.fingerprints = set()

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in SEVERITIES}
        for d in self.diagnostics:
            out[d.severity] = out.get(d.severity, 0) + 1
        return out


def completeness(status: int | None, interrupted: bool, killed: bool, collector) -> tuple[bool, str]:
    """May this run close tasks?  (complete, why) -- the rule, in one place.

    Complete means: not interrupted and not killed by a signal; no more
    distinct diagnostics than the parser keeps; no compiler said it stopped
    early (`could not compile`, `aborting due to`, `compilation terminated`,
    make's `***`, pytest's `stopping after N failures`); and either exit
    status 0, or a checker or test runner printed its whole-run summary
    (mypy/ruff/tsc `Found N errors`, pytest `2 failed, 5 passed in 0.3s`):
    those exit 1 *because* they found problems, after looking at everything.
    A failing compile is never complete: rustc skips later passes (dead-code
    lints) and cargo skips dependent crates once an error stops it.
    """
    if interrupted:
        return False, "interrupted"
    if killed:
        return False, "killed by a signal"
    if status is None:
        return False, "the log does not say how the run ended"
    if collector.overflow:
        return False, f"more than {len(collector.diagnostics)} diagnostics"
    if collector.stopped_early:
        return False, f"stopped early ({collector.stopped_early[:80]})"
    if status == 0:
        return True, "exit status 0"
    if collector.whole_run:
        return True, f"exit status {status} after a whole-run summary"
    return False, f"exit status {status}"


# ------------------------------------------------------------- the parser

class Parser:
    """A line-by-line state machine over one output stream.

    Block formats (rustc, ruff full, javac, pytest sections) keep a pending
    diagnostic until the next header, a blank line or a summary ends it.
    """

    def __init__(self, collector: Collector, patterns: Iterable[Pattern] = ()) -> None:
        self.out = collector
        self.patterns = list(patterns)
        self.pending: Diagnostic | None = None
        self.mode = ""            # "rust" | "javac" | "" : what the pending block is
        self.in_child = False     # rust: past a note/help child, `-->` is not ours
        self.javac_lines = 0      # javac: lines seen after the header
        self.last: Diagnostic | None = None   # for gcc/mypy `note:` children
        self.prev = ""            # previous line (ruff's header is the line above `-->`)
        self.looked = False       # fast path: `prev` was looked at, not skipped
        self.section: str | None = None       # pytest: the failure section being read
        self.crash: dict[str, tuple[str, int]] = {}   # pytest: section -> last file:line

    def feed(self, text: str) -> None:
        """Whole lines of text (a trailing partial line is treated as whole)."""
        data = text.encode("utf-8", "surrogatepass")
        self.feed_bytes(data, 0, len(data))

    def feed_bytes(self, buf: bytes, start: int, end: int) -> None:
        """Whole lines of UTF-8 text, `buf[start:end]`, without decoding most of them.

        Between diagnostics most of a build's output (`Compiling …`, command
        echoes, progress) cannot matter, and decoding it and looking at it
        line by line in Python is what would make the wrapper slower than
        `tee`.  So while no block is open, two C-level searches (`_AT_START`,
        `_AT_COLON`) find the next line that could matter, and the lines
        before it are skipped with the effect `line()` would have had on the
        state (`_skip`).  The first line of each piece is always looked at
        (the searches need the newline before a line).  User patterns may
        match any line, so with patterns every line is looked at.
        """
        if end <= start:
            return
        stop = end - 1 if buf[end - 1] == 10 else end   # "\n" alone is one empty line
        if self.patterns:
            for line in buf[start:stop].decode("utf-8", "surrogatepass").split("\n"):
                self.line(line)
            return
        line_fn = self.line
        find = buf.find
        at_start = at_colon = -1   # next line each search found, kept while ahead of pos
        colon_rx = _AT_COLON
        pos = start
        while True:
            mode = self.mode   # a block is open exactly when there is a mode
            nxt = pos          # the next line that must be looked at
            if pos == start:
                pass
            elif not mode:
                prev = self.prev
                if not (self.looked and prev[:1] in _RUFF_FIRST and _RUFF_HEADER.match(prev)):
                    if at_start < pos:
                        m = _AT_START.search(buf, pos - 1, stop)
                        at_start = m.start() + 1 if m else stop + 1
                    if at_colon < pos or (self.section is not None and colon_rx is _AT_COLON):
                        colon_rx = _AT_COLON if self.section is None else _AT_COLON_PYTEST
                        m = colon_rx.search(buf, pos, stop)
                        at_colon = max(buf.rfind(b"\n", pos, m.start()) + 1, pos) if m else stop + 1
                    nxt = at_start if at_start < at_colon else at_colon
            elif mode == "rust" and (self.in_child or self.pending.file is not None):
                m = _RUST_NEXT.search(buf, pos - 1, stop)
                nxt = m.start() + 1 if m else stop + 1
            if nxt > pos:
                if mode:
                    self._set_prev(buf, pos, nxt - 1)
                else:
                    self._skip(buf, pos, nxt - 1)
                if nxt > stop:
                    return
                pos = nxt
            nl = find(b"\n", pos, stop)
            if nl < 0:
                nl = stop
            line_fn(buf[pos:nl].decode("utf-8", "surrogatepass"))
            self.looked = True
            if nl >= stop:
                return
            pos = nl + 1

    def _skip(self, buf: bytes, a: int, b: int) -> None:
        """What `line()` does to the state on the lines buf[a:b] (no `\\n` at
        b; one before a), when none of them can start or touch a diagnostic."""
        if self.last is not None and _RESETS.search(buf, a - 1, b):
            self.last = None   # a blank line, or an unrelated column-0 line
        self._set_prev(buf, a, b)

    def _set_prev(self, buf: bytes, a: int, b: int) -> None:
        """`prev` after the skipped lines buf[a:b]: the last of them."""
        k = buf.rfind(b"\n", a, b)
        last_line = buf[k + 1 if k >= 0 else a:b].decode("utf-8", "surrogatepass")
        self.prev = "" if not last_line or last_line.isspace() else last_line
        self.looked = False

    def close(self) -> None:
        self._finish()

    # ------------------------------------------------------------ dispatch

    def line(self, line: str) -> None:
        if self.patterns:
            for p in self.patterns:
                d = p.match(line)
                if d is not None:
                    self._finish()
                    self._emit(d)
                    self.prev = line
                    return
        if not line or line.isspace():
            self._finish()
            self.last = None
            self.prev = ""
            return
        first = line[0]
        if (first == "{" or first == "[") and line[1:2] in ('"', "{") and self._json(line):
            self.prev = line
            return
        if first == " " or first == "\t":
            self._indented(line)
        elif ":" in line:
            self._top(line, first)
        elif first in _NO_COLON_FIRST or self.mode:
            self._plain(line, first)  # summaries, pytest bars, javac carets
        self.prev = line

    def _json(self, line: str) -> bool:
        """A line of structured output the user asked a tool for (see
        `from_json`); False when it is none, and the line is read as text."""
        try:
            found = from_json(json.loads(line))
        except ValueError:
            return False
        if found is None:
            return False
        self._finish()
        for d in found:
            self._emit(d)
        self.last = None
        return True

    def _indented(self, line: str) -> None:
        mode = self.mode
        if mode == "rust":
            if not self.in_child and ("-->" in line or "╭▸" in line):
                m = _RUST_LOC.match(line)
                if m and self.pending.file is None:
                    self._locate(self.pending, m)
            elif "= note:" in line or "= help:" in line:
                self.in_child = True
            return
        if mode == "javac":
            self._javac_detail(line)
            return
        if "-->" in line and self.pending is None:
            m = _RUST_LOC.match(line)
            if m:
                h = _RUFF_HEADER.match(self.prev)
                if h:  # ruff's full format: "F401 msg" then " --> file:l:c"
                    d = Diagnostic("ruff", "error", h.group(1), h.group(2))
                    self._locate(d, m)
                    self._start(d, "rust")

    def _plain(self, line: str, c: str) -> None:
        """A column-0 line without a colon: no header has none."""
        if self.mode == "javac" and self._javac_detail(line):
            return
        if c == "_":
            m = _PYTEST_SECTION.match(line)
            self._finish()
            if m:
                self.section = m.group(1)
        elif _SUMMARY.match(line) or c in "!=":
            self._finish()
            self.out.summary_line(line)
            self.last = None

    def _top(self, line: str, c: str) -> None:
        """A column-0 line with a colon: most headers, and cargo's summaries."""
        if self.mode == "javac" and self._javac_detail(line):
            return
        if line.startswith(_SUMMARY_START) and _SUMMARY.match(line):
            # before headers: "warning: `x` (bin "x") generated 6 warnings" looks like one
            self._finish()
            self.out.summary_line(line)
            self.last = None
            return
        if c == "e" or c == "w":
            m = _RUST_HEADER.match(line)
            if m:
                self._finish()
                self._start(Diagnostic("rustc", m.group(1), m.group(2), m.group(3)), "rust")
                return
        elif (c == "n" or c == "h") and _RUST_CHILD.match(line):
            if self.mode == "rust":
                self.in_child = True
            return
        elif (c == "F" or c == "E") and line.startswith(("FAILED ", "ERROR ")):
            m = _PYTEST_FAIL.match(line)
            if m and (".py" in m.group(2) or "::" in m.group(2)):
                self._finish()
                self._pytest(m)
                return
        if ": " in line and _SEV_WORD.search(line):
            m = _LOCATED.match(line)
            if m:
                self._finish()
                self._located(m)
                return
            m = _CC_TOOL.match(line)
            if m:
                self._finish()
                self._emit(Diagnostic("gcc", m.group(1), None, m.group(2)))
                return
        if " TS" in line:
            m = _TSC.match(line) or _TSC_PRETTY.match(line)
            if m:
                self._finish()
                file, ln, col, sev_word, code, msg = m.groups()
                self._emit(Diagnostic("tsc", _severity(sev_word), code, msg, file, int(ln), int(col)))
                return
        if ".py:" in line:
            m = _RUFF.match(line)
            if m:
                self._finish()
                file, ln, col, code, msg = m.groups()
                self._emit(Diagnostic("ruff", "error", code, msg, file, int(ln), int(col)))
                return
            m = _PYTEST_LOC.match(line)
            if m and self.section is not None:
                self.crash[self.section] = (m.group(1), int(m.group(2)))
                return
        elif ".go:" in line:
            m = _GO.match(line)
            if m:
                self._finish()
                file, ln, col, msg = m.groups()
                self._emit(Diagnostic("go", "error", None, msg, _dot(file), int(ln), _int(col)))
                return
        if " reference to " in line or " definition of " in line:
            m = _LD.match(line)
            if m:
                self._finish()
                file, ln, msg = m.groups()
                self._emit(Diagnostic("ld", "error", None, msg, file, _int(ln)))
                return
        if self.mode == "rust" and self.pending is not None and self.pending.file is None:
            return  # cargo's "Caused by:" and such, inside a location-less error
        # any other column-0 line ("In function", "# pkg", a command echo) ends
        # a block, and a `note:` after it no longer belongs to anything
        if self.mode == "rust":
            self._finish()
        self.last = None

    # ------------------------------------------------------------ formats

    def _located(self, m: re.Match) -> None:
        file, ln, col, sev, msg = m.groups()
        tool = _tool_for(file)
        sev = _LOCATED_SEVERITY[sev]
        if sev == "note" and self.last is not None and self.last.tool == tool and (
                tool == "gcc" or (self.last.file == self.out.relative(file)
                                  and self.last.line == int(ln))):
            return  # a note under the diagnostic above: part of it
        code = None
        if tool == "gcc":
            cm = _GCC_CODE.match(msg) if msg.endswith("]") else None
            if cm:
                msg, code = cm.groups()
        elif tool == "mypy":
            cm = _MYPY_CODE.match(msg) if msg.endswith("]") else None
            if cm:
                msg, code = cm.groups()
        elif tool == "javac":
            cm = _JAVAC_CODE.match(msg) if msg.startswith("[") else None
            if cm:
                code, msg = cm.groups()
            d = Diagnostic(tool, sev, code, msg, _dot(file), int(ln), _int(col))
            self._start(d, "javac")
            self.javac_lines = 0
            return
        elif tool == "go":
            return self._emit(Diagnostic(tool, sev, None, msg, _dot(file), int(ln), _int(col)))
        d = Diagnostic(tool, sev, code, msg, _dot(file), int(ln), _int(col))
        self._emit(d)

    def _javac_detail(self, line: str) -> bool:
        """Lines after a javac header: source, caret (the column), `symbol:` details."""
        d = self.pending
        self.javac_lines += 1
        if self.javac_lines > 12:
            self._finish()
            return False
        if d.column is None:
            m = _CARET.match(line)
            if m and line.strip().strip("^~") == "":
                d.column = len(m.group(1).expandtabs(8)) + 1
                return True
        s = line.strip()
        if s.startswith("symbol:"):
            if d.detail is None:
                d.detail = []
            d.detail.append(" ".join(s.split()))
        return line[:1] in " \t"

    def _pytest(self, m: re.Match) -> None:
        word, nodeid, msg = m.groups()
        parts = nodeid.split("::")
        name = ".".join(parts[1:]) if len(parts) > 1 else nodeid
        section = f"ERROR at setup of {parts[-1]}" if word == "ERROR" else name
        where = self.crash.get(section) or self.crash.get(f"ERROR at teardown of {parts[-1]}")
        file, ln = where if where else (parts[0], None)
        text = f"{nodeid} - {msg}" if msg else nodeid
        self._emit(Diagnostic("pytest", "error", word, text, file, ln, key=nodeid))

    # ------------------------------------------------------------ plumbing

    def _locate(self, d: Diagnostic, m: re.Match) -> None:
        d.file, d.line, d.column = _dot(m.group(1)), int(m.group(2)), int(m.group(3))

    def _start(self, d: Diagnostic, mode: str) -> None:
        self.pending = d
        self.mode = mode
        self.in_child = False

    def _finish(self) -> None:
        d = self.pending
        if d is None:
            return
        self.pending = None
        self.mode = ""
        if d.tool == "rustc" and d.file is None and d.code is None:
            d.tool = "generic"  # a bare "error: msg": cargo's own, a linker, any other tool
        if d.detail:
            d.message = f"{d.message} ({'; '.join(d.detail)})"
        self._emit(d)

    def _emit(self, d: Diagnostic) -> None:
        self.last = d
        self.out.add(d)


# ------------------------------------------------------------- structured output

_RUSTC_CODE = re.compile(r"E\d{4}$")


def from_json(obj) -> list[Diagnostic] | None:
    """Diagnostics from one line of the JSON a tool prints when asked --
    `cargo build --message-format=json` (any json-* form), `mypy -O json`,
    `ruff check --output-format=json-lines`, `gcc -fdiagnostics-format=json`
    -- or None when the object is none of those.  The fields are those the
    text parser finds, so a diagnostic keeps its fingerprint whichever form
    the tool printed; what text lacks (the rustc lint of every warning) is
    kept as `lint`."""
    if isinstance(obj, list):   # gcc: one array per compiler run
        if not all(isinstance(x, dict) and "kind" in x and "locations" in x for x in obj):
            return None
        return [d for x in obj if (d := _gcc_json(x)) is not None]
    if not isinstance(obj, dict):
        return None
    if "reason" in obj:
        if obj.get("reason") != "compiler-message" or not isinstance(obj.get("message"), dict):
            return [] if isinstance(obj.get("reason"), str) else None
        return [d for d in (_rustc_json(obj["message"]),) if d is not None]
    if "filename" in obj and "location" in obj and "code" in obj:        # ruff
        loc = obj.get("location") or {}
        return [Diagnostic("ruff", "error", obj.get("code") or "invalid-syntax",
                           str(obj.get("message", "")), obj.get("filename"),
                           _num(loc.get("row")), _num(loc.get("column")))]
    if {"file", "line", "message", "severity"} <= obj.keys():          # mypy
        col = _num(obj.get("column"))
        return [Diagnostic("mypy", _severity(str(obj["severity"])), obj.get("code"),
                           str(obj["message"]), obj["file"], _num(obj["line"]),
                           col + 1 if col is not None and col >= 0 else None)]
    return None


def _rustc_json(msg: dict) -> Diagnostic | None:
    level = msg.get("level")
    if level not in ("error", "warning") or not msg.get("message"):
        return None
    code = (msg.get("code") or {}).get("code") if isinstance(msg.get("code"), dict) else None
    spans = [s for s in msg.get("spans") or [] if isinstance(s, dict)]
    span = next((s for s in spans if s.get("is_primary")), spans[0] if spans else {})
    ecode = code if code and _RUSTC_CODE.match(code) else None
    d = Diagnostic("rustc" if span.get("file_name") or ecode else "generic", level, ecode,
                   str(msg["message"]), span.get("file_name"), _num(span.get("line_start")),
                   _num(span.get("column_start")))
    if code and not ecode:
        d.lint = code
    return d


def _gcc_json(x: dict) -> Diagnostic | None:
    kind = str(x.get("kind", ""))
    if kind not in ("error", "warning", "fatal error"):
        return None
    caret = next((loc.get("caret") for loc in x.get("locations") or []
                  if isinstance(loc, dict) and isinstance(loc.get("caret"), dict)), {})
    return Diagnostic(_tool_for(caret["file"]) if caret.get("file") else "gcc", _severity(kind),
                      x.get("option") or None, str(x.get("message", "")), caret.get("file"),
                      _num(caret.get("line")), _num(caret.get("column")))


def _num(v) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _tool_for(file: str) -> str:
    """The tool a located diagnostic comes from, by the file's extension (gcc by default).

    os.path.splitext's rule, without its cost: the extension runs from the
    last dot, if the name before it is not only dots."""
    dot = file.rfind(".")
    tool = _EXT_TOOL.get(file[dot:].lower())
    if tool is None or not file[file.rfind("/") + 1:dot].strip("."):
        return "gcc"
    return tool


def _dot(file: str) -> str:
    return file[2:] if file.startswith("./") else file


# ------------------------------------------------------------- entry points

class Scan:
    """A stream parser and its collector; feed it stream by stream."""

    def __init__(self, root: Path | str | None = None, patterns: Iterable = ()) -> None:
        compiled = [p if isinstance(p, Pattern) else Pattern(p) for p in patterns]
        self.collector = Collector(root)
        self.parsers = [Parser(self.collector, compiled), Parser(self.collector, compiled)]

    def feed(self, stream: int, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.parsers[stream].feed_bytes(data, 0, len(data))

    def feed_bytes(self, stream: int, buf: bytes, start: int, end: int) -> None:
        """Whole lines of UTF-8, buf[start:end]."""
        self.parsers[stream].feed_bytes(buf, start, end)

    def feed_pieces(self, stream: int, pieces: list[tuple[bytes, int, int]]) -> None:
        """Whole lines of UTF-8 in pieces `(buf, start, end)`, as the runner logs them."""
        parser = self.parsers[stream]
        for buf, start, end in pieces:
            parser.feed_bytes(buf, start, end)

    def close(self) -> Collector:
        for p in self.parsers:
            p.close()
        self.collector.done()
        return self.collector


def parse_text(text: str, root: Path | str | None = None, patterns: Iterable = ()) -> Collector:
    """Every diagnostic in a piece of (already clean) output."""
    scan = Scan(root, patterns)
    scan.feed(0, text)
    return scan.close()


class LogInfo:
    """What the header and footer of a taskbook build log say."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    @property
    def command(self) -> str | None:
        return self.fields.get("command")

    @property
    def cwd(self) -> str | None:
        return self.fields.get("cwd")

    @property
    def exit_status(self) -> int | None:
        v = self.fields.get("exit status", "").split(" ")[0]
        return int(v) if v.isdigit() else None

    @property
    def interrupted(self) -> bool:
        return "interrupted" in self.fields or "killed by" in self.fields.get("exit status", "")

    @property
    def finished(self) -> bool:
        return "exit status" in self.fields


def read_log(path: Path, chunk: int = 1 << 20) -> Iterator[tuple[bytes, int, int]]:
    """The log's lines, cleaned, a chunk at a time (memory stays flat on any log size)."""
    from .runner import Cleaner
    cleaner = Cleaner()
    with open(path, "rb") as f:
        while True:
            data = f.read(chunk)
            if not data:
                break
            yield from cleaner.feed(data)
    yield from cleaner.flush()


def scan_file(path: Path, root: Path | str | None = None, patterns: Iterable = ()) -> tuple[Collector, LogInfo]:
    """Parse a saved log: taskbook's own (header and footer read) or any other."""
    from .runner import META
    meta = META.encode()
    info = LogInfo()
    scan = None
    for buf, start, end in read_log(Path(path)):
        if buf.find(meta, start, end) >= 0:
            kept = []
            for line in buf[start:end].decode("utf-8").split("\n"):
                if line.startswith(META):
                    name, _, value = line[len(META):].partition(": ")
                    if value:
                        info.fields[name.strip()] = value.strip()
                else:
                    kept.append(line)
            buf = "\n".join(kept).encode("utf-8")
            start, end = 0, len(buf)
        if scan is None:
            scan = Scan(root if root is not None else info.cwd, patterns)
        scan.feed_bytes(0, buf, start, end)
    if scan is None:
        scan = Scan(root, patterns)
    return scan.close(), info
