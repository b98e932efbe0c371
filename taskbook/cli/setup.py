"""Project set-up: `init` and `config`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import export
from ..config import (
    CONFIG_DIR,
    CONFIG_FILE,
    DEFAULTS,
    Config,
    check_key,
    find_root,
    parse_value,
)
from ..errors import UsageError
from ..store import atomic_write
from ..templates import read_template
from .output import emit_json, info

config_app = typer.Typer(help="Read or change settings in .taskbook/config.yaml (comments are kept).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.add_typer(config_app, name="config")


def _git_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


def init_cmd(
    ctx: typer.Context,
    lang: str = typer.Option("zh", "--lang", "-l", help="Language of the new book: zh or en."),
    dialect: str = typer.Option("review-tree", "--dialect", "-d",
                                help="Dialect of the new book: review-tree or checklist."),
    book: Optional[str] = typer.Option(None, "--book-name", metavar="FILE",
                                       help="File name of the book (default TASKBOOK.md)."),
    git_merge: bool = typer.Option(False, "--git-merge",
                                   help="Register taskbook's merge driver for the book "
                                        "(.git/config and .gitattributes)."),
    as_json: bool = typer.Option(False, "--json", help="Print what was created as JSON."),
    agents: bool = typer.Option(False, "--agents",
                                help="Write the agent workflow into AGENTS.md (a marked block)."),
    claude: bool = typer.Option(False, "--claude", help="Also into CLAUDE.md (implies --agents)."),
    cursor: bool = typer.Option(False, "--cursor", help="Also into .cursorrules (implies --agents)."),
) -> None:
    """Set up taskbook here: .taskbook/config.yaml, a new book, compilelog in .gitignore.

    Safe to run again: it only adds what is missing and never overwrites a book.
    With --agents it also writes the workflow for coding agents, in the book's
    language, between <!-- taskbook:begin --> and <!-- taskbook:end --> in
    AGENTS.md (and CLAUDE.md, .cursorrules): running it again updates that
    block in place and leaves the rest of the file as it was.
    """
    if git_merge and _git_root(Path.cwd()) is None:
        raise UsageError("--git-merge: this directory is not inside a git repository")
    if lang not in ("zh", "en"):
        raise UsageError(f"--lang takes zh or en, not {lang!r}")
    if dialect not in ("review-tree", "checklist"):
        raise UsageError(f"--dialect takes review-tree or checklist, not {dialect!r}")
    root = Path.cwd()
    actions: list[dict] = []
    cdir = root / CONFIG_DIR
    cfile = cdir / CONFIG_FILE
    cdir.mkdir(exist_ok=True)
    if cfile.exists():
        config = Config.load(root)
        actions.append({"path": str(cfile), "action": "kept"})
    else:
        config = Config(root)
        from ..config import _yaml
        yaml = _yaml()
        config = Config(root, yaml.load(read_template("config.yaml")), yaml)
        if book:
            config.set("book", book)
        config.set("dialect", dialect)
        config.set("language", lang)
        config.save()
        actions.append({"path": str(cfile), "action": "created"})
    book_path = root / (book or str(config.get("book")))
    if book_path.exists():
        actions.append({"path": str(book_path), "action": "kept"})
    else:
        lang_ = lang if str(config.get("language")) in ("auto", lang) else str(config.get("language"))
        dia = dialect if str(config.get("dialect")) in ("auto", dialect) else str(config.get("dialect"))
        text = read_template(f"book.{lang_}.{dia}.md")
        book_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(book_path, text.encode("utf-8"))
        actions.append({"path": str(book_path), "action": "created"})
    git = _git_root(root)
    if git is not None:
        ignore = root / ".gitignore"
        entry = str(config.get("build.log")) or "compilelog"
        existing = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
        lines = [ln.strip() for ln in existing.splitlines()]
        if entry in lines or f"/{entry}" in lines:
            actions.append({"path": str(ignore), "action": "kept"})
        else:
            sep = "" if not existing or existing.endswith("\n") else "\n"
            atomic_write(ignore, (existing + sep + entry + "\n").encode("utf-8"))
            actions.append({"path": str(ignore), "action": f"added {entry}"})
    if git_merge:
        from ..gitctx import register_merge_driver
        actions.extend(register_merge_driver(book_path))
    if agents or claude or cursor:
        names = [k for k, on in (("agents", True), ("claude", claude), ("cursor", cursor)) if on]
        language = _book_language(book_path, config, lang)
        try:
            shown = book_path.relative_to(root).as_posix()
        except ValueError:  # --book-name outside the project
            shown = str(book_path)
        actions.extend(_write_agent_files(root, names, language, shown))
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION, "root": str(root), "actions": actions})
        return
    for a in actions:
        info(f"{a['action']:>10}  {a['path']}")


def _book_language(book_path: Path, config: Config, lang: str) -> str:
    """The book's own language when it has tasks, else the configured one."""
    from ..errors import TaskbookError
    from ..store import load
    try:
        book = load(book_path).book
    except TaskbookError:
        book = None
    if book is not None and any(True for _ in book.all_tasks()):
        return book.language
    configured = str(config.get("language"))
    if configured in ("zh", "en"):
        return configured
    return book.language if book is not None else lang


def _write_agent_files(root: Path, names: list[str], language: str, book_name: str) -> list[dict]:
    """Write the block into each file; check every file before writing any."""
    from ..agents import FILES, render_block, upsert
    block = render_block(language, book_name)
    plans = []
    for name in names:
        path = root / FILES[name]
        try:
            old = path.read_bytes() if path.exists() else None
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror}") from None
        new, what = upsert(old or b"", block, FILES[name])
        plans.append((path, old, new, "created" if old is None else
                      {"added": "added block", "updated": "updated block"}.get(what, "kept")))
    for path, old, new, _ in plans:
        if new != old:
            atomic_write(path, new)
    return [{"path": str(path), "action": what} for path, _, _, what in plans]


@config_app.command("get")
def config_get(
    key: str = typer.Argument(..., help="Setting name, e.g. log.timestamp."),
    as_json: bool = typer.Option(False, "--json", help="Print {key, value, default, set} as JSON."),
) -> None:
    """Print one setting (its default when the file does not set it)."""
    check_key(key)
    config = Config.load(find_root())
    value = config.get(key)
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION, "key": key, "value": value,
                   "default": DEFAULTS[key][0],
                   "set": config.is_set(key)})
        return
    print(_show(value))


@config_app.command("set")
def config_set(
    key: str = typer.Argument(..., help="Setting name, e.g. log.timestamp."),
    value: str = typer.Argument(..., help="New value."),
) -> None:
    """Change one setting, keeping the file's comments and key order."""
    check_key(key)
    root = find_root()
    if root is None:
        raise UsageError("no .taskbook/ directory here or above: run `taskbook init` first")
    config = Config.load(root)
    config.set(key, parse_value(key, value))
    config.save()
    info(f"{key} = {_show(config.get(key))}")


@config_app.command("list")
def config_list(
    as_json: bool = typer.Option(False, "--json", help="Print all settings as JSON."),
) -> None:
    """Print every setting with its value and meaning."""
    config = Config.load(find_root())
    rows = [{"key": k, "value": config.get(k), "default": d, "set": config.is_set(k), "help": h}
            for k, (d, h) in DEFAULTS.items()]
    if as_json:
        emit_json({"schema_version": export.SCHEMA_VERSION,
                   "path": str(config.path) if config.path else None, "settings": rows})
        return
    for r in rows:
        mark = "" if r["set"] else "  (default)"
        print(f"{r['key']} = {_show(r['value'])}{mark}    # {r['help']}")


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
