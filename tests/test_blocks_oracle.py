"""`taskbook.parse.blocks.scan` against a reference CommonMark parser.

scan() is a hand-written linear implementation of the CommonMark container
algorithm.  These tests compare what it finds with markdown-it-py (preset
"commonmark") on every seed and corpus book and on generated markdown:

* list items: the set of (start line, parent item's start line) pairs;
* list item ends: markdown-it's line map end with trailing blank lines
  trimmed (see `_content_lines` for what "blank" means inside containers);
* headings: the set of (line, level) pairs.

markdown-it is an oracle, not ground truth: where it departs from the
CommonMark reference implementations (each case was checked against
cmark-gfm, through the `cmarkgfm` package, while writing these tests; it is
not a test dependency) the disagreement is excused by a precise detector in
`ORACLE_BUGS`, and `test_markdown_it_divergence` pins scan's correct
answer on a minimal example.  A known scan bug that cannot be fixed at once
gets a detector in `SCAN_BUGS` tied to a strict-xfail test with its minimal
example: when scan is fixed, that test XPASSes, fails the suite, and the
detector must go.  `SCAN_BUGS` lists the ones still open (one: a setext
underline under a link reference definition inside a list item); the
other scan bugs these tests found are fixed and pinned by the regression
tests at the end.  Every other
disagreement fails the test.  Detectors are consulted only after a
disagreement, never to filter inputs.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.html_re import HTML_OPEN_CLOSE_TAG_STR
from markdown_it.rules_block import blockquote as _md_blockquote

from conftest import FUZZ, book_params, md_lines
from taskbook.parse import parse
from taskbook.parse.blocks import scan

MAX_NESTING = 20  # markdown-it's commonmark preset stops nesting here

# ---------------------------------------------------------------------------
# the oracle
# ---------------------------------------------------------------------------


class _Oracle:
    """markdown-it-py, with the blockquote rule watched (not changed) so that
    one known markdown-it bug can be recognised when it strikes."""

    def __init__(self) -> None:
        self.md = MarkdownIt("commonmark")
        assert self.md.options["maxNesting"] == MAX_NESTING
        self.quote_bug_lines: list[int] = []
        ruler = self.md.block.ruler
        rule = ruler.__rules__[ruler.__find__("blockquote")]
        # keep the rule's place in the terminator chains ("alt")
        ruler.at("blockquote", self._blockquote, {"alt": list(rule.alt)})
        assert rule.alt, "blockquote must still interrupt paragraphs and lists"

    def _blockquote(self, state, start: int, end: int, silent: bool) -> bool:
        blk = state.blkIndent
        ok = _md_blockquote(state, start, end, silent)
        if ok and not silent:
            # markdown-it continues a block quote on a line whose ">" is
            # indented 4+ columns past the container (CommonMark: no)
            for ln in range(start + 1, state.line):
                pos = state.bMarks[ln] + state.tShift[ln]
                if (pos < state.eMarks[ln] and state.src[pos] == ">"
                        and state.sCount[ln] - blk >= 4):
                    self.quote_bug_lines.append(ln)
        return ok

    def parse(self, text: str):
        self.quote_bug_lines = []
        self.env: dict = {}
        return self.md.parse(text, self.env)


_ORACLE = _Oracle()
_PLAIN = MarkdownIt("commonmark")


def _same_as_plain_markdown_it(text: str, tokens) -> bool:
    """The watched oracle parses exactly like an untouched markdown-it."""
    shape = [(t.type, t.map, t.level) for t in tokens]
    return shape == [(t.type, t.map, t.level) for t in _PLAIN.parse(text)]


def normalise(text: str) -> str:
    """What markdown-it is fed: BOM removed, CRLF made LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


