"""The `taskbook` command line (Typer).  Entry point: `main()`."""

from __future__ import annotations

import gc
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes a one-line message and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    want_json = "--json" in args
    from .commands import one_shot
    gc_off = one_shot(args) and gc.isenabled()
    if gc_off:
        # The one GC policy of taskbook (library code never touches the GC):
        # a read or edit command runs once and exits, and everything it
        # builds lives to the end, so the cyclic GC would only walk the
        # book's tens of thousands of objects again and again (~30% of a
        # parse of a 10,000-task book).  A build or scan is one-shot too:
        # its diagnostics and tasks live to the end.  Long-running commands
        # (board, mcp) keep the interpreter's default.
        gc.disable()
    try:
        return _main(args, want_json)
    finally:
        if gc_off:
            gc.enable()


def _main(args: list[str], want_json: bool) -> int:
    from .commands import command_name
    from ..errors import TaskbookError
    from .output import ExitCode, report_error
    try:
        if command_name(args) == "build":   # a build's start-up is part of its overhead
            from .build import fast_build
            rv = fast_build(args)
            if rv is not None:
                return rv
        from typer.main import get_command
        cx = _click_exceptions()

        from .app import make_app
        command = get_command(make_app(args))
        try:
            rv = command.main(args=args, prog_name="taskbook", standalone_mode=False)
        except cx.UsageError as e:  # also BadParameter, NoSuchOption ...
            msg = e.format_message()
            if type(e).__name__ == "NoArgsIsHelpError":  # `taskbook`, `taskbook config`
                print(msg, file=sys.stderr)  # the help, as click shows it
                return ExitCode.USAGE
            if e.ctx is not None and not want_json:
                print(e.ctx.get_usage(), file=sys.stderr)
            report_error(msg, code="usage", as_json=want_json,
                         hint=f"see `{e.ctx.command_path if e.ctx else 'taskbook'} --help`")
            return ExitCode.USAGE
        except cx.Exit as e:
            return e.exit_code
        except cx.Abort:
            print("aborted", file=sys.stderr)
            return ExitCode.INTERRUPTED
        except cx.ClickException as e:
            report_error(e.format_message(), code="error", as_json=want_json)
            return e.exit_code
        if isinstance(rv, int):
            return rv
        return ExitCode.OK
    except TaskbookError as e:
        report_error(e.message, code=e.code, as_json=want_json, hint=e.hint,
                     candidates=getattr(e, "candidates", None))
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`taskbook list | head`): not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return ExitCode.OK
    except Exception as e:  # pragma: no cover - a bug; still no traceback
        if os.environ.get("TASKBOOK_DEBUG"):
            raise
        report_error(f"internal error: {type(e).__name__}: {e}", code="internal",
                     as_json=want_json,
                     hint="set TASKBOOK_DEBUG=1 to see the traceback, and please report it")
        return ExitCode.FAILURE


def _click_exceptions():
    """Click's exception classes, wherever this typer takes click from.

    typer >= 0.28 vendors click privately (its exceptions are not
    `click.exceptions`), older typer uses click itself; catching the wrong
    module's classes turned every usage error into an "internal error" with
    exit status 1.  Both are reached from typer's public `BadParameter`,
    whose bases are click's UsageError and ClickException, so no private
    module is imported.
    """
    import types

    import typer
    bases = {c.__name__: c for c in typer.BadParameter.__mro__}
    return types.SimpleNamespace(UsageError=bases["UsageError"],
                                 ClickException=bases["ClickException"],
                                 Exit=typer.Exit, Abort=typer.Abort)


def run() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())
