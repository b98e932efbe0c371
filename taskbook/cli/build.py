"""`taskbook build -- COMMAND` and `taskbook scan LOGFILE`.

`build` runs the command live (see `taskbook.build.runner`), saves the log,
reads the diagnostics while the output streams past, then updates the book
(`taskbook.build.sync`) and prints a short summary on stderr.  Its exit status
is the command's, so `taskbook build -- make && deploy` still works; a book
that cannot be updated is reported without hiding a failed build.

A build pays for what it uses, once per run: typer is imported only to build
the click commands (`register`), and a plain `taskbook [--book B] build
[--log L] [--no-sync] [--json] [--] COMMAND` line is read by `fast_build`
without it (~50 ms less before the build starts); anything else (`--help`,
an option it does not know) goes through typer as usual.  The summary is
written without rich (~25 ms of imports).

(No `from __future__ import annotations` here: typer reads the annotations
of the functions `register` defines, and `typer` is a local name there.)
"""

import sys
from pathlib import Path

from .. import export
from ..errors import TaskbookError, UsageError
from .common import State
from .output import emit_json, info, report_error, safe

BUILD_HELP = """Run a build, show it live, save it to compilelog, and track its diagnostics as tasks.

    Each new error becomes a task (titled like `error[E0382]: ...`), each new
    warning a sub-task of the task of its kind (config build.tasks); one
    already tracked is not added again, even when its line moved; one that a
    complete build no longer reports gets a log entry and is marked done
    (config build.close_resolved).  Interrupted or failed-early builds close
    nothing.  A log another build is writing is left alone: this build writes
    compilelog.2 and says so.  The exit status is the command's (128+N if
    signal N killed it).
    """


def register(app) -> None:
    import typer

    def build_cmd(
        ctx: typer.Context,
        command: list[str] | None = typer.Argument(
            None, metavar="[--] COMMAND [ARGS]...",
            help="The build command (default: config build.command)."),
        log: Path | None = typer.Option(None, "--log", "-l", metavar="PATH",
                                           help="Where to save the output (default: config build.log)."),
        no_sync: bool = typer.Option(False, "--no-sync",
                                     help="Only run and log: do not read diagnostics or update the book."),
        as_json: bool = typer.Option(False, "--json",
                                     help="Print a JSON summary on stdout (the build's output goes to stderr)."),
    ) -> int:
        return run_build(ctx.obj, command, log, no_sync, as_json)

    def scan_cmd(
        ctx: typer.Context,
        logfile: Path = typer.Argument(..., metavar="LOGFILE", help="A saved build log (compilelog)."),
        as_json: bool = typer.Option(False, "--json", help='Print {"diagnostics": [...]} on stdout.'),
        do_sync: bool = typer.Option(False, "--sync", help="Also update the book, as `build` does."),
    ) -> None:
        """List the diagnostics in a saved build log (any tool's output, or taskbook's own log)."""
        run_scan(ctx.obj, logfile, as_json, do_sync)

    build_cmd.__doc__ = BUILD_HELP
    app.command("build", context_settings={"allow_interspersed_args": False,
                                           "ignore_unknown_options": True})(build_cmd)
    app.command("scan")(scan_cmd)


def fast_build(args: list[str]) -> "int | None":
    """Run `taskbook [--book B] build [--log L] [--no-sync] [--json] [--] COMMAND...`
    without typer; None for any other line (typer then reads it, with its
    help and its errors).  Options end, as in typer, at the first argument
    that is not one of them."""
    book: str | None = None
    i = 0
    while i < len(args) and args[i] != "build":
        a = args[i]
        if a in ("--book", "-b") and i + 1 < len(args):
            book, i = args[i + 1], i + 2
        elif a.startswith("--book="):
            book, i = a[len("--book="):], i + 1
        else:
            return None
    if i == len(args):
        return None
    i += 1
    log: Path | None = None
    no_sync = as_json = False
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if a in ("--log", "-l") and i + 1 < len(args):
            log, i = Path(args[i + 1]), i + 2
        elif a.startswith("--log="):
            log, i = Path(a[len("--log="):]), i + 1
        elif a == "--no-sync":
            no_sync, i = True, i + 1
        elif a == "--json":
            as_json, i = True, i + 1
        elif a.startswith("-"):
            return None           # --help, or anything typer should judge
        else:
            break
    return run_build(State(book), args[i:] or None, log, no_sync, as_json)


