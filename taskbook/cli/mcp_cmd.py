"""`taskbook mcp`: serve the book to MCP clients (see taskbook.mcp_server)."""

from __future__ import annotations

import typer

from .common import State


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp_cmd)


def mcp_cmd(ctx: typer.Context) -> None:
    """Serve the book over stdio as a Model Context Protocol server.

    Tools: list, show, next, add, plan, log, submit, start, done, block; the
    book itself is the resource taskbook://book.  There is no approve or
    reject tool: reviewing a plan is the human's decision.  Needs the mcp
    package: pip install 'taskbook[mcp]'.  Which book: --book, TASKBOOK_BOOK
    or the project's config, as for every command.
    """
    from ..mcp_server import serve
    st: State = ctx.obj
    serve(st)
