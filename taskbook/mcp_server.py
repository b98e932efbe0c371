"""`taskbook mcp`: the book's verbs as Model Context Protocol tools over stdio.

An agent whose client speaks MCP gets the same operations as from the shell,
through the same code (`taskbook.actions`, `taskbook.export`): the same
minimal diffs in the book's own dialect, the same JSON as `--json`, and the
same rules (submit needs a plan, done needs finished sub-problems).  Approving
or rejecting a plan is the human's decision, so no tool does either, and no
tool takes `force`: those are for a person at the command line.

Every tool answers with the JSON of the matching `--json` command (text and
structured content); a refusal is an error result holding `{"error": {...}}`.
The `mcp` package is imported only here, only when the server starts.
"""

import json
from typing import Any, Callable

from . import __version__, actions, export
from .errors import TaskbookError
from .parse import decode
from .query import next_task, parse_statuses, resolve, select
from .store import load, read_bytes

BOOK_URI = "taskbook://book"

INSTRUCTIONS = """\
This server edits the project's task book (a markdown file) in its own style.
Workflow: call `next` (or `list`/`show`) before every change; add a task with
`add` (a problem met along the way: `add` with `under`); write the plan with
`plan`; ask for review with `submit`, then STOP and wait for the human to approve
(`show` reports status "approved"; "todo" with a note in the log means it was
sent back: revise the plan and submit again).  Never approve a plan yourself.
Once approved: `start`, record what you do with `log`, finish with `done`
(refused while sub-problems are open), or `block` with the reason.
"""


class MissingDependency(TaskbookError):
    code_default = "missing-dependency"


def _import_mcp():
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.types import CallToolResult, TextContent, ToolAnnotations
    except ImportError as e:
        if not (getattr(e, "name", None) or "mcp").startswith("mcp"):
            raise
        raise MissingDependency(
            "`taskbook mcp` needs the mcp package (version 2), which is not installed",
            hint="pip install 'taskbook[mcp]'") from None
    return MCPServer, CallToolResult, TextContent, ToolAnnotations


def build_server(target: actions.Target):
    """An MCPServer whose tools act on `target`'s book (re-read on every call)."""
    MCPServer, CallToolResult, TextContent, ToolAnnotations = _import_mcp()
    server = MCPServer(name="taskbook", instructions=INSTRUCTIONS, version=__version__,
                       log_level="WARNING")
    path = target.path

    def result(fn: Callable[[], dict]) -> Any:
        try:
            data = fn()
        except TaskbookError as e:
            hint = e.hint
            if isinstance(e, actions.NeedsForce):
                hint = "agents cannot override this rule; a person can, from the command line"
            data = export.error_json(e.message, e.code, hint, getattr(e, "candidates", None))
            return CallToolResult(content=[TextContent(type="text", text=_dump(data))],
                                  structured_content=data, is_error=True)
        return CallToolResult(content=[TextContent(type="text", text=_dump(data))],
                              structured_content=data)

    def edited(action: str, out: actions.Outcome) -> dict:
        return {"schema_version": export.SCHEMA_VERSION, "action": action,
                "task": export.task_json(out.task) if out.task else None}

    read = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    write = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

    @server.tool(name="list", annotations=read, description=(
        "The book's tasks as a tree with their addresses (ids): open tasks, or every task with "
        "all=true, or those with the given statuses (todo, planned, approved, working, blocked, "
        "done, dropped, unknown, open). Same JSON as `taskbook list --json`."))
    def list_tool(status: list[str] | None = None, all: bool = False) -> CallToolResult:
        def run() -> dict:
            loaded = load(target.path, target.order)
            nodes = select(loaded.book, parse_statuses(status), all)
            return export.list_json(loaded.book, str(loaded.path), nodes)
        return result(run)

    @server.tool(name="show", annotations=read, description=(
        "One task by id (or a unique part of its title): status, sections (analysis, plan, log), "
        "sub-problems and its markdown source. Same JSON as `taskbook show ID --json`."))
    def show_tool(id: str) -> CallToolResult:
        def run() -> dict:
            loaded = load(target.path, target.order)
            return export.show_json(loaded.book, str(loaded.path), resolve(loaded.book, id))
        return result(run)

    @server.tool(name="next", annotations=read, description=(
        "The task to work on now: a working task first, else the oldest unfinished one that is "
        "not blocked (descending into its first open sub-problem), with its plan and latest log "
        "entries. Call it before every change. Same JSON as `taskbook next --json`."))
    def next_tool(entries: int | None = None) -> CallToolResult:
        def run() -> dict:
            loaded = load(target.path, target.order)
            n = entries if entries is not None else int(target.config.get("next.log_entries"))
            return export.next_json(loaded.book, str(loaded.path), next_task(loaded.book), max(n, 0))
        return result(run)

    @server.tool(name="add", annotations=write, description=(
        "Add a task where the book's order puts it, in the book's own style; with `under`, a "
        "sub-problem of that task (problems met while working become sub-problems); `plan` "
        "adds plan steps at once; `group` names a heading (checklists)."))
    def add_tool(title: str, under: str | None = None, plan: list[str] | None = None,
                 group: str | None = None) -> CallToolResult:
        return result(lambda: edited("added", actions.add_task(
            target, title, under=under, group=group, plan=list(plan or []))))

    @server.tool(name="plan", annotations=write, description=(
        "Append numbered steps to the task's plan (修改计划 / Plan), creating it. Then ask for "
        "review with `submit`."))
    def plan_tool(id: str, steps: list[str]) -> CallToolResult:
        return result(lambda: edited("planned", actions.add_plan(target, id, list(steps))))

    @server.tool(name="log", annotations=write, description=(
        "Append an entry to the task's execution log (执行记录 / Log), with the date and time "
        "when the project's config says so: record what was done and found."))
    def log_tool(id: str, message: str) -> CallToolResult:
        return result(lambda: edited("logged", actions.add_log(target, id, message)))

    @server.tool(name="submit", annotations=write, description=(
        "Ask the human to review the task's plan (status planned). Refused without a plan. "
        "Then wait: only the human approves or rejects."))
    def submit_tool(id: str) -> CallToolResult:
        return result(lambda: edited("submitted", actions.submit(target, id)))

    def status_tool(name: str, doc: str, note_required: bool) -> None:
        past = actions.PAST[name]
        if note_required:
            def fn(id: str, note: str) -> CallToolResult:
                return result(lambda: edited(past, actions.status_verb(target, name, id, note=note)))
        else:
            def fn(id: str, note: str | None = None) -> CallToolResult:
                return result(lambda: edited(past, actions.status_verb(target, name, id, note=note)))
        server.tool(name=name, annotations=write, description=doc)(fn)

    status_tool("start", "Mark the task as being worked on (working), once its plan is approved; "
                "`note` also goes to the log.", False)
    status_tool("done", "Mark the task done; refused while it has unfinished sub-problems. "
                "`note` also goes to the log.", False)
    status_tool("block", "Mark the task blocked (`next` skips it); `note` says why and goes to "
                "the log.", True)

    @server.resource(BOOK_URI, name="book", mime_type="text/markdown",
                     description=f"The task book itself ({path.name}), as written.")
    def book_resource() -> str:
        return decode(read_bytes(path))[0]

    return server


def _dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


def serve(target: actions.Target) -> None:
    """Run the server on stdin/stdout until the client goes away."""
    server = build_server(target)
    server.run("stdio")