def run_build(st: State, command: "list[str] | None", log: "Path | None", no_sync: bool,
              as_json: bool) -> int:
    """`taskbook build`, whichever way its command line was read."""
    from ..build.runner import Runner, claim_log
    cfg = st.config
    argv = list(command or [])
    if not argv:
        import shlex
        argv = shlex.split(str(cfg.get("build.command") or ""))
    if not argv:
        raise UsageError("no build command: give one after `--` (taskbook build -- cargo build) "
                         "or set one with `taskbook config set build.command 'cargo build'`")
    log_path = log if log is not None else (cfg.root or Path.cwd()) / str(cfg.get("build.log"))
    scan = None
    if not no_sync or as_json:   # --no-sync alone copies and logs, nothing more
        from ..build.diagnostics import Scan
        scan = Scan(Path.cwd(), _patterns(cfg))
    # the log stays ours until the book is updated (sync reads it back)
    with claim_log(log_path) as claim:
        if claim.busy:
            info(f"taskbook: {claim.wanted} is being written by another build; "
                 f"this build's log: {claim.path}")
        out = Runner(argv, claim.path, log=claim, on_lines=scan.feed_pieces if scan else None,
                     terminal_fd=2 if as_json else 1).run()
        collector = scan.close() if scan is not None else None
        if out.start_error:
            report_error(out.start_error, code="command", as_json=as_json)
            return out.status
        complete, why = False, "diagnostics not read (--no-sync)"
        if collector is not None:
            from ..build.diagnostics import completeness
            complete, why = completeness(out.status, out.interrupted is not None,
                                         out.signal is not None, collector)
        result, problem = None, None
        if not no_sync:
            result, problem = _sync(st, collector.diagnostics, out.command, complete, why, claim.path)
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION, "command": out.command,
                   "exit_status": out.status, "signal": out.signal,
                   "interrupted": out.interrupted is not None, "complete": complete,
                   "reason": why, "log": str(claim.path), "duration": round(out.duration, 3),
                   "counts": collector.counts(),
                   "diagnostics": [d.to_json() for d in collector.diagnostics],
                   "tasks": result.to_json() if result else None})
    else:
        _summary(out.status, collector, complete, why, result, claim.path, st.path, problem)
    if problem is not None:
        report_error(problem.message, code=problem.code, as_json=as_json, hint=problem.hint)
        if out.status == 0:
            return problem.exit_code
    return out.status


def run_scan(st: State, logfile: Path, as_json: bool, do_sync: bool) -> None:
    """`taskbook scan`: the diagnostics of a saved log, and with --sync the book updated."""
    from ..build.diagnostics import completeness, scan_file
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
    try:
        mode, max_new = build_settings(cfg)
        result = sync(st, diagnostics, Build(command, complete, why, log),
                      mode=mode, max_new=max_new,
                      close_resolved=bool(cfg.get("build.close_resolved")),
                      ignore=Rules(cfg.get("build.ignore")))
    except TaskbookError as e:
        return None, e
    return result, None


def _summary(status, collector, complete: bool, why: str, result, log: Path, book: Path,
             problem, scan: bool = False) -> None:
    """The closing lines on stderr: counts, what changed in the book, where the log is.
    Plain styled lines (cli.term), not rich: a build should not pay ~25 ms to import it."""
    from .term import Writer
    w = Writer(sys.stderr)
    head = [("scan: " if scan else "build: ", "bold")]
    if status is not None:
        head += [(f"exit {status}", "green" if status == 0 else "red"), (" · ", None)]
    if collector is None:
        head.append((safe(why), "dim"))
    else:
        counts = collector.counts()
        parts = [(counts["error"], "error", "red"), (counts["warning"], "warning", "yellow"),
                 (counts["note"], "note", "cyan")]
        for i, (n, word, style) in enumerate(parts):
            head.append((f"{n} {word}{'' if n == 1 else 's'}", style if n else "dim"))
            head.append((", " if i < 2 else "", None))
        if collector.overflow:
            head.append((f" (+{collector.overflow} not kept)", "red"))
        head.append((" · ", None))
        head.append(("complete" if complete else f"incomplete: {safe(why)}",
                     "green" if complete else "yellow"))
    w.line(head, crop=False)
    if result is not None:
        line = [("tasks: ", "bold"), (f"{len(result.created)} created", None)]
        if result.groups:
            line.append((f" ({len(result.groups)} new group{'' if len(result.groups) == 1 else 's'})",
                         None))
        line.append((f", {len(result.resolved)} resolved", None))
        if result.reopened:
            line.append((f", {len(result.reopened)} reported again", None))
        if result.adopted:
            line.append((f", {len(result.adopted)} adopted", None))
        if result.ignored:
            line.append((f", {result.ignored} ignored", "dim"))
        if result.left_out:
            line.append((f", {result.left_out} left out", "yellow"))
        line.append((f"  ({safe(str(book))})", "dim"))
        w.line(line, crop=False)
        for d, tid in result.created[:20]:
            w.line([("  + ", None), (tid, "cyan"), (f" {safe(d.title())}", None)])
        if len(result.created) > 20:
            w.line([(f"  … and {len(result.created) - 20} more", "dim")])
        for _fp, tid, title in result.resolved[:20]:
            w.line([("  ✓ ", "green"), (tid, "cyan"), (f" {safe(title)}", None)])
        if len(result.resolved) > 20:
            w.line([(f"  … and {len(result.resolved) - 20} more", "dim")])
        if result.left_out:
            w.line([(f"  {result.left_out} diagnostic(s) left out: {result.left_out_reason}",
                     "yellow")], crop=False)
    elif problem is None and not scan:
        w.line([("tasks: not updated (--no-sync)", "dim")])
    w.line([("log: ", "bold"), (safe(str(log)), None)], crop=False)
    w.flush()
