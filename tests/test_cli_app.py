"""The lazily built Typer app: each command is found in the module the table names."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import typer
from typer.main import get_command

from taskbook.cli.app import make_app
from taskbook.cli.commands import MODULES, command_name

from cli_helpers import REPO_ROOT, base_env


def _registered(module: str) -> list[str]:
    app = typer.Typer()
    importlib.import_module(f"taskbook.cli.{module}").register(app)
    names = [c.name for c in app.registered_commands]
    names += [g.name for g in app.registered_groups]
    return names


def test_the_table_names_every_command_of_every_module():
    for module, commands in MODULES.items():
        assert sorted(_registered(module)) == sorted(commands), module


def test_the_full_app_has_every_command_once():
    group = get_command(make_app())
    every = [c for cmds in MODULES.values() for c in cmds]
    assert sorted(group.commands) == sorted(every)
    assert len(every) == len(set(every))


def test_a_command_builds_only_itself():
    group = get_command(make_app(["--book", "x.md", "show", "abc"]))
    assert sorted(group.commands) == ["show"]
    group = get_command(make_app(["config", "get", "book"]))
    assert sorted(group.commands) == ["config"]


def test_command_name_skips_global_options():
    assert command_name(["list"]) == "list"
    assert command_name(["--book", "b.md", "done", "x"]) == "done"
    assert command_name(["-b", "b.md", "add", "t"]) == "add"
    assert command_name(["--book=b.md", "next"]) == "next"
    assert command_name(["-bb.md", "stats"]) == "stats"
    # help, version, unknown commands and typos get the whole app
    assert command_name(["--help"]) is None
    assert command_name(["--version"]) is None
    assert command_name(["lst"]) is None
    assert command_name([]) is None


def test_a_typo_is_still_offered_the_right_command():
    r = subprocess.run([sys.executable, "-m", "taskbook", "lsit"], cwd=REPO_ROOT,
                       env=base_env(), capture_output=True, text=True)
    assert r.returncode == 2
    assert "Did you mean 'list'" in r.stderr


def test_root_help_lists_every_command_in_table_order():
    r = subprocess.run([sys.executable, "-m", "taskbook", "--help"], cwd=REPO_ROOT,
                       env=base_env(), capture_output=True, text=True)
    assert r.returncode == 0
    shown = [ln.split()[0] for ln in r.stdout.split("Commands:")[1].splitlines() if ln.strip()]
    # Typer lists plain commands first, then groups (`config`)
    hidden, groups = {"merge-driver"}, ["config"]
    commands = [c for cmds in MODULES.values() for c in cmds if c not in hidden and c not in groups]
    assert shown == commands + groups


def test_only_main_decides_the_gc_policy():
    """Library code never switches the cyclic GC (it would switch it for a
    whole board or MCP process): only the CLI's `main` does, for one-shot
    commands."""
    import re
    package = Path(__file__).resolve().parent.parent / "taskbook"
    users = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                   if re.search(r"^\s*(import gc|from gc import)", p.read_text(encoding="utf-8"), re.M))
    assert users == ["cli/__init__.py"]


def test_a_parse_runs_with_the_gc_as_the_caller_left_it():
    import gc
    from taskbook.parse import parse
    seen = []

    def watch(phase, info):
        seen.append(gc.isenabled())
    assert gc.isenabled()
    gc.callbacks.append(watch)
    try:
        parse(("".join(f"- [ ] task {k}\n  - Plan:\n    1. step\n" for k in range(3000))).encode())
    finally:
        gc.callbacks.remove(watch)
    assert seen and gc.isenabled()   # collections ran during the parse: it was on