def _content_lines(tokens, env: dict) -> set[int]:
    """Lines that carry content, as opposed to lines that are blank once
    their container prefixes (indentation, ">") are removed.

    Trailing lines of an item that are blank in this sense are trimmed:
    `> - x` / `>` / `> y` makes the item end after its first line, as scan
    says, although markdown-it's map also covers the quote's blank `>`.
    """
    out: set[int] = set()
    # link reference definitions leave no token, only an entry in env
    for ref in [*env.get("references", {}).values(), *env.get("duplicate_refs", [])]:
        out.update(range(*ref["map"]))
    for t in tokens:
        if t.map is None:
            continue
        a, b = t.map
        if t.type in ("paragraph_open", "heading_open", "hr"):
            out.update(range(a, b))
        elif t.type in ("blockquote_open", "list_item_open"):
            out.add(a)              # the line that opens the container
        elif t.type in ("fence", "code_block", "html_block"):
            # .content holds the lines with container prefixes removed
            body = t.content.split("\n")
            if body and body[-1] == "":
                body.pop()
            first = a + 1 if t.type == "fence" else a
            if t.type == "fence":
                out.add(a)
                if first + len(body) < b:     # the closing fence line
                    out.add(first + len(body))
            for k, s in enumerate(body):
                if s.strip(" \t"):
                    out.add(first + k)
    return out


def reference(text: str):
    """markdown-it's view: (items, headings, tokens).

    items: [(start, parent start or None, trimmed end)], document order.
    """
    tokens = _ORACLE.parse(text)
    content = _content_lines(tokens, _ORACLE.env)
    items, stack, heads = [], [], []
    for t in tokens:
        if t.type == "list_item_open":
            a, b = t.map
            end = max([k + 1 for k in range(a, b) if k in content] + [a + 1])
            items.append((a, stack[-1] if stack else None, end))
            stack.append(a)
        elif t.type == "list_item_close":
            stack.pop()
        elif t.type == "heading_open":
            heads.append((t.map[0], int(t.tag[1])))
    return items, heads, tokens


def scanned(text: str):
    """scan()'s view, in the same shape."""
    blocks = scan(text.split("\n"))
    items = [(it.start, it.parent.start if it.parent else None, it.end) for it in blocks.items]
    heads = [(h.line, h.level) for h in blocks.headings]
    return items, heads


def _pairs(items):
    return sorted({(s, p) for s, p, _ in items}, key=repr)


def _ends(items):
    return sorted({(s, e) for s, _, e in items}, key=repr)


def differences(text: str) -> tuple[dict, list]:
    """Where scan and markdown-it disagree on `text` (empty dict: nowhere)."""
    ref_items, ref_heads, tokens = reference(text)
    got_items, got_heads = scanned(text)
    diff = {}
    if _pairs(ref_items) != _pairs(got_items):
        diff["items (start, parent)"] = (_pairs(ref_items), _pairs(got_items))
    if _ends(ref_items) != _ends(got_items):
        diff["items (start, end)"] = (_ends(ref_items), _ends(got_items))
    if sorted(ref_heads) != sorted(got_heads):
        diff["headings (line, level)"] = (sorted(ref_heads), sorted(got_heads))
    return diff, tokens


def describe(diff: dict) -> str:
    out = []
    for what, (ref, got) in diff.items():
        out.append(f"{what}: markdown-it only {sorted(set(ref) - set(got), key=repr)}, "
                   f"scan only {sorted(set(got) - set(ref), key=repr)}")
    return "; ".join(out)


# ---------------------------------------------------------------------------
# known disagreements, recognised precisely (consulted only on a mismatch)
#
# A detector returns the first line where its bug strikes, or None.  The
# disagreement is excused only if it is *local* to that line: every item or
# heading the two parsers disagree on starts at or after it, and every item
# whose end differs reaches it.  So a scan bug earlier in the same text is
# never hidden behind a known bug further down.
# ---------------------------------------------------------------------------


