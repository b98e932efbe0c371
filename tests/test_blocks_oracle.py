"""`taskbook.parse.blocks.scan` against a reference CommonMark parser.

scan() is a hand-written linear implementation of the CommonMark container
algorithm.  These tests compare what it finds with markdown-it-py (preset
"commonmark") on every seed and corpus book and on generated markdown:

* list items: the set of (start line, parent item's start line) pairs;
* list item ends: markdown-it's line map end with trailing blank lines
  trimmed (see `_content_lines` for what "blank" means inside containers);
* headings: the set of (line, level) pairs.

markdown-it is an oracle, not ground truth: where it departs from the
CommonMark spec (checked against the spec's reference implementation,
cmark) the disagreement is excused by a precise detector in
`ORACLE_BUGS`, and `test_markdown_it_divergence` pins scan's correct
answer on a minimal example.  Disagreements caused by known scan bugs are
excused by a detector in `SCAN_BUGS`, each tied to a strict-xfail test
below: when scan is fixed, that test XPASSes, fails the suite, and the
detector must be removed.  Every other disagreement fails the test.
Detectors are consulted only after a disagreement, never to filter inputs.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.rules_block import blockquote as _md_blockquote

from conftest import book_params, md_lines
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
        return self.md.parse(text)


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


def _content_lines(tokens) -> set[int]:
    """Lines that carry content, as opposed to lines that are blank once
    their container prefixes (indentation, ">") are removed.

    Trailing lines of an item that are blank in this sense are trimmed:
    `> - x` / `>` / `> y` makes the item end after its first line, as scan
    says, although markdown-it's map also covers the quote's blank `>`.
    """
    out: set[int] = set()
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
    content = _content_lines(tokens)
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
# ---------------------------------------------------------------------------


def _code_right_after_paragraph(text: str, tokens) -> bool:
    """markdown-it bug: a line indented 4+ columns past the containers it
    matches, right after a paragraph in a deeper container, ends the
    paragraph and becomes indented code.  CommonMark: indented code cannot
    interrupt a paragraph, so the line is a lazy continuation (cmark agrees).
    A code block that starts on the line after a paragraph's last line
    can never happen in CommonMark."""
    para_ends = {t.map[1] for t in tokens if t.type == "paragraph_open"}
    return any(t.type == "code_block" and t.map[0] in para_ends for t in tokens)


def _indented_quote_continuation(text: str, tokens) -> bool:
    """markdown-it bug: `> a` / `\\t> - b` continues the block quote although
    its ">" is indented 4+ columns (CommonMark and cmark: lazy paragraph
    continuation, so "- b" is text, not a list item)."""
    return bool(_ORACLE.quote_bug_lines)


ORACLE_BUGS = {
    "markdown-it: indented code interrupts a paragraph": _code_right_after_paragraph,
    "markdown-it: block quote continued by an indented '>'": _indented_quote_continuation,
}


def _item_opens_with_indented_code(text: str, tokens) -> bool:
    """scan bug (see test_scan_item_starting_with_indented_code): an item
    whose first line is indented code (`-     code`, 5+ spaces after the
    marker) is taken for a paragraph."""
    return any(a.type == "list_item_open" and b.type == "code_block" and b.map[0] == a.map[0]
               for a, b in zip(tokens, tokens[1:]))


def _empty_item_then_text(text: str, tokens) -> bool:
    """scan bug (see test_scan_empty_item_*): an item whose first line is
    empty (`-`, `1.`) followed directly by a non-blank line: scan takes the
    marker line for the start of a paragraph."""
    lines = text.split("\n")
    for a, b in zip(tokens, tokens[1:]):
        if a.type != "list_item_open":
            continue
        start = a.map[0]
        empty = b.type == "list_item_close" or (b.map is not None and b.map[0] > start)
        if empty and start + 1 < len(lines) and lines[start + 1].strip(" \t"):
            return True
    return False


SCAN_BUGS = {
    "scan: item opening with indented code": _item_opens_with_indented_code,
    "scan: empty item start read as a paragraph": _empty_item_then_text,
}


def known_cause(text: str, tokens) -> str | None:
    for name, detect in {**ORACLE_BUGS, **SCAN_BUGS}.items():
        if detect(text, tokens):
            return name
    return None


def check_against_oracle(text: str) -> None:
    diff, tokens = differences(text)
    if not diff:
        return
    cause = known_cause(text, tokens)
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


@given(md_lines())
def test_generated_markdown_matches_markdown_it(lines):
    # at most two container markers per line and 12 columns of indentation
    # keep markdown-it below its nesting limit; check that it held
    text = "\n".join(lines)
    tokens = _ORACLE.parse(text)
    assert max((t.level for t in tokens), default=0) < MAX_NESTING - 1, "generator too deep"
    assert _same_as_plain_markdown_it(text, tokens)
    check_against_oracle(text)


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
]


@pytest.mark.parametrize("text,expected,cause", MARKDOWN_IT_DIVERGENCES)
def test_markdown_it_divergence(text, expected, cause):
    assert scanned(text) == expected
    diff, tokens = differences(text)
    assert diff, "markdown-it now agrees: drop this case and its detector"
    assert known_cause(text, tokens) == cause


# ---------------------------------------------------------------------------
# scan bugs found by the generated tests (strict xfail: fix scan, then drop
# the xfail and the matching SCAN_BUGS detector)
# ---------------------------------------------------------------------------


@pytest.mark.xfail(strict=True, reason="scan bug: an item whose first line is indented code "
                   "(5+ spaces after the marker) is read as a paragraph, so the next "
                   "unindented line is taken as a lazy continuation")
def test_scan_item_starting_with_indented_code_lazy():
    # CommonMark/cmark: the item is one line of code; "fix" is a new paragraph
    assert scanned("-     fix\nfix") == ([(0, None, 1)], [])


@pytest.mark.xfail(strict=True, reason="scan bug: an item whose first line is indented code "
                   "is read as a paragraph, which a list starting at 2 cannot interrupt")
def test_scan_item_starting_with_indented_code_nested_list():
    # CommonMark/cmark: "2) 0" opens an ordered list inside the item
    assert scanned("-     fix\n  2) 0") == ([(0, None, 2), (1, 0, 2)], [])


@pytest.mark.xfail(strict=True, reason="scan bug: after an empty list item marker the "
                   "marker line itself is taken as an open paragraph: `-` + `  -` "
                   "gives a setext heading instead of a nested item")
def test_scan_empty_item_then_nested_empty_item():
    # CommonMark/cmark: two empty items, the second nested in the first
    assert scanned("-\n  -") == ([(0, None, 2), (1, 0, 2)], [])


@pytest.mark.xfail(strict=True, reason="scan bug: after an empty list item marker the "
                   "next unindented line is taken as a lazy continuation")
def test_scan_empty_item_then_paragraph():
    # CommonMark/cmark: "-" is an empty item; "foo" is a paragraph after the list
    assert scanned("-\nfoo") == ([(0, None, 1)], [])


@pytest.mark.xfail(strict=True, reason="scan bug: an empty item's marker line read as a "
                   "paragraph keeps `2.` from opening a nested list, losing the task")
def test_scan_empty_item_hides_nested_task():
    book = parse(b"1.\n   2. [ ] nested task\n")
    assert [t.title for t in book.all_tasks()] == ["nested task"]
