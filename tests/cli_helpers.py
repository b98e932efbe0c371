"""Helpers for the CLI tests: run the real `taskbook` program, copy the user's
books into temp directories, and look at whole-file diffs.

No mocks: every test runs the installed console script (or `python -m
taskbook` when the script is not installed for this interpreter) as a
separate process, on real files.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
SEEDS_DIR = SHARED / "seeds"
CORPUS_DIR = SHARED / "corpus"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _command() -> list[str]:
    """The real entry point: the console script installed next to this
    interpreter (not a pyenv/asdf shim), else `python -m taskbook`."""
    script = Path(sys.executable).parent / "taskbook"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "taskbook"]


TASKBOOK = _command()

# A directory with no .taskbook/ above it, so that a test never picks up the
# repository's own configuration by accident.
_NEUTRAL = Path(tempfile.mkdtemp(prefix="taskbook-cli-neutral-"))

# Variables that would change which book is used or how output looks.
_SCRUB = ("TASKBOOK_BOOK", "TASKBOOK_DEBUG", "_TASKBOOK_COMPLETE", "COMP_WORDS", "COMP_CWORD",
          "_TYPER_COMPLETE_ARGS", "VISUAL", "EDITOR", "FORCE_COLOR", "CLICOLOR_FORCE")


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update({
        "PYTHONIOENCODING": "utf-8",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
    })
    env.update(extra)
    return env


def run(*args: object, cwd: os.PathLike | str | None = None, env: dict[str, str] | None = None,
        input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `taskbook ARGS...`; text stdout/stderr; never raises on exit status.

    `env` entries are added to a scrubbed copy of the environment (a value of
    None removes the variable).
    """
    full = base_env()
    for k, v in (env or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    return subprocess.run(
        [*TASKBOOK, *map(str, args)],
        cwd=str(cwd) if cwd is not None else str(_NEUTRAL),
        env=full, input=input, capture_output=True, text=True, encoding="utf-8",
        errors="replace", timeout=timeout,
    )


def run_json(*args: object, **kw) -> dict:
    """Run a command with --json that must succeed; return the parsed output."""
    r = run(*args, "--json", **kw)
    assert r.returncode == 0, f"taskbook {' '.join(map(str, args))} --json: rc={r.returncode}\n{r.stderr}"
    return json.loads(r.stdout)


# ------------------------------------------------------------------ books

def seed_path(number: str) -> Path:
    hits = sorted(SEEDS_DIR.glob(number + "_*"))
    if len(hits) != 1:
        import pytest
        pytest.skip(f"seed {number} not found in {SEEDS_DIR}")
    return hits[0]


def copy_book(src: Path, dest_dir: Path, name: str | None = None) -> Path:
    """Copy a read-only test book to dest_dir (writable by its owner)."""
    dest = Path(dest_dir) / (name or src.name)
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o644)
    return dest


def copy_seed(number: str, dest_dir: Path, name: str | None = None) -> Path:
    return copy_book(seed_path(number), dest_dir, name)


# ------------------------------------------------------------------ trees

def walk(tasks: list[dict]):
    """Every task of a JSON task list, depth first, in document order."""
    for t in tasks:
        yield t
        yield from walk(t.get("children", []))


def by_title(tasks: list[dict], title: str) -> dict:
    hits = [t for t in walk(tasks) if t["title"] == title]
    assert len(hits) == 1, f"{len(hits)} tasks titled {title!r}"
    return hits[0]


def all_tasks(book: Path, **kw) -> list[dict]:
    """`list --all --json` flattened."""
    return list(walk(run_json("--book", book, "list", "--all", **kw)["tasks"]))


def show(book: Path, address: str, **kw) -> dict:
    return run_json("--book", book, "show", address, **kw)["task"]


# ------------------------------------------------------------------ diffs

def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def _bare(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line


def diff_lines(old: bytes, new: bytes) -> list[str]:
    """The changed lines of a whole-file diff: "-old line" / "+new line".

    Line endings are dropped except a "\\r", which stays visible; a line that
    only gained or lost its final newline shows up as changed.
    """
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), n=0, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append(_bare(line))
    return out


def opcodes(old: bytes, new: bytes) -> list[tuple[str, int, int, int, int]]:
    """difflib opcodes over lines (0-based, end exclusive), equal ones dropped."""
    sm = difflib.SequenceMatcher(None, _lines(old), _lines(new), autojunk=False)
    return [op for op in sm.get_opcodes() if op[0] != "equal"]


def inserted_lines(old: bytes, new: bytes) -> list[tuple[int, str]]:
    """(0-based line in new, text) of each line added; fails if any old line
    was changed or removed."""
    ops = opcodes(old, new)
    bad = [op for op in ops if op[0] != "insert"]
    assert not bad, "expected insertions only, got:\n" + "\n".join(diff_lines(old, new))
    nl = _lines(new)
    return [(j, _bare(nl[j]).rstrip("\r")) for op in ops for j in range(op[3], op[4])]


def replaced_lines(old: bytes, new: bytes) -> list[tuple[int, str, str]]:
    """(0-based line, old text, new text) of each line changed in place; fails
    if any line was inserted or removed."""
    ol, nl = _lines(old), _lines(new)
    assert len(ol) == len(nl), "line count changed:\n" + "\n".join(diff_lines(old, new))
    return [(i, _bare(a), _bare(b)) for i, (a, b) in enumerate(zip(ol, nl)) if a != b]


def line_no(data: bytes, text: str, *, startswith: bool = True) -> int:
    """0-based index of the only line that starts with (or equals) `text`,
    ignoring indentation."""
    hits = [i for i, ln in enumerate(_lines(data))
            if (_bare(ln).rstrip("\r").lstrip().startswith(text) if startswith
                else _bare(ln).rstrip("\r") == text)]
    assert len(hits) == 1, f"{len(hits)} lines start with {text!r}"
    return hits[0]


def lines_of(data: bytes) -> list[str]:
    """The file's lines without their endings."""
    return [_bare(ln).rstrip("\r") for ln in _lines(data)]


def assert_round_trip(data: bytes) -> None:
    from taskbook import parse
    assert parse(data).render() == data


def assert_clean_error(r: subprocess.CompletedProcess, code: int = 2) -> str:
    """Exit `code`, exactly one line on stderr, no traceback anywhere."""
    assert r.returncode == code, f"rc={r.returncode} stderr={r.stderr!r} stdout={r.stdout[:300]!r}"
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), f"expected one line on stderr, got {r.stderr!r}"
    return lines[0]


def temp_files(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob(".*.tbtmp")) + sorted(Path(directory).glob("*.tbtmp"))
