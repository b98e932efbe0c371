"""Git commands: diff, history and the merge driver.

GitPython, rich and the diff machinery are imported inside the commands, so
registering them costs the other commands nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from .common import State, complete_address
from .output import ExitCode, emit_json, info, safe

if TYPE_CHECKING:
    from ..gitctx import BookRepo, CommitInfo
    from ..treediff import TaskDiff

JSON_HELP = "Print JSON (schema in README) instead of text."
WORKING = "working file"


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_cmd)
    app.command("history")(history_cmd)
    app.command("merge-driver", hidden=True)(merge_driver_cmd)


# ------------------------------------------------------------------ diff

def diff_cmd(
    ctx: typer.Context,
    rev: Optional[str] = typer.Argument(None, metavar="[REV]",
                                        help="The version to compare from (default HEAD)."),
    rev2: Optional[str] = typer.Argument(None, metavar="[REV2]",
                                         help="The version to compare to (default: the working file)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """What changed in the task tree between two versions of the book.

    Tasks added and removed, status changes, new plan steps and log entries,
    retitled tasks, by address: a review of the work, not a line diff.
    Default: HEAD against the working file; one REV: REV against the working file.
    """
    from .. import export, gitctx
    from ..store import read_bytes
    from ..treediff import diff_books
    st: State = ctx.obj
    br = gitctx.book_repo(st.path)
    old_rev = rev or "HEAD"
    old_commit = gitctx.resolve_commit(br.repo, old_rev)
    old = gitctx.blob_at(old_commit, br.rel)
    if rev2 is None:
        new_commit, new = None, read_bytes(st.path)
    else:
        new_commit = gitctx.resolve_commit(br.repo, rev2)
        new = gitctx.blob_at(new_commit, br.rel)
        if new is None:
            raise _missing(br.rel, rev2)
    if old is None:
        info(f"{br.rel} does not exist in {old_rev}: every task is new")
    old_book, new_book = _book(st, old or b"", old_rev), _book(st, new, rev2 or WORKING)
    d = diff_books(old_book, new_book)
    ends = ({"rev": old_rev, "commit": old_commit.hexsha},
            {"rev": rev2, "commit": new_commit.hexsha if new_commit else None})
    if as_json:
        out = export.book_meta(new_book, str(st.path))
        out.update({"from": ends[0], "to": ends[1], "counts": d.counts(),
                    "other_text_changed": d.other_text_changed,
                    "tasks": [t.to_json() for t in d.tasks]})
        emit_json(out)
        return
    _print_diff(d, f"{old_rev} ({old_commit.hexsha[:7]})",
                f"{rev2} ({new_commit.hexsha[:7]})" if new_commit else WORKING, br.rel)


def _missing(rel: str, rev: str):
    from ..errors import UsageError
    return UsageError(f"{rel} does not exist in {rev}")


def _book(st: State, data: bytes, where: str):
    from ..errors import BookFormatError
    from ..parse import parse
    from ..store import set_order
    try:
        book = parse(data)
    except BookFormatError as e:
        raise BookFormatError(f"the book in {where}: {e.message}", code=e.code) from None
    set_order(book, st.order)
    return book


def describe(d: TaskDiff) -> list[str]:
    """The detail lines of one task's change, for people."""
    out = []
    if d.change == "retitled":
        out.append(f"was {d.old_id}: {d.old_title}")
    if d.old_status is not None:
        out.append(f"status: {d.old_status} → {d.status}")
    if d.moved:
        out.append(f"moved: was under {d.old_parent or 'the top level'}")
    for kind in d.sections_added:
        if kind not in d.entries_added:
            out.append(f"+ section {kind}")
    for kind, items in d.entries_added.items():
        out.extend(f"+ {kind}: {x}" for x in items)
    for kind, items in d.entries_removed.items():
        out.extend(f"- {kind}: {x}" for x in items)
    for kind in d.sections_removed:
        if kind not in d.entries_removed:
            out.append(f"- section {kind}")
    out.extend(f"section {kind} edited" for kind in d.sections_changed)
    if d.text_changed:
        out.append("text edited")
    return out


