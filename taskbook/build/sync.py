"""Diagnostics become tasks in the book; the book itself remembers them.

Each diagnostic taskbook tracks is a task titled the way seed 000 titles them
(`error[E0382]: use of moved value: \\`unique_id\\``), with a log entry saying
where and when it was seen and by which command, ending in a tag such as
`[fp:3f2a9c1d]`.  Later builds find their tasks by that tag in the book: no
state file beside it, and a task moved, retitled or re-indented by hand is
still found.  All writes go through `edit` and `store.transact`: atomic,
locked, a minimal diff, in the book's own dialect and language.

A run changes a task only when something happened to it:

* new diagnostic: a new task (top-level, or under one parent task per build
  with config `build.tasks: grouped`), unless an ignore rule matches it; an
  open task with exactly its title but no tag is adopted instead of doubled;
* tracked and reported again: nothing, wherever its line moved;
* a task noted as gone, reported again: a log entry (reopened if it was done);
* tracked, not reported, and the run was **complete**: a log entry ending in
  `[fp:... gone]`, and done when `build.close_resolved` is true.

Which runs may close: see `diagnostics.completeness()`.  Only tasks first reported by the
same command are closed by it (a `cargo build` run proves nothing about
`cargo clippy` lints or `pytest` failures), and a diagnostic in a C, C++ or
Java file is closed only if the run's command line or output names that file:
make, ninja and maven do not recompile unchanged files, so a warning in one of
them is absent without being fixed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

from .. import edit as ed
from ..actions import Rules as EditRules
from ..actions import Target
from ..errors import UsageError
from ..model import Book, Status, Task
from ..store import Loaded, transact
from ..style import Style
from .diagnostics import Diagnostic

FP_TAG = re.compile(r"\[fp:([0-9a-f]{8})( gone)?\]")
_COMMAND = re.compile(r"`([^`]+)`")
_WHERE = re.compile(r"(\S+) \[fp:")
RECOMPILED_PER_FILE = {".c", ".h", ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++",
                       ".m", ".mm", ".java"}
MAX_TITLE = 200

ENTRY = {
    "en": {"seen": "seen in `{cmd}` at {where} [fp:{fp}]",
           "again": "reported again by `{cmd}` at {where} [fp:{fp}]",
           "gone": "no longer reported by a complete `{cmd}` run [fp:{fp} gone]",
           "parent": "Build `{cmd}` {when}: {n} new diagnostic(s)",
           "parent_done": "all diagnostics of this build resolved"},
    "zh": {"seen": "`{cmd}` 报告于 {where} [fp:{fp}]",
           "again": "`{cmd}` 再次报告于 {where} [fp:{fp}]",
           "gone": "完整的 `{cmd}` 构建不再报告此问题 [fp:{fp} gone]",
           "parent": "构建 `{cmd}` {when} 发现的问题（{n} 个）",
           "parent_done": "此次构建的问题均已解决"},
}


class Build:
    """What sync needs to know about the run that produced the diagnostics."""

    def __init__(self, command: str, complete: bool, reason: str = "",
                 log: Path | None = None) -> None:
        self.command = command.replace("`", "'")
        self.complete = complete
        self.reason = reason
        self.log = log


class Rules:
    """Ignore rules (config `build.ignore`): which diagnostics never become tasks.

    A rule is `severity:note`, `tool:pytest`, `code:E0432`, `regex:^warning:
    unused import` (a bare string is a regex), or a mapping of those keys,
    all of which must match.  Regexes are searched in the task title.
    """

    KEYS = ("severity", "tool", "code", "regex")

    def __init__(self, specs: Iterable | str | None) -> None:
        if specs is None:
            specs = []
        elif isinstance(specs, (str, dict)) or hasattr(specs, "keys"):
            specs = [specs]
        self.rules: list[dict] = [self._rule(s) for s in specs]

    def _rule(self, spec) -> dict:
        if hasattr(spec, "keys"):
            raw = {str(k): str(v) for k, v in spec.items()}
        else:
            key, sep, value = str(spec).partition(":")
            raw = {key.strip(): value.strip()} if sep and key.strip() in self.KEYS else {"regex": str(spec)}
        unknown = set(raw) - set(self.KEYS)
        if unknown or not raw:
            raise UsageError(f"build.ignore rule {spec!r}: use severity, tool, code or regex")
        if "regex" in raw:
            try:
                raw["regex"] = re.compile(raw["regex"])
            except re.error as e:
                raise UsageError(f"build.ignore rule {spec!r}: bad regex: {e}") from None
        return raw

    def ignores(self, d: Diagnostic) -> bool:
        for r in self.rules:
            if "severity" in r and r["severity"] != d.severity:
                continue
            if "tool" in r and r["tool"] != d.tool:
                continue
            if "code" in r and r["code"] != (d.code or ""):
                continue
            if "regex" in r and not r["regex"].search(d.title()):
                continue
            return True
        return False


class Tracked:
    """A task carrying a fingerprint tag, as the book says it stands."""

    __slots__ = ("task", "fp", "gone", "command", "file")

    def __init__(self, task: Task, fp: str) -> None:
        self.task = task
        self.fp = fp
        self.gone = False
        self.command: str | None = None
        self.file: str | None = None


def find_tracked(book: Book) -> dict[str, Tracked]:
    """fingerprint -> its task, from the `[fp:...]` tags of the log entries."""
    out: dict[str, Tracked] = {}
    for task in book.all_tasks():
        sec = task.section("log")
        if sec is None:
            continue
        for e in sec.entries:
            m = FP_TAG.search(e.text)
            if m is None:
                continue
            fp = m.group(1)
            tr = out.get(fp)
            if tr is None:
                tr = out[fp] = Tracked(task, fp)
            elif tr.task is not task:
                continue  # the first task with a tag keeps it
            tr.gone = m.group(2) is not None
            if tr.command is None:
                c = _COMMAND.search(e.text)
                tr.command = c.group(1) if c else None
                w = _WHERE.search(e.text)
                if w and w.group(1) != "-":
                    tr.file = w.group(1).rsplit(":", 2)[0] if ":" in w.group(1) else w.group(1)
    return out


class Result:
    """What a sync did (for the summary and --json)."""

    def __init__(self) -> None:
        self.created: list[tuple[Diagnostic, str]] = []     # (diagnostic, task id)
        self.adopted: list[tuple[Diagnostic, str]] = []
        self.resolved: list[tuple[str, str, str]] = []      # (fp, task id, title)
        self.reopened: list[tuple[str, str, str]] = []
        self.ignored = 0
        self.tracked = 0
        self.written = False

    def to_json(self) -> dict:
        return {"created": [{"id": i, "title": d.title(), "fingerprint": d.fingerprint}
                            for d, i in self.created],
                "adopted": [{"id": i, "title": d.title(), "fingerprint": d.fingerprint}
                            for d, i in self.adopted],
                "resolved": [{"id": i, "title": t, "fingerprint": fp} for fp, i, t in self.resolved],
                "reopened": [{"id": i, "title": t, "fingerprint": fp} for fp, i, t in self.reopened],
                "ignored": self.ignored, "tracked": self.tracked, "written": self.written}


class Syncer:
    """One sync: the edits, applied one after another to the parsed book."""

    def __init__(self, target: Target, diagnostics: list[Diagnostic], build: Build, *,
                 grouped: bool = False, close_resolved: bool = True,
                 rules: Rules | None = None) -> None:
        self.target = target
        self.diagnostics = diagnostics
        self.build = build
        self.grouped = grouped
        self.close_resolved = close_resolved
        self.rules = rules or Rules(None)
        self.result = Result()

    # the transaction body: may run again if the book changed meanwhile
    def __call__(self, loaded: Loaded) -> bytes | None:
        self.result = res = Result()
        self.book = book = loaded.book
        # the config's rules, as for every edit (`actions.Rules`): order,
        # language and dialect of new lines, the prefix of log entries
        self.edit_rules = EditRules(self.target)
        self.lang = self.edit_rules.style(book).language
        self.words = ENTRY["zh" if self.lang == "zh" else "en"]
        self.when = ed.timestamp(str(self.target.config.get("log.timestamp_format")))
        self.changed = False
        tracked = find_tracked(book)
        res.tracked = len(tracked)
        seen = {d.fingerprint: d for d in self.diagnostics}
        for fp, tr in tracked.items():
            if fp in seen and tr.gone and tr.task.status is not Status.DROPPED:
                self._again(fp, seen[fp], tr.task.status is Status.DONE)
        new = []
        for d in self.diagnostics:
            if d.fingerprint in tracked:
                continue
            if self.rules.ignores(d):
                res.ignored += 1
                continue
            new.append(d)
        self._add(new)
        if self.build.complete:
            self._resolve(tracked, seen)
        return self.book.render() if self.changed else None

    # ------------------------------------------------------------ steps

    def _entry(self, kind: str, fp: str, d: Diagnostic | None = None) -> str:
        where = (d.location() if d.file else "-") if d is not None else ""
        return self.words[kind].format(cmd=self.build.command, where=where, fp=fp)

    def _style(self) -> Style:
        return Style(self.book, self.lang)

    def _tracked_task(self, fp: str) -> Task:
        tr = find_tracked(self.book).get(fp)
        if tr is None:
            raise ed.EditError(f"the task of [fp:{fp}] was lost while editing; the book is unchanged")
        return tr.task

    def _log(self, fp: str, text: str) -> Task:
        """Append an entry to the task tagged `fp`."""
        task = self._tracked_task(fp)
        return self._log_on(task, text, fp)

    def _log_on(self, task: Task, text: str, fp: str) -> Task:
        before = len(find_tracked(self.book))
        change = ed.add_log(self.book, task, text, stamp=self.edit_rules.stamp(),
                            style=self._style())

        def check(b: Book) -> str | None:
            if fp not in find_tracked(b) or len(find_tracked(b)) < before:
                return "the log entry did not land on its task"
            return None
        self._apply(change, check)
        return self._tracked_task(fp)

    def _apply(self, change: ed.Change, check: ed.Check) -> None:
        self.book = ed.apply(change, check, self.edit_rules.order)
        self.changed = True

    def _again(self, fp: str, d: Diagnostic, reopen: bool) -> None:
        task = self._log(fp, self._entry("again", fp, d))
        if reopen:
            self._set_status(fp, task, Status.TODO)
        self.result.reopened.append((fp, self._tracked_task(fp).id, task.title))

    def _set_status(self, fp: str, task: Task, status: Status) -> None:
        change = ed.set_status(self.book, task, status, self._style())

        def check(b: Book) -> str | None:
            t = find_tracked(b).get(fp)
            return None if t is not None and t.task.status is status else "the status did not change"
        self._apply(change, check)

    def _add(self, new: list[Diagnostic]) -> None:
        if not new:
            return
        parent_key: tuple[int, str] | None = None
        for d in new:
            title = _title(d)
            adopt = self._open_untagged(title)
            if adopt is not None:
                self._log_on(adopt, self._entry("seen", d.fingerprint, d), d.fingerprint)
                self.result.adopted.append((d, self._tracked_task(d.fingerprint).id))
                continue
            under = None
            if self.grouped:
                if parent_key is None:
                    parent_key = self._add_parent(len(new))
                under = self._find_parent(parent_key)
            task = self._add_task(title, under)
            task = self._log_on(task, self._entry("seen", d.fingerprint, d), d.fingerprint)
            self.result.created.append((d, task.id))

    def _open_untagged(self, title: str) -> Task | None:
        tagged = {id(t.task) for t in find_tracked(self.book).values()}
        for t in self.book.all_tasks():
            if t.title == title and t.status.is_open and id(t) not in tagged:
                return t
        return None

    def _add_task(self, title: str, under: Task | None) -> Task:
        before = sum(1 for _ in self.book.all_tasks())
        change = ed.add_task(self.book, title, under=under, style=self._style(),
                             dialect=self.edit_rules.dialect(self.book))
        span = change.inserted
        found: list[Task] = []

        def check(b: Book) -> str | None:
            if sum(1 for _ in b.all_tasks()) != before + 1:
                return "the number of tasks did not grow by one"
            hit = [t for t in b.all_tasks() if span[0] <= t.line < span[1]]
            if not hit:
                return "the new task is not where it was written"
            found.append(hit[0])
            return None
        self._apply(change, check)
        return found[-1]

    def _add_parent(self, n: int) -> tuple[int, str]:
        title = self.words["parent"].format(cmd=self.build.command, when=self.when, n=n)
        task = self._add_task(title, None)
        return task.line, task.title

    def _find_parent(self, key: tuple[int, str]) -> Task:
        line, title = key
        best = [t for t in self.book.all_tasks() if t.title == title]
        if not best:
            raise ed.EditError("the build's parent task was lost while editing; the book is unchanged")
        return min(best, key=lambda t: abs(t.line - line))

    def _resolve(self, tracked: dict[str, Tracked], seen: dict[str, Diagnostic]) -> None:
        mentioned = self._mentioned([tr.file for tr in tracked.values()
                                     if tr.file and _per_file(tr.file)])
        for fp, tr in tracked.items():
            if fp in seen or tr.gone or tr.task.status is Status.DROPPED:
                continue
            if tr.command is not None and tr.command != self.build.command:
                continue
            if tr.file and _per_file(tr.file) and os.path.basename(tr.file) not in mentioned:
                continue
            task = self._log(fp, self._entry("gone", fp))
            if self.close_resolved and task.status.is_open and not task.open_children:
                self._set_status(fp, task, Status.DONE)
                task = self._tracked_task(fp)
                self._close_parent(task)
            self.result.resolved.append((fp, task.id, task.title))

    def _close_parent(self, task: Task) -> None:
        """A build's parent task is done once all its diagnostics are."""
        parent = task.parent
        if parent is None or not parent.status.is_open or parent.open_children:
            return
        fps = {id(t.task) for t in find_tracked(self.book).values()}
        if id(parent) in fps or not all(id(c) in fps for c in parent.children):
            return
        change = ed.set_status(self.book, parent, Status.DONE, self._style())
        line = parent.line

        def check(b: Book) -> str | None:
            return None if any(t.line == line and t.status is Status.DONE
                               for t in b.all_tasks()) else "the parent task was not closed"
        self._apply(change, check)

    def _mentioned(self, files: list[str]) -> set[str]:
        names = {os.path.basename(f) for f in files}
        if not names:
            return set()
        found = {n for n in names if n in self.build.command}
        if self.build.log is not None and names - found:
            found |= names_in_file(self.build.log, names - found)
        return found