def _code_right_after_paragraph(text: str, tokens) -> int | None:
    """markdown-it bug: a line indented 4+ columns past the containers it
    matches, right after a paragraph in a deeper container, ends the
    paragraph and becomes indented code.  CommonMark: indented code cannot
    interrupt a paragraph, so the line is a lazy continuation (cmark agrees).
    A code block that starts on the line after a paragraph's last line
    can never happen in CommonMark."""
    para_ends = {t.map[1] for t in tokens if t.type == "paragraph_open"}
    hits = [t.map[0] for t in tokens if t.type == "code_block" and t.map[0] in para_ends]
    return min(hits, default=None)


def _indented_quote_continuation(text: str, tokens) -> int | None:
    """markdown-it bug: `> a` / `\t> - b` continues the block quote although
    its ">" is indented 4+ columns (CommonMark and cmark: lazy paragraph
    continuation, so "- b" is text, not a list item)."""
    return min(_ORACLE.quote_bug_lines, default=None)


_HTML7_LINE = re.compile("(?:" + HTML_OPEN_CLOSE_TAG_STR[1:] + r")[ \t]*$")


def _html7_line_in_paragraph(text: str, tokens) -> int | None:
    """markdown-it bug (markdown-it-py issue #434): a line holding only an
    HTML tag (`<br>`, `</custom>`: a type-7 HTML block start) right after a
    paragraph in a container it does not continue is taken as a lazy
    continuation; cmark and commonmark.js close the container and start an
    HTML block, and so does scan."""
    lines = text.split("\n")
    hits = [ln for t in tokens if t.type == "paragraph_open"
            for ln in range(t.map[0] + 1, t.map[1])
            if _HTML7_LINE.match(lines[ln].lstrip(" \t>"))]
    return min(hits, default=None)


def _references() -> list[dict]:
    env = _ORACLE.env
    return [*env.get("references", {}).values(), *env.get("duplicate_refs", [])]


def _text_right_after_reference_definition(text: str, tokens) -> int | None:
    """markdown-it divergence: a link reference definition ends a paragraph
    for markdown-it, so in `[1]: /u` / `2) x` the next line starts a block
    of its own (here a list); cmark (and scan) keep reading the paragraph
    the definition opened, which `2)` cannot interrupt."""
    lines = text.split("\n")
    hits = [ref["map"][1] for ref in _references()
            if ref["map"][1] < len(lines) and lines[ref["map"][1]].strip(" \t")]
    return min(hits, default=None)


ORACLE_BUGS = {
    "markdown-it: indented code interrupts a paragraph": _code_right_after_paragraph,
    "markdown-it: block quote continued by an indented '>'": _indented_quote_continuation,
    "markdown-it: HTML tag line taken as lazy continuation": _html7_line_in_paragraph,
    "markdown-it: a link reference definition ends the paragraph":
        _text_right_after_reference_definition,
}


def _heading_on_reference_definition(text: str, tokens) -> int | None:
    """scan bug (see test_scan_link_reference_definition_in_item_*): inside a
    list item, a link reference definition over a setext underline
    (`- [1]: /u` / `  ===`) still becomes a heading."""
    heading_lines = {line for line, _ in scanned(text)[1]}
    starts = [ref["map"][0] for ref in _references() if ref["map"][0] in heading_lines]
    return min(starts, default=None)


# Known scan bugs: a detector per bug, tied to a strict-xfail test with the
# minimal example; remove both when scan is fixed (the xfail then XPASSes
# and fails the suite).  Bugs found earlier (an item opening with indented
# code, an empty item's marker line read as a paragraph, top-level link
# reference definitions under setext underlines, ...) are fixed and pinned
# by the regression tests at the end of this file.
SCAN_BUGS = {
    "scan: setext heading on a link reference definition in an item":
        _heading_on_reference_definition,
}


