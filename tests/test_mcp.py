"""`taskbook mcp` driven by the real MCP client (mcp.client.stdio) over stdio.

The server is the real program, `python -m taskbook --book COPY mcp`, on a
temp copy of seed 000; after every tool call the book on disk is read and the
diff checked: each change is written in the book's own dialect (`- 任务：…`,
`修改计划`, `执行记录`, `（planned）`), touches only its own lines, and no
tool can approve or reject a plan.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from cli_helpers import (
    REPO_ROOT, SEEDS_DIR, assert_round_trip, base_env, copy_seed, inserted_lines, lines_of,
    replaced_lines, run_json, show,
)
from schema_helpers import validate

mcp = pytest.importorskip("mcp", reason="the mcp package is not installed: pip install -e '.[test]'")
from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"no test data in {SEEDS_DIR}")

TOOLS = {"list", "show", "next", "add", "plan", "log", "submit", "start", "done", "block"}
OLDEST_OPEN_000 = "修复 unique_id 移动问题"      # the last task of the book: next takes it
TIMEOUT = 120


def server(*args: str, cwd: Path, **env: str) -> StdioServerParameters:
    """`python -m taskbook ARGS mcp` in `cwd` (a temp dir: no .taskbook/ above it)."""
    return StdioServerParameters(command=sys.executable, args=["-m", "taskbook", *args, "mcp"],
                                 env=base_env(**env), cwd=str(cwd))


def session_run(params: StdioServerParameters, body) -> None:
    """Run `await body(session)` in a fresh, initialised client session."""
    async def main() -> None:
        with anyio.fail_after(TIMEOUT):
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    await body(session)
    anyio.run(main)


def payload(result, *, error: bool = False) -> dict:
    """The JSON a tool answered, checked to agree between text and structure."""
    assert result.is_error is error, result.content
    data = json.loads(result.content[0].text)
    assert result.structured_content == data
    return data


def test_session_next_add_plan_log_submit_on_seed_000(tmp_path):
    book = copy_seed("000", tmp_path)
    state = {"old": book.read_bytes()}

    def changed() -> tuple[bytes, bytes]:
        old, new = state["old"], book.read_bytes()
        state["old"] = new
        assert_round_trip(new)
        return old, new

    async def body(s: ClientSession) -> None:
        tools = (await s.list_tools()).tools
        names = {t.name for t in tools}
        assert names == TOOLS
        assert not any(re.search(r"approv|reject", t.name, re.I) for t in tools)
        assert all(t.description for t in tools)

        nxt = payload(await s.call_tool("next", {}))
        validate(nxt, "next")
        assert nxt["task"]["title"] == OLDEST_OPEN_000
        assert nxt["reason"] == "oldest-unfinished"
        assert book.read_bytes() == state["old"]

        added = payload(await s.call_tool("add", {"title": "MCP 加的任务"}))
        validate(added, "edit")
        tid = added["task"]["id"]
        old, new = changed()
        assert [t for _, t in inserted_lines(old, new) if t.strip()] == ["- 任务：MCP 加的任务"]
        lines = lines_of(new)
        assert lines.index("- context提示") < lines.index("- 任务：MCP 加的任务") \
            < lines.index("- 任务：罗列compilelog中各种未使用问题(error, import类的 warning 不看)，并逐个解决")

        planned = payload(await s.call_tool("plan", {"id": tid, "steps": ["看错误定义", "加 context 字段"]}))
        validate(planned, "edit")
        assert [e["text"] for e in planned["task"]["sections"][0]["entries"]] == ["看错误定义", "加 context 字段"]
        old, new = changed()
        assert [t for _, t in inserted_lines(old, new)] == [
            "  - 修改计划：", "      1. 看错误定义", "      2. 加 context 字段"]

        logged = payload(await s.call_tool("log", {"id": tid, "message": "开始查看 error.rs"}))
        validate(logged, "edit")
        old, new = changed()
        added_lines = [t for _, t in inserted_lines(old, new)]
        assert added_lines[0] == "  - 执行记录："
        assert re.fullmatch(r"      - \d{4}-\d\d-\d\d \d\d:\d\d 开始查看 error\.rs", added_lines[1])
        assert len(added_lines) == 2

        submitted = payload(await s.call_tool("submit", {"id": tid}))
        validate(submitted, "edit")
        assert submitted["action"] == "submitted" and submitted["task"]["status"] == "planned"
        old, new = changed()
        assert [(a, b) for _, a, b in replaced_lines(old, new)] == [
            ("- 任务：MCP 加的任务", "- （planned）任务：MCP 加的任务")]

        # the review is the human's: there is no tool for it
        refused = await s.call_tool("approve", {"id": tid})
        assert refused.is_error
        assert book.read_bytes() == state["old"]

        # the book as a resource: exactly the file
        resources = (await s.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["taskbook://book"]
        text = (await s.read_resource("taskbook://book")).contents[0].text
        assert text.encode("utf-8") == book.read_bytes()

    session_run(server("--book", str(book), cwd=tmp_path), body)
    assert show(book, "MCP 加的任务")["status"] == "planned"


def test_status_tools_and_refusals(tmp_path):
    book = copy_seed("000", tmp_path)
    parent = "InvalidDataType 不附带一些context以便debug吗？"

    async def body(s: ClientSession) -> None:
        tid = payload(await s.call_tool("show", {"id": parent}))["task"]["id"]
        # submit needs a plan; the refusal is an error result with {"error": ...}
        err = payload(await s.call_tool("submit", {"id": tid}), error=True)
        validate(err, "error")
        assert "no plan" in err["error"]["message"] and "--force" not in err["error"].get("hint", "")
        sub = payload(await s.call_tool("add", {"title": "context 字段的类型", "under": tid}))
        assert sub["task"]["parent"] == tid and sub["task"]["depth"] == 1
        # done waits for the sub-problem
        err = payload(await s.call_tool("done", {"id": tid}), error=True)
        assert "unfinished sub-problem" in err["error"]["message"]
        started = payload(await s.call_tool("start", {"id": sub["task"]["id"]}))
        assert started["action"] == "started" and started["task"]["status"] == "working"
        blocked = payload(await s.call_tool("block", {"id": sub["task"]["id"], "note": "等接口定下来"}))
        assert blocked["task"]["status"] == "blocked"
        assert blocked["task"]["sections"][-1]["entries"][-1]["text"].endswith("blocked: 等接口定下来")
        payload(await s.call_tool("done", {"id": sub["task"]["id"]}))
        done = payload(await s.call_tool("done", {"id": tid}))
        assert done["task"]["status"] == "done"
        # unknown and ambiguous addresses
        err = payload(await s.call_tool("show", {"id": "zzzzz"}), error=True)
        assert err["error"]["code"] == "unknown-address"
        err = payload(await s.call_tool("show", {"id": "error["}), error=True)
        validate(err, "error")
        assert err["error"]["code"] == "ambiguous-address" and len(err["error"]["candidates"]) > 1
        listing = payload(await s.call_tool("list", {"status": ["blocked", "done"]}))
        validate(listing, "list")

    session_run(server("--book", str(book), cwd=tmp_path), body)
    lines = lines_of(book.read_bytes())
    assert "- （done）任务：" + parent in lines
    assert "  - （done）子问题1：context 字段的类型" in lines or any(
        ln.strip().startswith("- （done）") and "context 字段的类型" in ln for ln in lines)
    assert run_json("--book", book, "show", parent)["task"]["status"] == "done"


def test_book_from_environment_and_config(tmp_path):
    env_book = tmp_path / "from-env.md"
    env_book.write_text("# Plan\n\n- [ ] the book from TASKBOOK_BOOK\n", encoding="utf-8")
    project = tmp_path / "project"
    (project / ".taskbook").mkdir(parents=True)
    # an English config: labels for new books only; seed 000 stays Chinese
    (project / ".taskbook" / "config.yaml").write_text(
        "book: notes/review.txt\nlanguage: en\n", encoding="utf-8")
    (project / "notes").mkdir()
    configured = copy_seed("000", project / "notes", "review.txt")
    seen = []

    async def listing(s: ClientSession) -> None:
        out = payload(await s.call_tool("list", {}))
        seen.append((out["book"], out["tasks"][0]["title"]))

    async def plan_first(s: ClientSession) -> None:
        await listing(s)
        payload(await s.call_tool("plan", {"id": "InvalidDataType", "steps": ["先看日志"]}))

    session_run(server(cwd=tmp_path, TASKBOOK_BOOK=str(env_book)), listing)
    old = configured.read_bytes()
    session_run(server(cwd=project), plan_first)
    assert seen[0] == (str(env_book), "the book from TASKBOOK_BOOK")
    assert Path(seen[1][0]).resolve() == configured.resolve()
    assert seen[1][1].startswith("罗列compilelog")
    # a new plan section, labelled the way the book labels them (full-width colon)
    added = [t for _, t in inserted_lines(old, configured.read_bytes())]
    assert added == ["  - 修改计划：", "      1. 先看日志"]


def test_without_the_mcp_package_one_line_error():
    """As if mcp were not installed: Python's own way (None in sys.modules
    makes `import mcp` raise ImportError), in a real separate process."""
    code = ("import sys; sys.modules['mcp'] = None\n"
            "from taskbook.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    r = subprocess.run([sys.executable, "-c", code, "--book", "x.md", "mcp"], env=base_env(),
                       capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1
    assert "mcp package" in lines[0] and "pip install 'taskbook[mcp]'" in lines[0]
    r = subprocess.run([sys.executable, "-c", code, "mcp", "--json"], env=base_env(),
                       capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert r.returncode == 2  # --json is not an option of mcp: a usage error, as JSON
    assert json.loads(r.stderr)["error"]["code"] == "usage"
