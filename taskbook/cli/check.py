"""`taskbook check`: lint the book for CI and pre-commit (exit 1 on findings)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .. import export
from ..store import load
from .common import State
from .output import ExitCode, emit_json, info, safe


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)


def check_cmd(
    ctx: typer.Context,
    books: Optional[List[str]] = typer.Argument(
        None, metavar="[BOOK]...", help="Books to check (default: the project's book)."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON (docs/json.md)."),
) -> None:
    """Find lines that look like tasks but cannot be read, done tasks with open
    sub-problems, working or approved tasks without a plan, and duplicate titles.

    Prints `BOOK:LINE: KIND: message` per finding.  Exit status: 0 clean,
    1 something was found, 2 a book is missing or unreadable.
    """
    st: State = ctx.obj
    paths = [Path(b) for b in books] if books else [st.path]
    order = st.order if not books else None
    results = []
    for p in paths:
        loaded = load(p, order)  # a missing or binary book: exit 2, before any output
        from ..check import check_book
        results.append((str(p), check_book(loaded.book)))
    found = [(p, f) for p, fs in results for f in fs]
    if as_json:
        from ..check import KINDS
        counts = {k: 0 for k in KINDS}
        for _, f in found:
            counts[f.kind] += 1
        emit_json({"schema_version": export.SCHEMA_VERSION, "books": [p for p, _ in results],
                   "findings": [{"book": p, **f.to_json()} for p, f in found],
                   "counts": counts})
    else:
        for p, f in found:
            print(safe(f"{p}:{f.line}: {f.kind}: {f.message}"))
        if found:
            info(f"{len(found)} finding(s) in {len(results)} book(s)")
        else:
            info("no problems found in " + ", ".join(p for p, _ in results))
    if found:
        raise typer.Exit(ExitCode.FAILURE)
