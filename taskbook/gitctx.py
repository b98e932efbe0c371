"""The git side of taskbook: where the book sits in a repository, HEAD, old
versions of the book, the commits that touched it, the merge driver's setup.

GitPython costs ~100 ms to import, so it is imported inside the functions
here and only the commands that need git (diff, history, init --git-merge,
`done --commit`, log entries with `log.commit`) ever load it.  Every git
failure becomes a one-line TaskbookError.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import TaskbookError, UsageError

DRIVER = "taskbook"          # the name in `merge.<name>.driver` and `merge=<name>`
DRIVER_NAME = "taskbook: merges task books task by task"


@dataclass
class Head:
    short: str                  # abbreviated commit id, as `git rev-parse --short`
    branch: str | None          # None when HEAD is detached

    def label(self) -> str:
        """For a sentence: "a1b2c3d on main"."""
        return f"{self.short} on {self.branch}" if self.branch else self.short

    def tag(self) -> str:
        """For a log entry prefix: "a1b2c3d main"."""
        return f"{self.short} {self.branch}" if self.branch else self.short


@dataclass
class CommitInfo:
    sha: str
    short: str
    date: datetime              # author date, with its time zone
    author: str
    email: str
    summary: str
    parent: str | None          # first parent, None for a root commit


class BookRepo:
    """A repository and the book's path inside its work tree."""

    def __init__(self, repo, root: Path, rel: str) -> None:
        self.repo = repo
        self.root = root
        self.rel = rel          # posix path of the book relative to root

    def blob(self, rev: str) -> bytes | None:
        """The book as committed in `rev`, or None if it does not exist there."""
        commit = resolve_commit(self.repo, rev)
        return blob_at(commit, self.rel)

    def commits(self) -> list[CommitInfo]:
        return commits_touching(self.repo, self.rel)


def _git():
    try:
        import git
    except ImportError:  # pragma: no cover - gitpython is a dependency
        raise TaskbookError("GitPython is not installed: pip install gitpython") from None
    return git


def open_repo(path: Path):
    """The repository holding `path` (a file or directory), or None."""
    git = _git()
    p = Path(path).expanduser().resolve()
    start = p if p.is_dir() else p.parent
    while not start.exists():
        start = start.parent
    try:
        return git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    except git.GitError as e:
        raise TaskbookError(f"cannot open the git repository of {path}: {e}") from None


def book_repo(book: Path) -> BookRepo:
    """The repository of a book; UsageError if the book is not in one."""
    repo = open_repo(book)
    if repo is None or repo.working_tree_dir is None:
        raise UsageError(f"{book} is not inside a git repository",
                         hint="diff, history and the merge driver need the book under git")
    root = Path(repo.working_tree_dir).resolve()
    full = Path(book).expanduser().resolve()
    try:
        rel = full.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{book} is outside the work tree of {root}") from None
    return BookRepo(repo, root, rel)


def head(path: Path) -> Head | None:
    """Short HEAD commit and branch of the repository holding `path`;
    None outside a repository or before the first commit."""
    repo = open_repo(path)
    if repo is None:
        return None
    git = _git()
    try:
        short = repo.git.rev_parse("--short", "HEAD")
    except git.GitCommandError:
        return None  # no commit yet
    try:
        branch = repo.active_branch.name
    except TypeError:  # detached HEAD
        branch = None
    return Head(short, branch)


def resolve_commit(repo, rev: str):
    git = _git()
    try:
        return repo.commit(rev)
    except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
        if not repo.head.is_valid():
            raise UsageError("the repository has no commits yet") from None
        raise UsageError(f"unknown revision {rev!r}",
                         hint="give a commit, branch or tag, e.g. HEAD~1") from None


def blob_at(commit, rel: str) -> bytes | None:
    """The bytes of `rel` in `commit`, or None when the file is not there."""
    try:
        obj = commit.tree / rel
    except KeyError:
        return None
    if obj.type != "blob":
        return None
    return obj.data_stream.read()


def commits_touching(repo, rel: str) -> list[CommitInfo]:
    """The non-merge commits that changed `rel`, newest first.

    Merge commits are left out: what a merge brings in is already recorded by
    the commits of the merged branch.
    """
    return [info for info, _ in _touching(repo, rel)]


def _touching(repo, rel: str):
    git = _git()
    try:
        width = len(repo.git.rev_parse("--short", "HEAD"))
        commits = list(repo.iter_commits("HEAD", paths=rel, no_merges=True))
    except (ValueError, git.GitCommandError):
        return []  # no commits yet
    out = []
    for c in commits:
        summary = c.summary
        if isinstance(summary, bytes):
            summary = summary.decode("utf-8", "replace")
        out.append((CommitInfo(
            sha=c.hexsha, short=c.hexsha[:width], date=c.authored_datetime,
            author=c.author.name or "", email=c.author.email or "", summary=summary,
            parent=c.parents[0].hexsha if c.parents else None), c))
    return out


def versions(br: BookRepo):
    """(commit, the book before it, the book after it) for each commit that
    touched the book, newest first; None where the file did not exist."""
    for info, c in _touching(br.repo, br.rel):
        before = blob_at(c.parents[0], br.rel) if c.parents else None
        yield info, before, blob_at(c, br.rel)


# ------------------------------------------------------------ merge driver

def driver_command() -> str:
    """The command git runs to merge a book: this interpreter's taskbook, so
    that it works even when the venv is not on git's PATH."""
    return (f"{shlex.quote(sys.executable)} -m taskbook merge-driver "
            "--marker-size %L %O %A %B %P")


def register_merge_driver(book: Path) -> list[dict]:
    """Set `merge.taskbook.*` in .git/config and `<book> merge=taskbook` in
    .gitattributes; idempotent.  Returns what was done, as `init` reports it."""
    br = book_repo(book)
    git = _git()
    actions = []
    config_path = str(Path(br.repo.git_dir) / "config")
    changed = []
    for key, value in (("name", DRIVER_NAME), ("driver", driver_command())):
        full = f"merge.{DRIVER}.{key}"
        try:
            current = br.repo.git.config("--get", full)
        except git.GitCommandError:
            current = None
        if current != value:
            try:
                br.repo.git.config(full, value)
            except git.GitCommandError as e:
                raise TaskbookError(f"cannot set {full}: {e.stderr.strip() or e}") from None
            changed.append(key)
    actions.append({"path": config_path,
                    "action": f"set merge.{DRIVER}" if changed else "kept"})
    attrs = br.root / ".gitattributes"
    try:
        effective = br.repo.git.check_attr("merge", "--", br.rel)
    except git.GitCommandError:
        effective = ""
    if effective.rsplit(": ", 1)[-1].strip() == DRIVER:
        actions.append({"path": str(attrs), "action": "kept"})
        return actions
    from .store import atomic_write
    existing = attrs.read_bytes() if attrs.exists() else b""
    sep = b"" if not existing or existing.endswith(b"\n") else b"\n"
    line = f"{attr_pattern(br.rel)} merge={DRIVER}\n"
    atomic_write(attrs, existing + sep + line.encode("utf-8"))
    actions.append({"path": str(attrs), "action": f"added {line.strip()}"})
    return actions


def attr_pattern(rel: str) -> str:
    """A .gitattributes pattern naming exactly this file (anchored; quoted in
    C style when the name has spaces or quotes)."""
    pattern = "/" + re.sub(r"([*?\[\\])", r"\\\1", rel)
    if any(c in pattern for c in ' \t"'):
        pattern = '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return pattern
