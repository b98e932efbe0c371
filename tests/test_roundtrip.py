"""Lossless round trip: `parse(b).render() == b`, for real and generated books,
and clear errors for input that is not a UTF-8 text file."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import FUZZ, book_bytes, book_params
from taskbook import parse
from taskbook.errors import BookFormatError, UsageError
from taskbook.model import Status


def check_book(data: bytes):
    """Parse, check the round trip and the tree's basic invariants."""
    book = parse(data)
    assert book.render() == data
    lines = book.lines
    tasks = list(book.all_tasks())
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids)), "task ids must be unique"
    assert set(book.by_id) == set(ids)
    for t in tasks:
        assert book.by_id[t.id] is t
        assert isinstance(t.status, Status)
        assert 0 <= t.line < len(lines)
        assert t.title == t.title.strip()
        # title and marker are read from the task's own line
        text = book.line_text(t.line)
        assert t.title in text
        assert t.marker is None or t.marker in text
        for c in t.children:
            assert c.parent is t
            assert c.depth == t.depth + 1
            assert c.line > t.line
    for t in book.tasks:
        assert t.parent is None and t.depth == 0
    starts = [t.line for t in tasks]
    assert len(starts) == len(set(starts)), "two tasks on one line"
    return book


# --- (a) every seed and corpus book -----------------------------------------


@pytest.mark.parametrize("path", book_params())
def test_book_round_trips(path):
    data = path.read_bytes()
    book = check_book(data)
    # the model keeps the lines as written, endings included
    assert "\n".join(book.lines).encode("utf-8") == data.removeprefix(b"\xef\xbb\xbf")


# --- (b) generated books ----------------------------------------------------


@FUZZ
@given(book_bytes())
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\r\n")
@example(b"\r")
@example(b"- [ ] a\r\n- [x] b")                       # CRLF, no final newline
@example(b"\xef\xbb\xbf- \xe4\xbb\xbb\xe5\x8a\xa1\xef\xbc\x9ax\r\n\n")  # BOM, 任务：x, mixed
@example(b"```\n- [ ] inside an unclosed fence\n")
@example(b"  \t- [x] tab  \n\t\t- [ ] deeper\t\n")
@example(b"- \xef\xbc\x88done\xef\xbc\x89\xe4\xbb\xbb\xe5\x8a\xa1\xef\xbc\x9a" b"t\n  - \xe5\x88\x86\xe6\x9e\x90\xef\xbc\x9a\n")
def test_generated_book_round_trips(data):
    check_book(data)


@FUZZ
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
@example("\ufeff")
@example("\ufeff\ufeff# twice")
@example("\u2028\u2029\x85\x0b\x0c")
@example("1) \u3000")
@example("- [ ]\r")
def test_any_text_round_trips(text):
    check_book(text.encode("utf-8"))


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_fail_cleanly(data):
    """Arbitrary bytes either parse (and round-trip) or raise BookFormatError,
    never anything else."""
    try:
        book = parse(data)
    except BookFormatError as e:
        assert e.message and "\n" not in e.message
        return
    assert book.render() == data


# --- (c) errors ---------------------------------------------------------------


@pytest.mark.parametrize("data,line", [
    (b"\xff", 1),
    (b"# title\n- [ ] ok\n- [ ] bad \xc3\x28 byte\n", 3),
    (b"a\r\nb\r\n\xe4\xbb\n", 3),                    # truncated sequence
    (b"\xef\xbb\xbfone\ntwo\n\x80", 3),                # after a BOM
    (b"\xed\xa0\x80", 1),                             # encoded surrogate
    (b"ok\n\xc0\xaf", 2),                             # overlong encoding
])
def test_invalid_utf8_is_a_book_format_error(data, line):
    with pytest.raises(BookFormatError) as info:
        parse(data)
    err = info.value
    assert isinstance(err, UsageError)
    assert "UTF-8" in err.message
    assert f"line {line}" in err.message
    assert "\n" not in err.message


@pytest.mark.parametrize("data", [
    b"\x00",
    b"# book\n- [ ] a\x00b\n",
    b"\xef\xbb\xbf\x00",
    b"text\n\x00\xff",                                 # NUL reported before bad UTF-8
])
def test_nul_byte_is_a_book_format_error(data):
    with pytest.raises(BookFormatError) as info:
        parse(data)
    assert info.value.message
    assert "\n" not in info.value.message


def test_parse_refuses_str():
    with pytest.raises(TypeError):
        parse("- [ ] a str, not bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_empty_book(data):
    book = parse(data)
    assert book.tasks == []
    assert list(book.all_tasks()) == []
    assert book.render() == data


def test_render_keeps_every_byte_form():
    data = b"\xef\xbb\xbf# T  \r\n\r\n- [ ] a\t\r\n  - [x] b\n\n\n- [ ] c   "
    book = parse(data)
    assert book.render() == data
    assert book.bom and book.crlf
    assert [t.title for t in book.all_tasks()] == ["a", "b", "c"]


# --- regressions: parser bugs found by the generated tests (now fixed) -------


@pytest.mark.parametrize("data", [
    "- - [x] a\n\n✅ praise\n",
    "- - ✅ a\n- ⬜️ b\n",
    "1. - 任务：x\n\n✅\n",
    "- - [x] a\n",
])
def test_nested_marker_line_is_one_task(data):
    """Found by test_generated_book_round_trips: with a status emoji in the
    book, task candidates were looked up by line number, so the outer item
    of `- - [x] a` (whose content is a list) became a second task on the
    same line (ids X and X-2, one the child of the other)."""
    book = parse(data.encode("utf-8"))
    first_line = [t for t in book.all_tasks() if t.line == 0]
    assert len(first_line) == 1
    (task,) = first_line
    assert task.depth == 0 and task.form.nested  # the inner item, not the outer one
