"""Shared paths and fixtures for the parser test suite.

The test data lives next to the repository, in ``../shared``:

* ``shared/seeds/*``      the user's own books (the acceptance data);
* ``shared/corpus/*.md``  public books with known quirks, described one per
  row in ``shared/corpus/INDEX.tsv``.

Both directories are read-only: tests only ever read them.  When ``../shared``
is missing (a bare checkout), every test that needs it is skipped with a
reason instead of failing; the Hypothesis tests still run.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
SEEDS_DIR = SHARED / "seeds"
CORPUS_DIR = SHARED / "corpus"
INDEX_TSV = CORPUS_DIR / "INDEX.tsv"

# `pytest` run without installing the package: make `import taskbook` work.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# The parse cache of large books (taskbook.cache) goes to a directory of this
# test run, never to the user's ~/.cache; subprocesses inherit the setting.
os.environ["TASKBOOK_CACHE_DIR"] = tempfile.mkdtemp(prefix="taskbook-test-cache-")
os.environ.pop("TASKBOOK_CACHE", None)
# Every local re-parse after an edit (taskbook.parse.incremental) is checked
# against a whole parse, in this process and in every taskbook it starts.
os.environ["TASKBOOK_VERIFY_REPARSE"] = "1"

HAVE_SHARED = SEEDS_DIR.is_dir() and CORPUS_DIR.is_dir()
SKIP_REASON = f"test data not found: {SHARED} (needs shared/seeds and shared/corpus)"
needs_shared = pytest.mark.skipif(not HAVE_SHARED, reason=SKIP_REASON)

SEED_FILES: list[Path] = sorted(p for p in SEEDS_DIR.glob("*") if p.is_file()) if HAVE_SHARED else []
CORPUS_FILES: list[Path] = sorted(CORPUS_DIR.glob("*.md")) if HAVE_SHARED else []
BOOK_FILES: list[Path] = SEED_FILES + CORPUS_FILES


def book_params(files: list[Path] | None = None) -> list:
    """pytest parameters for book files: one readable test id per file.

    With no data, a single skipped parameter keeps the test visible in the
    report with the reason instead of silently collecting nothing.
    """
    files = BOOK_FILES if files is None else files
    if not files:
        return [pytest.param(None, id="no-shared-data", marks=pytest.mark.skip(reason=SKIP_REASON))]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name[:48]}") for p in files]


def _find(directory: Path, prefix: str) -> Path:
    if not directory.is_dir():
        pytest.skip(SKIP_REASON)
    hits = sorted(p for p in directory.iterdir() if p.name.startswith(prefix))
    if len(hits) != 1:
        pytest.fail(f"expected exactly one file {prefix}* in {directory}, found {hits}")
    return hits[0]


def seed_path(number: str) -> Path:
    """Path of seed `number` ("000" ... "004")."""
    return _find(SEEDS_DIR, number + "_")


def corpus_path(number: str) -> Path:
    """Path of corpus book `number` ("001" ... "043")."""
    return _find(CORPUS_DIR, number + "_")


def corpus_index() -> dict[str, dict[str, str]]:
    """INDEX.tsv rows keyed by file name."""
    if not INDEX_TSV.is_file():
        pytest.skip(SKIP_REASON)
    with INDEX_TSV.open(encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture
def seed_bytes():
    """seed_bytes("000") -> the bytes of that seed."""
    return lambda number: seed_path(number).read_bytes()


@pytest.fixture
def corpus_bytes():
    """corpus_bytes("013") -> the bytes of that corpus book."""
    return lambda number: corpus_path(number).read_bytes()


# Hypothesis: modest by default so the suite stays fast; set
# TASKBOOK_FUZZ_EXAMPLES=5000 (say) to fuzz for longer.  Applied per test as
# @FUZZ so that other test modules keep Hypothesis' own defaults.
FUZZ_EXAMPLES = int(os.environ.get("TASKBOOK_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None)


# ---------------------------------------------------------------------------
# Hypothesis strategies for hand-written books, shared by the round-trip and
# the block-oracle tests.  A generated line is
#
#     indentation + container chain + content + trailing whitespace
#
# where the chain is up to `max_chain` block-quote / list markers.  The
# indentation (0-12 columns of spaces and tabs) makes lines continue, nest
# into or fall out of the open containers of the lines above, so deep and
# ragged nesting, lazy continuation and indented code all occur.
# ---------------------------------------------------------------------------

# Text fragments: CJK, emoji status marks, inline markup, and characters
# that start blocks when they open a line (#, >, |, <, `, ~, *, 1.)
WORDS = [
    "fix", "the build", "x", "a", "修复编译错误", "任务分发策略", "API 文档", "数据流",
    "データ", "ёлка", "error[E0521]: borrowed data escapes", "`code`", "``a`b``",
    "**bold**", "~~gone~~", "_em_", "✅", "⬜️", "⬜", "🔄", "❌", "⏸", "😀", "(done)",
    "（done）", "（working）", "[x]", "[ ]", "[*]", "<b>", "</div>", "<!--", "-->", "|",
    "#", "*", "-", "+", "1.", "2)", ">", "\\", "&amp;", "：", ":", "~~~", "```",
    "任务：", "Task:", "分析：", "http://example.com", "!", "\u00a0", "\u3000",
]
_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00")
text = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join),
    st.text(_CHARS, min_size=1, max_size=12),
)
word = st.sampled_from(WORDS)

box_char = st.sampled_from(list(" xX*/-~!?><+✓") + ["  ", "xx", ""])
status_word = st.sampled_from(["done", "working", "todo", "dropped", "blocked", "完成", "进行中", "wat"])
label = st.sampled_from(["任务", "Task", "task", "子问题2", "子任务1", "Sub-task", "**任务**", "**Task**"])
colon = st.sampled_from(["：", ":", ": ", "： "])
paren = st.builds(lambda o, w, c: o + w + c, st.sampled_from(["(", "（"]), status_word,
                  st.sampled_from([")", "）"]))
section_label = st.sampled_from(["分析", "修改计划", "执行计划", "执行记录", "修改过程", "遇到的问题",
                                 "下一步", "Analysis", "Plan", "Log", "Next steps", "**修改计划**"])
emoji = st.sampled_from(["✅", "⬜️", "⬜", "🔄", "🚧", "❌", "⏸", "⚠️", "☑", "✔️"])


def _fmt(template):
    return lambda args: template.format(*args)


content = st.one_of(
    text,
    st.just(""),                                                      # empty item / blank
    # headings: ATX 1-7 #, with or without space, closing sequence; setext underlines
    st.tuples(st.integers(1, 7).map(lambda k: "#" * k), st.sampled_from([" ", "\t", "", "  "]),
              text, st.sampled_from(["", " #", " ##", "#"])).map("".join),
    st.sampled_from(["===", "---", "- - -", "***", "* * *", "___", "--", "=", "# ", "#"]),
    # review tree: "任务：t", "（done）任务：t", "任务：t (done)"
    st.tuples(paren, st.sampled_from(["", " "]), label, colon, text).map("".join),
    st.tuples(label, colon, text).map("".join),
    st.tuples(label, colon, text, st.sampled_from(["", " "]), paren).map("".join),
    st.tuples(paren, st.sampled_from(["", " "]), text).map("".join),      # "1. (done) t"
    st.tuples(text, paren).map("".join),
    # checkboxes
    st.tuples(box_char, st.sampled_from([" ", "", "*", "\t", "  "]), text).map(_fmt("[{}]{}{}")),
    st.tuples(box_char, text).map(_fmt("~~[{}] {}~~")),
    st.tuples(box_char, text).map(_fmt("[{}] ~~{}~~ later")),
    st.tuples(st.sampled_from(["TODO", "DONE", "WIP", "todo"]), text).map(_fmt("[{}] {}")),
    # emoji marks
    st.tuples(emoji, st.sampled_from([" ", ""]), text).map("".join),
    st.tuples(text, st.sampled_from([" ", ""]), emoji,
              st.sampled_from(["", " **已完成**", " PASS", " (ok)"])).map("".join),
    st.tuples(text, emoji).map(_fmt("**{}**：{}")),
    # sections
    st.tuples(section_label, colon, st.sampled_from(["", "text", "做点什么"])).map("".join),
    # fences, opened and closed (or not)
    st.sampled_from(["```", "```rust", "``` python", "~~~", "~~~ text", "````", "~~~~~",
                     "```a`b", "``", "``` ", "~~~`x`"]),
    # HTML blocks of every kind
    st.sampled_from([
        "<!-- - [ ] hidden -->", "<!--", "-->", "<!-- 014 created:2025-11-23 -->",
        "<div>", "</div>", "<details>", "<summary>x</summary>", "</details>",
        "<script>", "</script>", "<pre>", "</pre>", "<style>p{}</style>", "<?php", "?>",
        "<!DOCTYPE html>", "<![CDATA[", "]]>", "<custom-tag a='1'>", "</custom-tag>",
        "<star/>", "<b>bold</b> text", "<img src=x>", "<br>",
    ]),
    # tables
    st.sampled_from(["| a | b |", "|---|:-:|", "| ✅ 完了 | ⬜ |", "a | b", "| - [ ] x |"]),
    st.tuples(st.sampled_from(["| ", "|"]), text, st.sampled_from([" |", "|", ""])).map("".join),
    # link reference definitions (not paragraphs in CommonMark)
    st.sampled_from(["[1]: http://example.com", '[x]: /url "title"', "[ref]:", "[foo]: <bar>",
                     "[ ]: x", "'title'"]),
)

chain_elem = st.sampled_from([
    "- ", "* ", "+ ", "1. ", "2) ", "10. ", "0. ", "-\t", "-  ", "-     ", "1.\t",
    "> ", ">", ">\t",
])
indent = st.one_of(
    st.integers(0, 12).map(lambda k: " " * k),
    st.text(st.sampled_from(" \t"), min_size=1, max_size=3),
)
trailing = st.sampled_from(["", "", "", " ", "  ", "\t", " \t "])


_blank_line = st.sampled_from(["", " ", "  ", "\t", "    "])
_one_in_ten = st.integers(0, 9)
_chains = {k: st.lists(chain_elem, max_size=k) for k in range(6)}


@st.composite
def md_line(draw, max_chain: int = 2) -> str:
    if draw(_one_in_ten) == 0:
        return draw(_blank_line)
    chain = draw(_chains[max_chain])
    body = draw(content)
    return draw(indent) + "".join(chain) + body + draw(trailing)


def md_lines(max_chain: int = 2, max_size: int = 40):
    return st.lists(md_line(max_chain), max_size=max_size)


_eol_mode = st.sampled_from(["lf", "crlf", "mixed"])
_eol = st.sampled_from(["\n", "\r\n", "\r\n", "\r"])


@st.composite
def book_bytes(draw, max_chain: int = 4) -> bytes:
    """A whole book as bytes: random line endings (LF, CRLF, mixed, a rare
    lone CR), optional BOM, optional final newline."""
    lines = draw(md_lines(max_chain))
    mode = draw(_eol_mode)
    if mode == "mixed":
        eols = [draw(_eol) for _ in lines]
    else:
        eols = ["\n" if mode == "lf" else "\r\n"] * len(lines)
    final = draw(st.booleans())
    parts = []
    for k, (s, e) in enumerate(zip(lines, eols)):
        parts.append(s)
        if k < len(lines) - 1 or final:
            parts.append(e)
    data = "".join(parts).encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data