def _local_to(text: str, tokens, diff: dict, line: int) -> bool:
    """Does every disagreement in `diff` start at `line` or after it, or
    (an item, or a setext heading whose paragraph runs on) reach it?"""
    reaching = {(h.line, h.level) for h in scan(text.split("\n")).headings if h.end > line}
    reaching |= {(t.map[0], int(t.tag[1])) for t in tokens
                 if t.type == "heading_open" and t.map[1] > line}
    for what, (ref, got) in diff.items():
        for entry in set(ref) ^ set(got):
            if entry[0] >= line:
                continue
            if what == "items (start, end)" and entry[1] >= line:
                continue
            if what == "headings (line, level)" and entry in reaching:
                continue
            return False
    return True


def known_cause(text: str, tokens, diff) -> str | None:
    """The known bug that explains a disagreement on `text`, if any
    (call right after `differences(text)`: it reads the oracle's state)."""
    for name, detect in {**ORACLE_BUGS, **SCAN_BUGS}.items():
        line = detect(text, tokens)
        if line is not None and _local_to(text, tokens, diff, line):
            return name
    return None


def check_against_oracle(text: str) -> None:
    diff, tokens = differences(text)
    if not diff:
        return
    cause = known_cause(text, tokens, diff)
    if cause is not None:
        event(f"excused disagreement: {cause}")
        return
    pytest.fail(f"scan() disagrees with markdown-it on {text!r}: {describe(diff)}")


# ---------------------------------------------------------------------------
# the real books
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", book_params())
def test_books_match_markdown_it(path):
    text = normalise(path.read_bytes().decode("utf-8"))
    diff, tokens = differences(text)
    assert _same_as_plain_markdown_it(text, tokens)
    assert max((t.level for t in tokens), default=0) < MAX_NESTING
    # no excuses for the real books: they must agree outright
    assert not diff, describe(diff)


def test_oracle_sees_structure():
    """Guard against a vacuous comparison: the oracle reports nesting,
    ends and headings at all."""
    text = "# T\n\n- a\n  - b\n\n    more\n- c\n\nSub\n---\n> - q\n>\n> x\n"
    items, heads, _ = reference(text)
    assert items == [(2, None, 6), (3, 2, 6), (6, None, 7), (10, None, 11)]
    assert heads == [(0, 1), (8, 2)]
    assert scanned(text) == (items, heads)


# ---------------------------------------------------------------------------
# generated markdown
# ---------------------------------------------------------------------------


@FUZZ
@given(md_lines())
def test_generated_markdown_matches_markdown_it(lines):
    # at most two container markers per line and 12 columns of indentation
    # keep markdown-it below its nesting limit; check that it held
    text = "\n".join(lines)
    tokens = _ORACLE.parse(text)
    assert max((t.level for t in tokens), default=0) < MAX_NESTING - 1, "generator too deep"
    assert _same_as_plain_markdown_it(text, tokens)
    check_against_oracle(text)


@FUZZ
@given(md_lines(), st.booleans())
def test_generated_crlf_and_bom_scan_like_lf(lines, bom):
    """parse() hands scan() lines without "\\r" and without a BOM, so a CRLF
    book with a BOM has the same structure as its normalised text."""
    lf = "\n".join(lines)
    data = ("\ufeff" if bom else "") + "\r\n".join(lines)
    items, heads = scanned(normalise(data))
    assert (items, heads) == scanned(lf)
    book = parse(data.encode("utf-8"))
    assert book.render() == data.encode("utf-8")


# ---------------------------------------------------------------------------
# markdown-it's departures from CommonMark: scan keeps the CommonMark answer
# (each checked against cmark, the reference implementation)
# ---------------------------------------------------------------------------

