"""Locate markdown block structure on source lines, the way CommonMark does.

markdown-it-py parses about 1 MB/s, far too slow for a CLI that re-reads a
7 MB book on every call, so this module implements the CommonMark *container*
algorithm (block quotes and list items, with lazy continuation lines) plus the
leaf blocks that decide what can be a task: ATX and setext headings, fenced
and indented code, HTML blocks, thematic breaks and paragraphs.  It never
looks at inline markup.  The tests compare its list items and headings with
markdown-it-py's token line maps over the whole corpus and over generated
books, so "nesting as a reader sees it" is checked against a reference
implementation rather than asserted.

The scanner is linear: one pass over the lines, a constant amount of work per
open container.
"""

from __future__ import annotations

import re
from bisect import bisect_right

__all__ = ["Item", "Heading", "Blocks", "scan"]

_BLOCK_TAGS = frozenset(
    """address article aside base basefont blockquote body caption center col
    colgroup dd details dialog dir div dl dt fieldset figcaption figure footer
    form frame frameset h1 h2 h3 h4 h5 h6 head header hr html iframe legend li
    link main menu menuitem nav noframes ol optgroup option p param search
    section summary table tbody td tfoot th thead title tr track ul""".split()
)
_HTML1_RE = re.compile(r"<(script|pre|style|textarea)(?:\s|>|$)", re.I)
_HTML1_END_RE = re.compile(r"</(script|pre|style|textarea)>", re.I)
_HTML6_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s|/?>|$)")
_ATTR = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^"'=<>`\s]+|'[^']*'|"[^"]*"))?)"""
_HTML7_RE = re.compile(
    r"(?:<[A-Za-z][A-Za-z0-9-]*" + _ATTR + r"*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$"
)
_ORDERED_RE = re.compile(r"([0-9]{1,9})([.)])")
_ATX_RE = re.compile(r"(#{1,6})(?:[ \t]|$)")
_HR_CHARS = frozenset("-*_")


class Item:
    """One list item: its line span and where its marker and content sit."""

    __slots__ = (
        "start", "end", "marker", "ordered", "number", "indent", "offset",
        "text_pos", "first", "parent", "children", "blank_start", "quoted",
        "task", "owner", "has_task",
    )

    def __init__(self, start: int, marker: str, number: str | None,
                 indent: int, offset: int, text_pos: int, blank_start: bool,
                 parent: "Item | None", quoted: bool) -> None:
        self.start = start          # 0-based line of the marker
        self.end = start + 1        # exclusive; trailing blank lines trimmed
        self.marker = marker        # "-", "*", "+", "1.", "2)" ...
        self.ordered = number is not None
        self.number = number        # the digits of an ordered marker
        self.indent = indent        # columns before the marker (relative)
        self.offset = offset        # content column relative to the container
        self.text_pos = text_pos    # char index of the content on the first line
        self.first = "blank" if blank_start else "para"  # first leaf kind
        self.parent = parent
        self.children: list[Item] = []
        self.blank_start = blank_start
        self.quoted = quoted        # inside a block quote somewhere
        self.task = None            # the Task this item is, set by the task pass
        self.owner = None           # nearest enclosing Task (or itself)
        self.has_task = False       # some descendant is a task

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Item({self.start}-{self.end} {self.marker!r} first={self.first})"


class Heading:
    """An ATX or setext heading."""

    __slots__ = ("line", "end", "level", "text_pos", "item", "quoted")

    def __init__(self, line: int, end: int, level: int, text_pos: int,
                 item: Item | None, quoted: bool) -> None:
        self.line = line            # first line (the text line for setext)
        self.end = end              # exclusive (includes the underline)
        self.level = level
        self.text_pos = text_pos    # char index where the text starts
        self.item = item            # innermost list item holding it, if any
        self.quoted = quoted


class Blocks:
    """Result of a scan: every list item and heading, in source order."""

    __slots__ = ("items", "roots", "headings", "opaque")

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.roots: list[Item] = []
        self.headings: list[Heading] = []
        # lines that are code, HTML or table content: never task text
        self.opaque: set[int] = set()


def _is_blank(s: str) -> bool:
    return not s.strip(" \t")


def _ws(s: str, pos: int, col: int, partial: int) -> tuple[int, int, int]:
    """Width of the whitespace at the cursor; returns (width, pos, col) after it."""
    width = partial
    n = len(s)
    while pos < n:
        c = s[pos]
        if c == " ":
            width += 1
            col += 1
        elif c == "\t":
            w = 4 - (col % 4)
            width += w
            col += w
        else:
            break
        pos += 1
    return width, pos, col


def _advance(s: str, pos: int, col: int, partial: int, cols: int) -> tuple[int, int, int]:
    """Consume `cols` columns of whitespace; a tab may be split (partial)."""
    if partial:
        if partial >= cols:
            return pos, col, partial - cols
        cols -= partial
        partial = 0
    n = len(s)
    while cols > 0 and pos < n:
        c = s[pos]
        if c == " ":
            cols -= 1
            col += 1
            pos += 1
        elif c == "\t":
            w = 4 - (col % 4)
            pos += 1
            col += w
            if w > cols:
                return pos, col, w - cols
            cols -= w
        else:
            break
    return pos, col, 0


def _hr(s: str, p: int) -> bool:
    c = s[p]
    if c not in _HR_CHARS:
        return False
    count = 0
    for ch in s[p:]:
        if ch == c:
            count += 1
        elif ch not in " \t":
            return False
    return count >= 3


def _fence_open(s: str, p: int) -> tuple[str, int] | None:
    c = s[p]
    if c != "`" and c != "~":
        return None
    q = p
    n = len(s)
    while q < n and s[q] == c:
        q += 1
    k = q - p
    if k < 3:
        return None
    if c == "`" and "`" in s[q:]:
        return None
    return c, k


def _fence_close(s: str, p: int, char: str, length: int) -> bool:
    n = len(s)
    q = p
    while q < n and s[q] == char:
        q += 1
    return q - p >= length and not s[q:].strip(" \t")


def _html_start(s: str, p: int, in_para: bool) -> int:
    """HTML block kind 1-7 starting at p, or 0."""
    if s[p] != "<":
        return 0
    rest = s[p:]
    if _HTML1_RE.match(rest):
        return 1
    if rest.startswith("<!--"):
        return 2
    if rest.startswith("<?"):
        return 3
    if rest.startswith("<![CDATA["):
        return 5
    if len(rest) > 2 and rest[1] == "!" and rest[2].isascii() and rest[2].isalpha():
        return 4
    m = _HTML6_RE.match(rest)
    if m and m.group(1).lower() in _BLOCK_TAGS:
        return 6
    if not in_para and _HTML7_RE.match(rest):
        return 7
    return 0


def _html_ends(kind: int, s: str) -> bool:
    if kind == 1:
        return _HTML1_END_RE.search(s) is not None
    if kind == 2:
        return "-->" in s
    if kind == 3:
        return "?>" in s
    if kind == 4:
        return ">" in s
    if kind == 5:
        return "]]>" in s
    return False


def _list_marker(s: str, p: int) -> tuple[str, bool, int | None, int] | None:
    """(marker, ordered, number, end position) for a list marker at p."""
    c = s[p]
    if c == "-" or c == "*" or c == "+":
        q = p + 1
        if q < len(s) and s[q] not in " \t":
            return None
        return c, False, None, q
    if "0" <= c <= "9":
        m = _ORDERED_RE.match(s, p)
        if not m:
            return None
        q = m.end()
        if q < len(s) and s[q] not in " \t":
            return None
        return m.group(0), True, int(m.group(1)), q
    return None


_PARA, _FENCE, _HTML, _CODE = 1, 2, 3, 4
_SPACES = re.compile(" *")
_MARKER_RE = re.compile(r"(?:[-+*]|([0-9]{1,9})[.)])(?=[ \t]|$)")
_HR_RE = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_MARKER_START = frozenset("-*+0123456789")
# a one-line link reference definition: [label]: destination "title"
_LINK_DEF_RE = re.compile(
    r" {0,3}\[(?:[^\[\]\\]|\\.){1,999}\]:[ \t]*(?:<[^<>\n]*>|\S+)"
    r"(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*$")


def scan(lines: list[str]) -> Blocks:
    """Scan lines (without line endings) into list items and headings.

    One function on purpose: this is CommonMark's block algorithm, a state
    machine whose state (the open containers `stack`/`ccols`/`item_stack`,
    the open leaf `leaf` with its fence or HTML kind, the paragraph start,
    the quote depth, the last non-blank line) is read and written by every
    step of every line.  Split into functions, each step would take or
    return most of that state: five calls per line are half a million on a
    10,000-task book, measured at ~8% of its scan before any state is even
    passed back (the scanner is most of a parse).  So the steps stay inline,
    numbered as in the spec, each a block with its own comment:

    1. match the open containers (a fast path for lines without tabs or
       quotes: a bisect over the content columns);
    2. continue an open fenced code, HTML or indented code block;
    3. lazy paragraph continuation, unless a new block starts;
       then close the containers that did not match;
    4. open new containers: block quotes and list items;
    5. the leaf block on the line: indented code, fence, ATX heading, HTML,
       setext underline, thematic break or paragraph.
    """
    out = Blocks()
    items_all = out.items
    roots = out.roots
    opaque_add = out.opaque.add
    headings = out.headings
    # open containers, outermost first: Item objects, or None for a block quote
    stack: list[Item | None] = []
    ccols: list[int] = []        # content columns of `stack` (quote-free)
    item_stack: list[Item] = []
    leaf = 0
    fence_char = ""
    fence_len = 0
    html_kind = 0
    para_start = -1
    quote_depth = 0
    last_nb = -1                 # last non-blank line seen
    spaces = _SPACES.match
    marker_match = _MARKER_RE.match
    hr_match = _HR_RE.match
    marker_start = _MARKER_START

    for i, s in enumerate(lines):
        n = len(s)
        tabfree = "\t" not in s
        # 1. match the open containers
        if not quote_depth and tabfree:
            p2 = spaces(s).end()
            if p2 == n:
                matched = len(stack)
                if matched and stack[-1].blank_start and i == stack[-1].start + 1:
                    matched -= 1
                pos = n
            else:
                matched = bisect_right(ccols, p2)
                pos = ccols[matched - 1] if matched else 0
            col = pos
            partial = 0
            width = p2 - pos if p2 > pos else 0
            c2 = col + width
        else:
            pos = col = partial = 0
            matched = 0
            for c in stack:
                width, p2, c2 = _ws(s, pos, col, partial)
                if c is None:
                    if width <= 3 and p2 < n and s[p2] == ">":
                        pos, col, partial = p2 + 1, c2 + 1, 0
                        if pos < n and s[pos] in " \t":
                            pos, col, partial = _advance(s, pos, col, 0, 1)
                        matched += 1
                        continue
                    break
                if p2 >= n:  # blank
                    if c.blank_start and i == c.start + 1:
                        break
                    matched += 1
                    pos, col, partial = p2, c2, 0
                    continue
                if width >= c.offset:
                    pos, col, partial = _advance(s, pos, col, partial, c.offset)
                    matched += 1
                    continue
                break
        all_matched = matched == len(stack)
        if quote_depth or not tabfree:
            width, p2, c2 = _ws(s, pos, col, partial)
        rest_blank = p2 >= n
        lm = None
        hr_from = -1

        # 2. continue an open fenced code, HTML or indented code block
        if leaf:
            if leaf == _FENCE:
                if all_matched:
                    opaque_add(i)
                    if (width <= 3 and not rest_blank and s[p2] == fence_char
                            and _fence_close(s, p2, fence_char, fence_len)):
                        leaf = 0
                    if not rest_blank:
                        last_nb = i
                    continue
                leaf = 0
            elif leaf == _HTML:
                if all_matched:
                    if html_kind >= 6:
                        if rest_blank:
                            leaf = 0
                        else:
                            opaque_add(i)
                            last_nb = i
                        continue
                    opaque_add(i)
                    if not rest_blank:
                        last_nb = i
                    if _html_ends(html_kind, s[pos:]):
                        leaf = 0
                    continue
                leaf = 0
            elif leaf == _CODE:
                if all_matched and (rest_blank or width >= 4):
                    if not rest_blank:
                        opaque_add(i)
                        last_nb = i
                    continue
                leaf = 0
            elif not all_matched and not rest_blank:
                # 3. lazy paragraph continuation, unless a new block starts
                if width >= 4:
                    last_nb = i
                    continue
                ch = s[p2]
                if ch in marker_start:
                    lm = marker_match(s, p2)
                    lazy = lm is None and not (ch in "-*" and hr_match(s, p2))
                else:
                    lazy = not _interrupts(s, p2)
                if lazy:
                    last_nb = i
                    continue

        if not all_matched:
            # close the containers that did not match
            end_nb = last_nb + 1
            closed = stack[matched:]
            del stack[matched:]
            del ccols[matched:]
            for c in closed:
                if c is None:
                    quote_depth -= 1
                    continue
                item_stack.pop()
                c.end = end_nb if end_nb > c.start else c.start + 1
            leaf = 0
        if rest_blank:
            if leaf == _PARA:
                leaf = 0
            continue
        last_nb = i

        # 4. open new containers
        opened = False
        while width < 4:
            ch = s[p2]
            if ch == ">":
                if item_stack and item_stack[-1].start == i:
                    item_stack[-1].first = "quote"
                stack.append(None)
                ccols.append(1 << 30)
                quote_depth += 1
                leaf = 0
                opened = True
                lm = None
                pos, col, partial = p2 + 1, c2 + 1, 0
                if pos < n and s[pos] in " \t":
                    pos, col, partial = _advance(s, pos, col, 0, 1)
                width, p2, c2 = _ws(s, pos, col, partial)
                if p2 >= n:
                    break
                continue
            if ch not in marker_start:
                break
            if lm is None or lm.start() != p2:
                lm = marker_match(s, p2)
                if lm is None:
                    break
            q = lm.end()
            mw = q - p2
            if mw == 1:
                number = None
                marker = ch
            else:
                number = lm.group(1)
                marker = lm.group(0)
            if tabfree:
                # one space after the marker is by far the most common case
                q2 = q + 1 if (q + 1 < n and s[q] == " " and s[q + 1] != " ") else spaces(s, q).end()
                after_w = q2 - q
                qc = c2 + mw + after_w
            else:
                after_w, q2, qc = _ws(s, q, c2 + mw, 0)
            empty = q2 >= n
            # "- - -" and "* * *" are thematic breaks, not items; only a line
            # whose content starts with the marker character can be one, and
            # only from a point after which it holds nothing but such marks
            # (computed once per line: "- - - … - [ ] x" must stay linear)
            if (ch == "-" or ch == "*") and not empty and s[q2] in "-*":
                if hr_from < 0:
                    hr_from = _hr_tail(s)
                if p2 >= hr_from and hr_match(s, p2):
                    break
            if leaf == _PARA and not opened and all_matched and (
                    empty or (number is not None and int(number) != 1)):
                break
            pad = 1 if (empty or after_w >= 5) else after_w
            offset = width + mw + pad
            parent = item_stack[-1] if item_stack else None
            if parent is not None and parent.start == i:
                parent.first = "list"
            base = col - partial
            if empty or after_w < 5:
                pos, col, partial = q2, qc, 0
            else:
                pos, col, partial = _advance(s, q, c2 + mw, 0, 1)
            it = Item(i, marker, number, width, offset, pos, empty,
                      parent, quote_depth > 0)
            items_all.append(it)
            (parent.children if parent else roots).append(it)
            stack.append(it)
            ccols.append(base + offset if not quote_depth else 1 << 30)
            item_stack.append(it)
            leaf = 0
            opened = True
            lm = None
            if empty:
                p2 = n   # nothing after the marker: no leaf on this line
                break
            if tabfree and not partial and after_w < 5:
                p2 = pos   # the content starts right here
                width = 0
                c2 = col
            else:      # e.g. "-     code": indented code inside the item
                width, p2, c2 = _ws(s, pos, col, partial)
        if p2 >= n:
            continue

        # 5. the leaf block on this line
        holder = item_stack[-1] if item_stack else None
        first = holder if (holder is not None and holder.start == i
                           and holder.first == "para") else None
        in_para = leaf == _PARA and all_matched and not opened
        if width >= 4:
            if in_para:
                continue
            leaf = _CODE
            opaque_add(i)
            if first:
                first.first = "code"
            continue
        ch = s[p2]
        if ch == "`" or ch == "~":
            fo = _fence_open(s, p2)
            if fo:
                leaf = _FENCE
                fence_char, fence_len = fo
                opaque_add(i)
                if first:
                    first.first = "fence"
                continue
        elif ch == "#":
            m = _ATX_RE.match(s, p2)
            if m:
                headings.append(Heading(i, i + 1, len(m.group(1)), m.end(),
                                        holder, quote_depth > 0))
                leaf = 0
                if first:
                    first.first = "heading"
                continue
        elif ch == "<":
            kind = _html_start(s, p2, in_para)
            if kind:
                opaque_add(i)
                if first:
                    first.first = "html"
                if kind <= 5 and _html_ends(kind, s[p2:]):
                    leaf = 0
                else:
                    leaf = _HTML
                    html_kind = kind
                continue
        if in_para:
            if ch == "=" or ch == "-":
                stripped = s[p2:].rstrip(" \t")
                if stripped.count(ch) == len(stripped):
                    # link reference definitions at the paragraph's start
                    # are not heading text
                    hs = para_start
                    while hs < i and _LINK_DEF_RE.match(lines[hs]):
                        hs += 1
                    if hs < i:
                        headings.append(Heading(hs, i + 1, 1 if ch == "=" else 2,
                                                _first_text_pos(lines[hs]), holder,
                                                quote_depth > 0))
                        leaf = 0
                        continue
                    # only definitions above: "---" is a break, "===" text
                    if ch == "-" and hr_match(s, p2):
                        leaf = 0
                        continue
                    para_start = i
                    continue
            if ch in "-*_" and hr_match(s, p2):
                leaf = 0
            continue
        if ch in "-*_" and hr_match(s, p2):
            leaf = 0
            if first:
                first.first = "hr"
            continue
        leaf = _PARA
        para_start = i

    end_nb = last_nb + 1
    for c in stack:
        if c is not None:
            c.end = end_nb if end_nb > c.start else c.start + 1
    return out


def _hr_tail(s: str) -> int:
    """Index after the last character that cannot be part of a thematic break."""
    i = len(s) - 1
    while i >= 0 and s[i] in " \t-*_":
        i -= 1
    return i + 1


def _first_text_pos(s: str) -> int:
    return len(s) - len(s.lstrip(" \t"))


def _interrupts(s: str, p: int) -> bool:
    """Would the text at p, on a line whose containers did not all match,
    start a new block rather than continue a paragraph lazily?"""
    ch = s[p]
    if ch == ">":
        return True
    if ch in "-*_" and _hr(s, p):
        return True
    if ch == "#" and _ATX_RE.match(s, p):
        return True
    if ch in "`~" and _fence_open(s, p):
        return True
    if ch == "<" and _html_start(s, p, False):
        return True
    if ch in "-*+0123456789":
        return _list_marker(s, p) is not None
    return False
