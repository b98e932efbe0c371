"""`taskbook build -- COMMAND` and `taskbook scan LOGFILE`.

`build` runs the command live (see `taskbook.build.runner`), saves the log,
reads the diagnostics while the output streams past, then updates the book
(`taskbook.build.sync`) and prints a short summary on stderr.  Its exit status
is the command's, so `taskbook build -- make && deploy` still works; a book
that cannot be updated is reported without hiding a failed build.

rich is imported only to print that summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .. import export
from ..errors import TaskbookError, UsageError
from .common import State
from .output import emit_json, report_error, safe


def register(app: typer.Typer) -> None:
    app.command("build", context_settings={"allow_interspersed_args": False,
                                           "ignore_unknown_options": True})(build_cmd)
    app.command("scan")(scan_cmd)


def build_cmd(
    ctx: typer.Context,
    command: Optional[List[str]] = typer.Argument(
        None, metavar="[--] COMMAND [ARGS]...",
        help="The build command (default: config build.command)."),
    log: Optional[Path] = typer.Option(None, "--log", "-l", metavar="PATH",
                                       help="Where to save the output (default: config build.log)."),
    no_sync: bool = typer.Option(False, "--no-sync", help="Do not update the book."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print a JSON summary on stdout (the build's output goes to stderr)."),
) -> int:
    """Run a build, show it live, save it to compilelog, and track its diagnostics as tasks.

    Each new warning or error becomes a task (titled like `error[E0382]: ...`);
    one already tracked is not added again, even when its line moved; one that
    a complete build no longer reports gets a log entry and is marked done
    (config build.close_resolved).  Interrupted or failed-early builds close
    nothing.  The exit status is the command's (128+N if signal N killed it).
    """
    from ..build.diagnostics import OFFLOAD_AFTER, Scan, completeness
    from ..build.runner import Runner
    st: State = ctx.obj
    cfg = st.config
    argv = list(command or [])
    if not argv:
        import shlex
        argv = shlex.split(str(cfg.get("build.command") or ""))
    if not argv:
        raise UsageError("no build command: give one after `--` (taskbook build -- cargo build) "
                         "or set one with `taskbook config set build.command 'cargo build'`")
    log_path = log if log is not None else (cfg.root or Path.cwd()) / str(cfg.get("build.log"))
    scan = Scan(Path.cwd(), _patterns(cfg), offload_after=OFFLOAD_AFTER)
    out = Runner(argv, log_path, on_lines=scan.feed_pieces, terminal_fd=2 if as_json else 1).run()
    collector = scan.close()
    if out.start_error:
        report_error(out.start_error, code="command", as_json=as_json)
        return out.status
    complete, why = completeness(out.status, out.interrupted is not None, out.signal is not None,
                                 collector)
    result, problem = None, None
    if not no_sync:
        result, problem = _sync(st, collector.diagnostics, out.command, complete, why, log_path)
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION, "command": out.command,
                   "exit_status": out.status, "signal": out.signal,
                   "interrupted": out.interrupted is not None, "complete": complete,
                   "reason": why, "log": str(log_path), "duration": round(out.duration, 3),
                   "counts": collector.counts(),
                   "diagnostics": [d.to_json() for d in collector.diagnostics],
                   "tasks": result.to_json() if result else None})
    else:
        _summary(out.status, collector, complete, why, result, log_path, st.path, problem)
    if problem is not None:
        report_error(problem.message, code=problem.code, as_json=as_json, hint=problem.hint)
        if out.status == 0:
            return problem.exit_code
    return out.status


def scan_cmd(
    ctx: typer.Context,
    logfile: Path = typer.Argument(..., metavar="LOGFILE", help="A saved build log (compilelog)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"diagnostics": [...]} on stdout.'),
    do_sync: bool = typer.Option(False, "--sync", help="Also update the book, as `build` does."),
) -> None:
    """List the diagnostics in a saved build log (any tool's output, or taskbook's own log)."""
    from ..build.diagnostics import completeness, scan_file
    st: State = ctx.obj
    if not logfile.is_file():
        raise UsageError(f"no log at {logfile}")
    collector, info = scan_file(logfile, patterns=_patterns(st.config))
    result, problem = None, None
    if do_sync:
        command = info.command or f"scan {logfile.name}"
        if info.finished:
            complete, why = completeness(info.exit_status, info.interrupted, False, collector)
        else:
            complete, why = False, "the log has no taskbook footer: how the run ended is unknown"
        result, problem = _sync(st, collector.diagnostics, command, complete, why, logfile)
    if as_json:
        doc: dict = {"diagnostics": [d.to_json() for d in collector.diagnostics]}
        if do_sync:
            doc["tasks"] = result.to_json() if result else None
        emit_json(doc)
    else:
        for d in collector.diagnostics:
            print(safe(f"{d.location()}: {d.title()}  ({d.tool}, fp:{d.fingerprint})"))
        if do_sync and result is not None:
            _summary(info.exit_status, collector, complete, why, result, logfile, st.path, None,
                     scan=True)
    if problem is not None:
        raise problem


def _patterns(cfg) -> list:
    from ..build.diagnostics import Pattern
    raw = cfg.get("build.patterns") or []
    if isinstance(raw, (str, dict)) or hasattr(raw, "keys"):
        raw = [raw]
    try:
        return [Pattern(p) for p in raw]
    except ValueError as e:
        raise UsageError(f"build.patterns: {e}") from None


def _sync(st: State, diagnostics, command: str, complete: bool, why: str, log: Path):
    """Update the book; (result, None) or (None, the error) -- never both lost."""
    from ..build.sync import Build, Rules, sync
    from ..config import build_settings
    cfg = st.config
    path = st.path
    if not path.exists():
        return None, UsageError(f"no book at {path}: tasks not updated",
                                hint="create one with `taskbook init`, or pass --no-sync")
    lang = str(cfg.get("language"))
    try:
        mode, max_new = build_settings(cfg)
        result = sync(path, diagnostics, Build(command, complete, why, log),
                      mode=mode, max_new=max_new,
                      close_resolved=bool(cfg.get("build.close_resolved")),
                      ignore=Rules(cfg.get("build.ignore")), order=st.order,
                      language=None if lang == "auto" else lang,
                      stamp_format=str(cfg.get("log.timestamp_format")))
    except TaskbookError as e:
        return None, e
    return result, None


def _summary(status, collector, complete: bool, why: str, result, log: Path, book: Path,
             problem, scan: bool = False) -> None:
    """The closing lines on stderr: counts, what changed in the book, where the log is."""
    from rich.console import Console
    from rich.text import Text
    con = Console(stderr=True, highlight=False, soft_wrap=True)
    counts = collector.counts()
    head = Text("scan: " if scan else "build: ", style="bold")
    if status is not None:
        head.append(f"exit {status}", style="green" if status == 0 else "red")
        head.append(" · ")
    parts = [(counts["error"], "error", "red"), (counts["warning"], "warning", "yellow"),
             (counts["note"], "note", "cyan")]
    for i, (n, word, style) in enumerate(parts):
        head.append(f"{n} {word}{'' if n == 1 else 's'}", style=style if n else "dim")
        head.append(", " if i < 2 else "")
    if collector.overflow:
        head.append(f" (+{collector.overflow} not kept)", style="red")
    head.append(" · ")
    head.append("complete" if complete else f"incomplete: {safe(why)}",
                style="green" if complete else "yellow")
    con.print(head)
    if result is not None:
        line = Text("tasks: ", style="bold")
        line.append(f"{len(result.created)} created, {len(result.resolved)} resolved")
        if result.reopened:
            line.append(f", {len(result.reopened)} reported again")
        if result.adopted:
            line.append(f", {len(result.adopted)} adopted")
        if result.ignored:
            line.append(f", {result.ignored} ignored", style="dim")
        line.append(f"  ({safe(str(book))})", style="dim")
        con.print(line)
        for d, tid in result.created[:20]:
            con.print(Text("  + ").append(tid, style="cyan").append(f" {safe(d.title())}"))
        if len(result.created) > 20:
            con.print(Text(f"  … and {len(result.created) - 20} more", style="dim"))
        for _fp, tid, title in result.resolved[:20]:
            con.print(Text("  ✓ ", style="green").append(tid, style="cyan").append(f" {safe(title)}"))
    elif problem is None and not scan:
        con.print(Text("tasks: not updated (--no-sync)", style="dim"))
    con.print(Text("log: ", style="bold").append(safe(str(log))))