MARKDOWN_IT_DIVERGENCES = [
    pytest.param(
        "   - - fix\n    - fix",
        # cmark: one paragraph "fix\n- fix" inside the inner item (lazy line)
        ([(0, None, 2), (0, 0, 2)], []),
        "markdown-it: indented code interrupts a paragraph",
        id="lazy-line-indented-4",
    ),
    pytest.param(
        "> fix\n\t> - fix",
        # cmark: "> - fix" is lazy paragraph text; no list item
        ([], []),
        "markdown-it: block quote continued by an indented '>'",
        id="indented-quote-marker",
    ),
    pytest.param(
        "> a\n</custom>\n- [ ] task",
        # cmark, commonmark.js: `</custom>` closes the quote and opens an
        # HTML block that runs to the next blank line, holding "- [ ] task"
        ([], []),
        "markdown-it: HTML tag line taken as lazy continuation",
        id="html7-after-lazy-paragraph",
    ),
    pytest.param(
        "[1]: /u\n2) fix",
        # cmark: one paragraph (the definition, then "2) fix" as text)
        ([], []),
        "markdown-it: a link reference definition ends the paragraph",
        id="ordered-item-after-reference-definition",
    ),
]


@pytest.mark.parametrize("text,expected,cause", MARKDOWN_IT_DIVERGENCES)
def test_markdown_it_divergence(text, expected, cause):
    assert scanned(text) == expected
    diff, tokens = differences(text)
    assert diff, "markdown-it now agrees: drop this case and its detector"
    assert known_cause(text, tokens, diff) == cause


# ---------------------------------------------------------------------------
# regressions: scan bugs found by the generated tests (fixed since); each
# expected answer is cmark-gfm's
# ---------------------------------------------------------------------------


def test_scan_item_starting_with_indented_code_lazy():
    # "-     fix": 5+ spaces after the marker, so the item opens with
    # indented code, which takes no lazy continuation: "fix" is a new
    # paragraph after the list (scan used to read the code as a paragraph)
    assert scanned("-     fix\nfix") == ([(0, None, 1)], [])
    assert not differences("-     fix\nfix")[0]


def test_scan_item_starting_with_indented_code_nested_list():
    # code is not a paragraph, so a list starting at 2 may follow it
    assert scanned("-     fix\n  2) 0") == ([(0, None, 2), (1, 0, 2)], [])


def test_scan_empty_item_then_nested_empty_item():
    # used to be a setext heading: the empty item's marker line was taken
    # for an open paragraph
    assert scanned("-\n  -") == ([(0, None, 2), (1, 0, 2)], [])


def test_scan_empty_item_then_paragraph():
    # an item with nothing to continue: "foo" is a paragraph after the list
    assert scanned("-\nfoo") == ([(0, None, 1)], [])


def test_scan_empty_item_keeps_nested_task():
    book = parse(b"1.\n   2. [ ] nested task\n")
    assert [(t.title, t.depth) for t in book.all_tasks()] == [("nested task", 0)]


def test_scan_link_reference_definition_is_not_a_heading():
    # a definition, then a paragraph "===" (cmark, markdown-it)
    assert scanned("[1]: http://example.com\n===") == ([], [])


def test_scan_link_reference_definition_before_setext_heading():
    # markdown-it: heading "Title" on line 1 (cmark's sourcepos counts the
    # removed definition, but the heading's text is "Title" alone)
    assert scanned("[1]: http://example.com\nTitle\n===") == ([], [(1, 1)])
    book = parse(b"[1]: http://example.com\nTitle\n===\n")
    assert [g.title for g in book.groups] == ["Title"]


@pytest.mark.xfail(strict=True, reason="scan bug: inside a list item, a link reference "
                   "definition over a setext underline (`- [1]: /u` / `  ===`) becomes "
                   "a level-1 heading; cmark and markdown-it: no heading")
def test_scan_link_reference_definition_in_item_is_not_a_heading():
    assert scanned("- [1]: http://example.com\n  ===") == ([(0, None, 2)], [])


@pytest.mark.xfail(strict=True, reason="scan bug: inside a list item, the heading under "
                   "a link reference definition starts on the definition's line")
def test_scan_link_reference_definition_in_item_before_setext_heading():
    # markdown-it: the heading "x" is on line 1
    assert scanned("- [1]: /u\n  x\n  ===") == ([(0, None, 3)], [(1, 1)])
