"""`.taskbook/config.yaml`: found from the current directory upwards.

Read and written with ruamel.yaml in round-trip mode so that the user's
comments and key order survive `taskbook config set`.  ruamel.yaml costs
~40 ms to import, so it is loaded only when a config file must be parsed or
changed: commands that only read settings take them from taskbook's cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import UsageError

CONFIG_DIR = ".taskbook"
CONFIG_FILE = "config.yaml"
DEFAULT_BOOK = "TASKBOOK.md"

# Every key taskbook understands, with its default and a one-line meaning.
# `config get/set` refuse other keys, so a typo is an error, not a silent no-op.
DEFAULTS: dict[str, tuple[Any, str]] = {
    "book": (DEFAULT_BOOK, "the book file, relative to the project root"),
    "language": ("auto", "language of new labels: zh, en or auto (the book's own)"),
    "dialect": ("auto", "dialect for a new book: review-tree, checklist, or auto"),
    "order": ("auto", "where new tasks go: newest-first, oldest-first, or auto"),
    "log.timestamp": (True, "prefix log entries with the date and time"),
    "log.timestamp_format": ("%Y-%m-%d %H:%M", "strftime format of that prefix"),
    "log.commit": (False, "also prefix log entries with the short git commit and branch"),
    "done.commit": (False, "`done` records the current git commit in the log (as --commit)"),
    "next.log_entries": (3, "how many latest log entries `next` prints"),
    "build.command": ("", "default command of `taskbook build`"),
    "build.log": ("compilelog", "where `taskbook build` saves the build output"),
    "build.tasks": ("by-code", "by-code: each error a task, warnings under one task per kind "
                               "(tool and code or lint); one: a task per diagnostic; grouped: "
                               "one parent task per build"),
    "build.max_new_tasks": (200, "at most this many diagnostics become tasks per build "
                                 "(errors first; 0 = no limit)"),
    "build.close_resolved": (True, "mark a task done when a complete build no longer reports it"),
    "build.ignore": (["severity:note"], "diagnostics not made tasks: severity:, tool:, code:, regex: rules"),
    "build.patterns": ([], "your own diagnostic regexes with (?P<file>) (?P<line>) (?P<message>) groups"),
}


def git_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above `start` holding `.git` (a directory,
    or a file in worktrees and submodules).  A plain walk: GitPython costs
    ~100 ms to import, too much for every command."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return None


def find_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above `start` holding `.taskbook/`."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / CONFIG_DIR).is_dir():
            return d
    return None


class Config:
    """A config file: its settings as plain data for reading, and the ruamel
    round-trip document (comments and key order) once something is changed.

    ruamel.yaml costs ~40 ms to import and parse, more than a whole `list`,
    so reading uses the plain settings kept in taskbook's cache
    (`taskbook.cache`, keyed by the file's exact bytes) when they are there;
    the document is parsed only on a cache miss or to be edited.
    """

    def __init__(self, root: Path | None, data: Any = None, yaml: Any = None,
                 text: str | None = None) -> None:
        self.root = root
        self._data = data       # a ruamel document, or plain dicts from the cache
        self._yaml = yaml       # the YAML instance once `_data` is a document
        self._text = text       # the file's text, to make the document from

    @property
    def path(self) -> Path | None:
        return self.root / CONFIG_DIR / CONFIG_FILE if self.root else None

    @classmethod
    def load(cls, root: Path | None) -> "Config":
        if root is None:
            return cls(None)
        path = root / CONFIG_DIR / CONFIG_FILE
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return cls(root)
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
        from . import cache
        plain = cache.load_settings(path, raw)
        if plain is not None:
            return cls(root, plain, text=raw.decode("utf-8"))
        try:
            text = raw.decode("utf-8")
            yaml = _yaml()
            data = yaml.load(text)
        except Exception as e:  # ruamel raises many types; all mean "bad file"
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise UsageError(f"cannot read {path}: {first}") from None
        if data is not None and not hasattr(data, "get"):
            raise UsageError(f"{path}: expected a mapping of settings at the top level")
        cache.save_settings(path, raw, _plain(data))
        return cls(root, data, yaml)

    def _document(self) -> None:
        """Make `_data` the round-trip document, for changing and dumping."""
        if self._yaml is None and self._text is not None:
            self._yaml = _yaml()
            self._data = self._yaml.load(self._text)

    def get(self, key: str) -> Any:
        check_key(key)
        node = self._data
        for part in key.split("."):
            if node is None or not hasattr(node, "get") or part not in node:
                return DEFAULTS[key][0]
            node = node[part]
        return node

    def is_set(self, key: str) -> bool:
        node = self._data
        for part in key.split("."):
            if node is None or not hasattr(node, "get") or part not in node:
                return False
            node = node[part]
        return True

    def set(self, key: str, value: Any) -> None:
        check_key(key)
        self._document()
        if self._data is None:
            from ruamel.yaml.comments import CommentedMap
            self._data = CommentedMap()
            self._yaml = self._yaml or _yaml()
        node = self._data
        parts = key.split(".")
        for part in parts[:-1]:
            if part not in node or not hasattr(node[part], "get"):
                from ruamel.yaml.comments import CommentedMap
                node[part] = CommentedMap()
            node = node[part]
        node[parts[-1]] = value

    def dump(self) -> str:
        import io
        buf = io.StringIO()
        self._document()
        (self._yaml or _yaml()).dump(self._data, buf)
        return buf.getvalue()

    def save(self) -> None:
        if self.path is None:
            raise UsageError("no .taskbook/ directory here: run `taskbook init` first")
        from .store import atomic_write
        atomic_write(self.path, self.dump().encode("utf-8"))


def check_key(key: str) -> None:
    if key not in DEFAULTS:
        known = ", ".join(DEFAULTS)
        raise UsageError(f"unknown setting {key!r} (known: {known})")


def parse_value(key: str, raw: str) -> Any:
    """Turn the text of `config set KEY VALUE` into the setting's type."""
    default = DEFAULTS[key][0]
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise UsageError(f"{key} takes true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            value = int(raw)
        except ValueError:
            raise UsageError(f"{key} takes a whole number, not {raw!r}") from None
        if key.startswith("build."):
            check_build_value(key, value)
        return value
    choices = {
        "language": ("zh", "en", "auto"),
        "dialect": ("review-tree", "checklist", "auto"),
        "order": ("newest-first", "oldest-first", "auto"),
        "build.tasks": BUILD_MODES,
    }.get(key)
    if choices and raw not in choices:
        raise UsageError(f"{key} takes one of {', '.join(choices)}, not {raw!r}")
    if key.startswith("build."):
        check_build_value(key, raw)
    return raw


BUILD_MODES = ("by-code", "one", "grouped")


def check_build_value(key: str, value: Any) -> None:
    """Refuse a build.* value the next build could not use (UsageError)."""
    if key == "build.tasks" and value not in BUILD_MODES:
        raise UsageError(f"build.tasks takes one of {', '.join(BUILD_MODES)}, not {value!r}")
    if key == "build.max_new_tasks" and (isinstance(value, bool) or not isinstance(value, int)
                                         or value < 0):
        raise UsageError(f"build.max_new_tasks takes a whole number >= 0 (0: no limit), not {value!r}")
    if key == "build.log" and not str(value).strip():
        raise UsageError("build.log needs a file name")
    if key == "build.ignore":
        from .build.sync import Rules
        Rules(value)
    if key == "build.patterns":
        from .build.diagnostics import Pattern
        for p in ([value] if isinstance(value, (str, dict)) or hasattr(value, "keys") else value or []):
            try:
                Pattern(p)
            except ValueError as e:
                raise UsageError(f"build.patterns: {e}") from None


def build_settings(config: "Config") -> tuple[str, int]:
    """(build.tasks, build.max_new_tasks) from a config, checked (a hand-edited
    file can hold anything)."""
    mode, cap = config.get("build.tasks"), config.get("build.max_new_tasks")
    check_build_value("build.tasks", mode)
    check_build_value("build.max_new_tasks", cap)
    return str(mode), int(cap)


def _plain(node: Any) -> Any:
    """A ruamel document as plain dicts, lists and scalars (for the cache)."""
    from ruamel.yaml.scalarbool import ScalarBoolean  # an int subclass: test it first
    if hasattr(node, "items"):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(v) for v in node]
    if isinstance(node, ScalarBoolean):
        return bool(node)
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node if node is None else str(node)


def _yaml():
    from ruamel.yaml import YAML
    yaml = YAML()  # round-trip: keeps comments, order and quoting
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def resolve_book(book_option: str | None, start: Path | None = None) -> tuple[Path, Config]:
    """Which book to use: --book / TASKBOOK_BOOK, else config, else the default name."""
    root = find_root(start)
    config = Config.load(root) if root else Config(None)
    if book_option:
        return Path(book_option).expanduser(), config
    env = os.environ.get("TASKBOOK_BOOK")
    if env:
        return Path(env).expanduser(), config
    name = str(config.get("book"))
    base = root or (start or Path.cwd())
    if root is None and not (base / name).exists():
        # no .taskbook/ anywhere above: the book beside the code, at the top
        # of the git repository (a book in the current directory still wins)
        base = git_root(base) or base
    return base / name, config
