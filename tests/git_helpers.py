"""Real git repositories in temp directories for the git tests (issue 6).

Every repository is made with the `git` program itself, with a fixed
identity and no global or system configuration, so a developer's own git
settings (conflict style, hooks, default branch) cannot change the results.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cli_helpers import run, seed_path

BOOK = "TASKBOOK.md"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Alice Author",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice Author",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_MERGE_AUTOEDIT": "no",
}

if shutil.which("git") is None:  # pragma: no cover - git is part of the test setup
    pytest.skip("the git program is not installed", allow_module_level=True)


def git(repo: Path, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, **GIT_ENV, **env}
    r = subprocess.run(["git", *args], cwd=repo, env=full, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def tb(repo: Path, *args: object, **env: str) -> subprocess.CompletedProcess:
    """`taskbook ARGS` run in the repository, with the same git identity."""
    return run(*args, cwd=repo, env={**GIT_ENV, **env})


def tb_ok(repo: Path, *args: object, **env: str) -> subprocess.CompletedProcess:
    r = tb(repo, *args, **env)
    assert r.returncode == 0, f"taskbook {' '.join(map(str, args))}: rc={r.returncode}\n{r.stderr}"
    assert "Traceback" not in r.stderr
    return r


def make_repo(root: Path, seed: str = "000", *, name: str = BOOK) -> Path:
    """A repository whose first commit holds a copy of the seed as the book."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    book = repo / name
    book.write_bytes(seed_path(seed).read_bytes())
    commit(repo, "init", date="2024-01-01T10:00:00+00:00")
    return repo


def commit(repo: Path, message: str, *, date: str | None = None,
           author: str | None = None) -> str:
    """Commit everything; return the full commit id."""
    env = {}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    if author:
        env.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=f"{author.lower()}@example.com")
    git(repo, "add", "-A", **env)
    git(repo, "commit", "-q", "-m", message, **env)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_bytes().decode("utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    path.write_bytes(text.replace(old, new).encode("utf-8"))