STYLE = {"added": "green", "removed": "red", "changed": "yellow", "retitled": "cyan"}


def _console():
    from rich.console import Console
    return Console(highlight=False, soft_wrap=True, emoji=False)


def _print_diff(d: TaskDiff, old_label: str, new_label: str, rel: str) -> None:
    from rich.text import Text
    con = _console()
    con.print(Text(f"{safe(rel)}: {safe(old_label)} → {safe(new_label)}", style="bold"))
    for t in d.tasks:
        con.print(Text.assemble((f"{t.change:<9}", STYLE[t.change]), (f"{t.id}", "bold"),
                                f"  [{t.status}] {safe(t.title)}"))
        if t.change != "removed":
            for line in describe(t):
                con.print(Text(f"{'':<11}{safe(line)}"))
    if d.other_text_changed:
        con.print(Text("text outside the tasks changed (preamble, notes or headings)", style="dim"))
    c = d.counts()
    parts = [f"{c[k]} {k}" for k in ("added", "removed", "retitled", "changed") if c[k]]
    for key, one, many in (("status", "status change", "status changes"),
                           ("plan_steps", "plan step", "plan steps"),
                           ("log_entries", "log entry", "log entries")):
        if c[key]:
            parts.append(f"{c[key]} {one if c[key] == 1 else many}")
    con.print(Text(", ".join(parts) if parts else "no task changed", style="bold"))


# --------------------------------------------------------------- history