def _per_file(file: str) -> bool:
    return os.path.splitext(file)[1].lower() in RECOMPILED_PER_FILE


def _title(d: Diagnostic) -> str:
    t = " ".join(d.title().split())
    return t if len(t) <= MAX_TITLE else t[:MAX_TITLE - 1] + "…"


def names_in_file(path: Path, names: set[str], chunk: int = 1 << 20) -> set[str]:
    """Which of `names` occur in the file, read a chunk at a time."""
    found: set[str] = set()
    overlap = max(len(n) for n in names)
    tail = ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            while names - found:
                data = f.read(chunk)
                if not data:
                    break
                window = tail + data
                found |= {n for n in names - found if n in window}
                tail = window[-overlap:]
    except OSError:
        pass
    return found


def sync(target: Target, diagnostics: list[Diagnostic], build: Build, *, grouped: bool = False,
         close_resolved: bool = True, ignore=None) -> Result:
    """Bring the book of `target` up to date with one run's diagnostics,
    following the config's edit rules as every front end does."""
    s = Syncer(target, diagnostics, build, grouped=grouped, close_resolved=close_resolved,
               rules=ignore if isinstance(ignore, Rules) else Rules(ignore))
    _, written = transact(Path(target.path), s, order=target.order)
    s.result.written = written is not None
    return s.result


__all__ = ["Build", "Rules", "Result", "Tracked", "find_tracked", "sync", "FP_TAG"]
