"""Hostile input: every case gives a clear result, or a one-line error with
exit 2 — no traceback, no hang, no markup or escape sequence reaching the
terminal (issue 8)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cli_helpers import run

NO_TRACE = ("Traceback", "internal error")


def _clean_error(r, *, code: int = 2) -> None:
    assert r.returncode == code, (r.returncode, r.stdout[-500:], r.stderr[-500:])
    assert not any(t in r.stderr or t in r.stdout for t in NO_TRACE), r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr


def test_ten_megabyte_single_line(tmp_path: Path) -> None:
    book = tmp_path / "long.md"
    book.write_text("- [ ] " + "x" * 10_000_000 + "\n- [x] short\n", encoding="utf-8")
    r = run("--book", book, "list", "--all", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [len(t["title"]) for t in data["tasks"]] == [10_000_000, 5]
    r = run("--book", book, "done", "short", timeout=120)
    assert r.returncode == 0, r.stderr
    assert book.read_text(encoding="utf-8").endswith("- [x] short\n")


def test_ten_thousand_deep_nesting_on_one_line(tmp_path: Path) -> None:
    book = tmp_path / "deep.md"
    book.write_text("- " * 10_000 + "[ ] deepest\n", encoding="utf-8")
    r = run("--book", book, "list", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    assert [t["title"] for t in json.loads(r.stdout)["tasks"]] == ["deepest"]


def test_ten_thousand_nested_tasks(tmp_path: Path) -> None:
    # each level one indentation step deeper: the tree is clamped at 64 levels
    lines = [f"{'  ' * d}- [ ] t{d}" for d in range(10_000)]
    book = tmp_path / "nested.md"
    book.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run("--book", book, "list", "--json", timeout=300)
    assert r.returncode == 0, r.stderr

    def depth(ts, d=0):
        return max([depth(t["children"], d + 1) for t in ts] + [d])
    tasks = json.loads(r.stdout)["tasks"]
    assert depth(tasks) == 64
    r = run("--book", book, "list", timeout=300)
    assert r.returncode == 0 and "t9999" in r.stdout
    r = run("--book", book, "done", "t9999", timeout=300)
    assert r.returncode == 0, r.stderr
    assert book.read_text(encoding="utf-8").splitlines()[-1] == "  " * 9999 + "- [x] t9999"


@pytest.mark.parametrize("data, words", [
    (b"- [ ] a\n\x00\x01binary", "NUL"),
    (b"- [ ] caf\xe9\n", "UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
])
def test_bad_bytes(tmp_path: Path, data: bytes, words: str) -> None:
    book = tmp_path / "bad.md"
    book.write_bytes(data)
    for args in (("list",), ("add", "x"), ("done", "a")):
        r = run("--book", book, *args)
        _clean_error(r)
        assert words in r.stderr
        assert book.read_bytes() == data


def test_book_is_a_directory(tmp_path: Path) -> None:
    r = run("--book", tmp_path, "list")
    _clean_error(r)
    assert "directory" in r.stderr


def test_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "book.md"
    link.symlink_to(tmp_path / "gone.md")
    r = run("--book", link, "list")
    _clean_error(r)
    assert "symbolic link" in r.stderr
    r = run("--book", link, "done", "x")
    _clean_error(r)


def test_unreadable_book(tmp_path: Path) -> None:
    book = tmp_path / "secret.md"
    book.write_text("- [ ] a\n", encoding="utf-8")
    os.chmod(book, 0)
    os.chmod(tmp_path, 0o755)
    preexec = None
    if os.geteuid() == 0:
        # root reads anything: drop the capabilities that let it (the child
        # keeps uid 0, so it can still run the installed program)
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2

        def preexec() -> None:
            for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                    os._exit(99)
    import subprocess

    from cli_helpers import TASKBOOK, base_env
    r = subprocess.run([*TASKBOOK, "--book", str(book), "list"], capture_output=True, text=True,
                       env=base_env(), cwd="/", preexec_fn=preexec, timeout=60)
    if r.returncode == 99:
        pytest.skip("cannot drop root's file-permission capabilities here")
    _clean_error(r)
    assert "permission denied" in r.stderr


def test_markup_and_escapes_in_titles_are_shown_literally(tmp_path: Path) -> None:
    book = tmp_path / "evil.md"
    book.write_text("- [ ] [red]alarm[/red] \x1b[31mred\x1b[0m \x1b]0;pwned\x07 bell\n", encoding="utf-8")
    for args in (("list",), ("show", "alarm"), ("next",), ("stats",)):
        r = run("--book", book, *args, env={"TERM": "xterm-256color", "NO_COLOR": None,
                                            "FORCE_COLOR": "1"})
        assert r.returncode == 0, r.stderr
        out = r.stdout + r.stderr
        assert "\x1b]0;" not in out and "\x07" not in out   # no OSC, no bell
        assert "\x1b[31mred" not in out                      # the title's escape is inert
        if args[0] in ("list", "show", "next"):
            assert "[red]alarm[/red]" in out                  # markup printed as text
            assert "␛[31mred" in out                          # escape made visible
    r = run("--book", book, "list", "--json")
    title = json.loads(r.stdout)["tasks"][0]["title"]
    assert title.startswith("[red]alarm[/red] \x1b[31mred")   # JSON carries the data as is


def test_hundred_thousand_tasks(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from gen_book import generate
    book = tmp_path / "huge.md"
    book.write_text(generate(100_000, "checklist"), encoding="utf-8")
    r = run("--book", book, "stats", "--json", timeout=600)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["tasks"] >= 100_000
    r = run("--book", book, "add", "one more", timeout=600)
    assert r.returncode == 0, r.stderr
    assert book.read_text(encoding="utf-8").rstrip("\n").endswith("- [ ] one more")