def history_cmd(
    ctx: typer.Context,
    address: str = typer.Argument(..., metavar="ADDRESS", autocompletion=complete_address,
                                  help="Task address from `taskbook list`, or a unique part of its title."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """A task's status changes, plan steps and log entries over the commits
    that touched the book (newest first), with commit, date and author.

    The task is followed by address; a retitle is followed when taskbook
    recognises it (same place, same content), otherwise the history starts
    at the commit that gave the task its present title.
    """
    from .. import export, gitctx
    from ..errors import AddressError
    from ..history import follow
    from ..query import resolve
    from ..store import read_bytes
    st: State = ctx.obj
    br = gitctx.book_repo(st.path)
    working = read_bytes(st.path) if st.path.exists() else None
    steps = _steps(st, br, working)
    newest = steps[0][2] if steps else _book(st, working or b"", WORKING)
    try:
        task = resolve(newest, address)
        task_id, title = task.id, task.title
    except AddressError:
        # a task that no longer exists: its exact address in an older version
        q = address.strip().lstrip("#").lower()
        old = next((b.by_id[q] for _, a, n in steps for b in (n, a) if q in b.by_id), None)
        if old is None:
            raise
        task_id, title = old.id, old.title
    events, origin = follow(steps, task_id)
    if as_json:
        out = export.book_meta(newest, str(st.path))
        out.update({"id": task_id, "title": title, "origin": origin,
                    "history": [{"commit": _commit_json(c), "change": d.to_json()}
                                for c, d in events]})
        emit_json(out)
        return
    _print_history(task_id, title, events, origin, br.rel)


def _steps(st: State, br: BookRepo, working: bytes | None) -> list:
    """(commit info or None for the working file, older book, newer book),
    newest first; each distinct text parsed once."""
    from .. import gitctx
    cache: dict[bytes, object] = {}

    def book(data: bytes | None, where: str):
        data = data or b""
        if data not in cache:
            if len(cache) > 8:  # consecutive steps share versions; keep a few
                cache.clear()
            cache[data] = _book(st, data, where)
        return cache[data]

    steps = []
    try:
        head = gitctx.blob_at(br.repo.head.commit, br.rel)
    except ValueError:  # no commit yet
        head = None
    if working is not None and working != head:
        steps.append((None, book(head, "HEAD"), book(working, WORKING)))
    for c, before, after in gitctx.versions(br):
        steps.append((c, book(before, c.short + "^"), book(after, c.short)))
    return steps


def _commit_json(c: CommitInfo | None) -> dict | None:
    if c is None:
        return None
    return {"sha": c.sha, "short": c.short, "date": c.date.isoformat(), "author": c.author,
            "email": c.email, "summary": c.summary}


def _print_history(task_id: str, title: str, events: list, origin: str, rel: str) -> None:
    from rich.text import Text
    con = _console()
    con.print(Text.assemble(("history of ", "bold"), (task_id, "bold"), f"  {safe(title)}  ({safe(rel)})"))
    if not events:
        con.print(Text("no change to this task in the book's history", style="dim"))
    for c, d in events:
        if c is None:
            con.print(Text(WORKING, style="yellow"))
        else:
            con.print(Text.assemble((c.short, "yellow"), f"  {c.date:%Y-%m-%d %H:%M %z}  ",
                                    (safe(c.author), "bold"), f"  {safe(c.summary)}"))
        lines = describe(d)
        if d.change == "added":
            lines = [f"added: {d.id} [{d.status}] {d.title}"] + lines
        elif d.change == "removed":
            lines = [f"removed: {d.id} [{d.status}] {d.title}"]
        for line in lines:
            con.print(Text(f"    {safe(line)}"))
    if origin == "unknown":
        con.print(Text("(the task is older than the history git has of this book)", style="dim"))


# ---------------------------------------------------------- merge driver

def merge_driver_cmd(
    base: Path = typer.Argument(..., help="%O: the common ancestor's version."),
    ours: Path = typer.Argument(..., help="%A: our version; the result is written here."),
    theirs: Path = typer.Argument(..., help="%B: their version."),
    path: Optional[str] = typer.Argument(None, help="%P: the book's path, for messages."),
    marker_size: int = typer.Option(7, "--marker-size", help="%L: conflict marker length."),
) -> None:
    """git merge driver for books: merges task by task (see `init --git-merge`).

    Exit 0 when merged cleanly; 1 with conflict markers around each task both
    sides changed incompatibly.  What cannot be merged task by task is merged
    line by line by `git merge-file`.
    """
    from .. import bookmerge
    from ..errors import BookFormatError
    from ..store import atomic_write, read_bytes
    name = path or str(ours)
    b, o, t = read_bytes(base), read_bytes(ours), read_bytes(theirs)
    try:
        result = bookmerge.merge(b, o, t, marker_size=marker_size)
        data, conflicts = result.data, result.conflicts
    except Exception as e:  # not task by task, not a text, or a bug: never lose the merge
        why = (e.message if isinstance(e, BookFormatError) else str(e)
               if isinstance(e, bookmerge.Unsafe) else f"internal error: {type(e).__name__}: {e}")
        info(f"taskbook merge-driver: {name}: {why}; merging line by line")
        data, conflicts = _line_merge(base, ours, theirs, marker_size)
    else:
        if conflicts:
            # task by task is the stricter view (a task split in two by one
            # side and edited by the other); when the lines do not overlap,
            # git's own line merge is no worse than merging without a driver
            lines, line_conflicts = _line_merge(base, ours, theirs, marker_size)
            if line_conflicts == 0:
                info(f"taskbook merge-driver: {name}: tasks conflict but lines do not; "
                     "merged line by line")
                data, conflicts = lines, 0
    atomic_write(ours, data)
    if conflicts:
        info(f"taskbook merge-driver: {name}: {conflicts} conflict(s) left with markers")
        raise typer.Exit(ExitCode.FAILURE)


def _line_merge(base: Path, ours: Path, theirs: Path, marker_size: int) -> tuple[bytes, int]:
    """`git merge-file` on the three files; (result, number of conflicts)."""
    from ..errors import TaskbookError
    cmd = ["git", "merge-file", "-p", f"--marker-size={marker_size}",
           "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base), str(theirs)]
    try:
        import subprocess
        r = subprocess.run(cmd, capture_output=True)
    except OSError as e:
        raise TaskbookError(f"cannot run git merge-file: {e.strerror}") from None
    if r.returncode < 0 or r.returncode > 127:
        err = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TaskbookError(f"git merge-file failed: {err[0] if err else r.returncode}")
    return r.stdout, r.returncode
