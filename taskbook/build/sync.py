"""Diagnostics become tasks in the book; the book itself remembers them.

Each diagnostic taskbook tracks is a task titled the way seed 000 titles them
(`error[E0382]: use of moved value: \\`unique_id\\``), with a log entry saying
where and when it was seen and by which command, ending in a tag such as
`[fp:3f2a9c1d]`.  Later builds find their tasks by that tag in the book: no
state file beside it, and a task moved, retitled or re-indented by hand is
still found.  A group of diagnostics (config `build.tasks: by-code`) is a task
whose log carries `[fam:...]`.

A run changes a task only when something happened to it:

* new diagnostic: a new task, unless an ignore rule matches it; an open task
  with exactly its title but no tag is adopted instead of doubled.  Where it
  goes depends on `build.tasks`: `by-code` (the default) makes each error a
  task of its own and puts each warning under the task of its kind (the same
  tool and code or lint: `warning: unused variable`, `-Wunused-parameter`),
  one sub-task per location; `one` makes every diagnostic a top-level task;
  `grouped` puts a build's new diagnostics under one parent task.  At most
  `build.max_new_tasks` diagnostics become tasks per run (errors first); the
  rest are counted as left out and offered again by the next run;
* tracked and reported again: nothing, wherever its line moved;
* a task noted as gone, reported again: a log entry (reopened if it was done);
* tracked, not reported, and the run was **complete**: a log entry ending in
  `[fp:... gone]`, and done when `build.close_resolved` is true; a group whose
  tasks are all closed is closed too.

Which runs may close: see `diagnostics.completeness()`.  Only tasks first reported by the
same command are closed by it (a `cargo build` run proves nothing about
`cargo clippy` lints or `pytest` failures), and a diagnostic in a C, C++ or
Java file is closed only if the run's command line or output names that file:
make, ninja and maven do not recompile unchanged files, so a warning in one of
them is absent without being fixed.

All of a run's changes are one transaction: the book is read and indexed
once, every change is planned against it (`layout.Plan`), and the new text is
parsed, checked and written once -- linear in the diagnostics and the book.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from .. import edit as ed
from ..actions import Rules as EditRules
from ..actions import Target
from ..errors import UsageError
from ..model import Book, Status, Task
from ..store import Loaded, transact
from .diagnostics import OLD_FP_LEN, Diagnostic, family
from .layout import Item, Plan

TAG = re.compile(r"\[(fp|fam):([0-9a-f]{8}(?:[0-9a-f]{4})?)( gone)?\]")
FP_TAG = re.compile(r"\[fp:([0-9a-f]{8}(?:[0-9a-f]{4})?)( gone)?\]")
_COMMAND = re.compile(r"`([^`]+)`")
_WHERE = re.compile(r"(\S+) \[fp:")
RECOMPILED_PER_FILE = {".c", ".h", ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++",
                       ".m", ".mm", ".java"}
MAX_TITLE = 200
MODES = ("by-code", "one", "grouped")
SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}

ENTRY = {
    "en": {"seen": "seen in `{cmd}` at {where} [fp:{fp}]",
           "again": "reported again by `{cmd}` at {where} [fp:{fp}]",
           "gone": "no longer reported by a complete `{cmd}` run [fp:{fp} gone]",
           "parent": "Build `{cmd}` {when}: {n} new diagnostic(s)",
           "family": "diagnostics of this kind reported by `{cmd}` [fam:{fp}]",
           "family_again": "new locations reported by `{cmd}` [fam:{fp}]"},
    "zh": {"seen": "`{cmd}` 报告于 {where} [fp:{fp}]",
           "again": "`{cmd}` 再次报告于 {where} [fp:{fp}]",
           "gone": "完整的 `{cmd}` 构建不再报告此问题 [fp:{fp} gone]",
           "parent": "构建 `{cmd}` {when} 发现的问题（{n} 个）",
           "family": "`{cmd}` 报告的同类问题 [fam:{fp}]",
           "family_again": "`{cmd}` 报告了新的位置 [fam:{fp}]"},
}


class Build:
    """What sync needs to know about the run that produced the diagnostics."""

    def __init__(self, command: str, complete: bool, reason: str = "",
                 log: Path | None = None) -> None:
        # one line, no backquotes: it is quoted in log entries and read back from them
        self.command = " ".join(command.replace("`", "'").split())
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
    """A task carrying a fingerprint tag, as the book says it stands.  The
    command and file of its first entry are read when asked (only the
    diagnostics a run did not report need them)."""

    __slots__ = ("task", "fp", "gone", "first", "_where")

    def __init__(self, task: Task, fp: str, first: str) -> None:
        self.task = task
        self.fp = fp
        self.gone = False
        self.first = first          # the entry that first carried the tag
        self._where: tuple[str | None, str | None] | None = None

    def _read(self) -> tuple[str | None, str | None]:
        if self._where is None:
            c = _COMMAND.search(self.first)
            w = _WHERE.search(self.first)
            file = None
            if w and w.group(1) != "-":
                file = w.group(1).rsplit(":", 2)[0] if ":" in w.group(1) else w.group(1)
            self._where = (c.group(1) if c else None, file)
        return self._where

    @property
    def command(self) -> str | None:
        return self._read()[0]

    @property
    def file(self) -> str | None:
        return self._read()[1]


class Index:
    """A book's build tasks, found in one pass over its tasks: fingerprint
    tags (`tracked`), group tags (`groups`), and the open untagged tasks by
    title (for adoption)."""

    def __init__(self, book: Book) -> None:
        self.tracked: dict[str, Tracked] = {}      # by the tag as written (8 or 12 digits)
        self.groups: dict[str, Task] = {}
        self.untagged: dict[str, list[Task]] = {}
        self.count = 0
        self._kinds: tuple[set[int], set[int]] | None = None
        tracked, search = self.tracked, TAG.search
        for task in book.all_tasks():
            self.count += 1
            tagged = False
            sec = task.section("log")
            if sec is not None:
                for e in sec.entries:
                    text = e.text
                    if "[f" not in text:
                        continue
                    m = search(text)
                    if m is None:
                        continue
                    tagged = True
                    kind, fp, gone = m.groups()
                    if kind == "fam":
                        self.groups.setdefault(fp, task)
                        continue
                    tr = tracked.get(fp)
                    if tr is None:
                        tr = tracked[fp] = Tracked(task, fp, text)
                    elif tr.task is not task:
                        continue  # the first task with a tag keeps it
                    tr.gone = gone is not None
            if not tagged and task.status.is_open:
                self.untagged.setdefault(task.title, []).append(task)

    def find(self, fp: str) -> Tracked | None:
        """The task tracking fingerprint `fp`, tagged with it or (written by
        an earlier taskbook) with its first 8 digits."""
        return self.tracked.get(fp) or self.tracked.get(fp[:OLD_FP_LEN])

    def is_group(self, task: Task) -> bool:
        """A task a build made to hold others: tagged `[fam:]`, or (config
        `grouped`) untagged with only tracked tasks under it."""
        if self._kinds is None:
            self._kinds = ({id(t) for t in self.groups.values()},
                           {id(tr.task) for tr in self.tracked.values()})
        groups, tracked = self._kinds
        if id(task) in groups:
            return True
        return (id(task) not in tracked and bool(task.children)
                and all(id(c) in tracked for c in task.children))


def find_tracked(book: Book) -> dict[str, Tracked]:
    """fingerprint -> its task, from the `[fp:...]` tags of the log entries."""
    return Index(book).tracked


class Result:
    """What a sync did (for the summary and --json)."""

    def __init__(self) -> None:
        self.created: list[tuple[Diagnostic, str]] = []     # (diagnostic, task id)
        self.groups: list[tuple[str, str, str]] = []         # (group fp, task id, title) made
        self.adopted: list[tuple[Diagnostic, str]] = []
        self.resolved: list[tuple[str, str, str]] = []      # (fp, task id, title)
        self.reopened: list[tuple[str, str, str]] = []
        self.ignored = 0
        self.left_out = 0
        self.cap = 0
        self.tracked = 0
        self.written = False

    @property
    def left_out_reason(self) -> str | None:
        if not self.left_out:
            return None
        return (f"at most {self.cap} new task(s) per build (build.max_new_tasks); "
                "the rest become tasks in later builds")

    def to_json(self) -> dict:
        return {"created": [{"id": i, "title": d.title(), "fingerprint": d.fingerprint}
                            for d, i in self.created],
                "groups": [{"id": i, "title": t, "fingerprint": fp} for fp, i, t in self.groups],
                "adopted": [{"id": i, "title": d.title(), "fingerprint": d.fingerprint}
                            for d, i in self.adopted],
                "resolved": [{"id": i, "title": t, "fingerprint": fp} for fp, i, t in self.resolved],
                "reopened": [{"id": i, "title": t, "fingerprint": fp} for fp, i, t in self.reopened],
                "ignored": self.ignored, "left_out": self.left_out,
                "left_out_reason": self.left_out_reason,
                "tracked": self.tracked, "written": self.written}


class Syncer:
    """One sync, as the body of one `store.transact`: decide every change
    from the book as read, plan them, check the new text once."""

    def __init__(self, target: Target, diagnostics: list[Diagnostic], build: Build, *,
                 mode: str = "by-code", max_new: int = 0, close_resolved: bool = True,
                 rules: Rules | None = None) -> None:
        if mode not in MODES:
            raise UsageError(f"build.tasks takes {', '.join(MODES)}, not {mode!r}")
        self.diagnostics = diagnostics
        self.build = build
        self.mode = mode
        self.max_new = max_new
        self.close_resolved = close_resolved
        self.rules = rules or Rules(None)
        self.target = target
        self.order = target.order
        self.result = Result()
        self.book: Book | None = None     # the book as written, when it was

    def __call__(self, loaded: Loaded) -> bytes | None:
        self.result = res = Result()
        self.book = None
        book = loaded.book
        # the config's rules, as for every edit (`actions.Rules`): order,
        # language and dialect of new lines, the prefix of log entries
        edit_rules = EditRules(self.target)
        self.lang = edit_rules.style(book).language
        self.words = ENTRY["zh" if self.lang == "zh" else "en"]
        self.when = ed.timestamp(str(self.target.config.get("log.timestamp_format")))
        index = Index(book)
        res.tracked = len(index.tracked)
        plan = Plan(book, self.lang, edit_rules.stamp(), self.order, edit_rules.dialect(book))
        expect = Expected(index)
        seen = {d.fingerprint: d for d in self.diagnostics}
        if any(len(fp) == OLD_FP_LEN for fp in index.tracked):   # tags of an earlier taskbook
            for d in self.diagnostics:
                seen.setdefault(d.fingerprint[:OLD_FP_LEN], d)
        self._again(plan, index, seen, expect)
        tops = self._new(plan, index, expect)
        if self.build.complete:
            self._resolve(plan, index, seen, expect)
        if not plan.changed and not tops:
            return None
        plan.top(tops)                  # consumes `book`: last
        text = plan.render()
        del plan, tops                  # the parse below is the run's peak of memory
        # the one re-parse and check
        self.book = ed.apply(ed.Change.whole(book, text), expect.check, self.order)
        ids = {fp: tr.task.id for fp, tr in expect.after.tracked.items()}
        res.created = [(d, ids[d.fingerprint]) for d, _ in expect.created]
        res.adopted = [(d, ids[d.fingerprint]) for d, _ in expect.adopted]
        res.groups = [(fp, expect.after.groups[fp].id, t) for fp, t in expect.new_groups]
        res.reopened = [(fp, ids[fp], t) for fp, _, t in res.reopened]
        res.resolved = [(fp, ids[fp], t) for fp, _, t in res.resolved]
        data = text.encode("utf-8")
        return b"\xef\xbb\xbf" + data if book.bom else data

    # ------------------------------------------------------------ steps

    def _entry(self, kind: str, fp: str, d: Diagnostic | None = None) -> str:
        where = (d.location() if d.file else "-") if d is not None else ""
        return self.words[kind].format(cmd=self.build.command, where=where, fp=fp)

    def _again(self, plan: Plan, index: Index, seen: dict, expect: Expected) -> None:
        """Tasks noted as gone and reported again: logged, reopened if done."""
        for fp, tr in index.tracked.items():
            d = seen.get(fp)
            if d is None or not tr.gone or tr.task.status is Status.DROPPED:
                continue
            plan.log(tr.task, self._entry("again", fp, d))
            expect.log(fp, gone=False)
            if tr.task.status is Status.DONE:
                plan.status(tr.task, Status.TODO)
                expect.status(fp, Status.TODO)
                parent = tr.task.parent
                if parent is not None and parent.status is Status.DONE and index.is_group(parent):
                    plan.status(parent, Status.TODO)
            self.result.reopened.append((fp, tr.task.id, tr.task.title))

    def _new(self, plan: Plan, index: Index, expect: Expected) -> list[Item]:
        """New diagnostics: adopted, left out, or planned as tasks; returns the
        new top-level tasks (planned last, see `Plan.top`)."""
        res = self.result
        new: list[Diagnostic] = []
        for d in self.diagnostics:
            if index.find(d.fingerprint) is not None:
                continue
            if self.rules.ignores(d):
                res.ignored += 1
                continue
            title = _title(d)
            hands = index.untagged.get(title)
            if hands:  # an open task written by hand with this very title
                task = hands.pop(0)
                plan.log(task, self._entry("seen", d.fingerprint, d))
                expect.new_task(d, title, adopted=True)
                continue
            new.append(d)
        if self.max_new and len(new) > self.max_new:
            keep = sorted(range(len(new)), key=lambda i: SEVERITY_RANK.get(new[i].severity, 3))
            keep = sorted(keep[:self.max_new])
            res.left_out, res.cap = len(new) - len(keep), self.max_new
            new = [new[i] for i in keep]
        if not new:
            return []
        if self.mode == "one":
            return [self._item(d, expect) for d in new]
        if self.mode == "grouped":
            title = self.words["parent"].format(cmd=self.build.command, when=self.when, n=len(new))
            expect.grouped_parent(title)
            return [Item(title, None, [self._item(d, expect, parent=title) for d in new])]
        return self._by_code(plan, index, new, expect)

    def _item(self, d: Diagnostic, expect: Expected, parent: str | None = None,
              title: str | None = None) -> Item:
        title = title or _title(d)
        expect.new_task(d, title, parent=parent)
        return Item(title, self._entry("seen", d.fingerprint, d))

    def _by_code(self, plan: Plan, index: Index, new: list[Diagnostic],
                 expect: Expected) -> list[Item]:
        """Errors as tasks of their own; warnings and notes under the task of their kind."""
        tops = [self._item(d, expect) for d in new if d.severity == "error"]
        kinds: dict[str, tuple[str, list[Diagnostic]]] = {}
        coded: dict[tuple, tuple[str, str]] = {}   # a code names its kind: no need to read the message
        for d in new:
            if d.severity != "error":
                key = (d.tool, d.severity, d.code)
                fam = coded.get(key) if d.code else None
                if fam is None:
                    fam = family(d)
                    if d.code:
                        coded[key] = fam
                kinds.setdefault(fam[0], (fam[1], []))[1].append(d)
        for fp, (title, members) in kinds.items():
            parent = index.groups.get(fp)
            if parent is not None and parent.status is Status.DROPPED:
                self.result.ignored += len(members)   # a dropped kind is muted
                continue
            key = f"fam:{fp}"
            items = [self._item(d, expect, parent=key, title=_member_title(d)) for d in members]
            if parent is None:
                expect.new_group(fp, title)
                tops.append(Item(title, self.words["family"].format(cmd=self.build.command, fp=fp),
                                 items))
                continue
            plan.members(parent, items)
            if not parent.status.is_open:
                plan.log(parent, self.words["family_again"].format(cmd=self.build.command, fp=fp))
                plan.status(parent, Status.TODO)
        return tops

    def _resolve(self, plan: Plan, index: Index, seen: dict, expect: Expected) -> None:
        """Tracked diagnostics a complete run no longer reports."""
        tracked = index.tracked
        mentioned: set[str] | None = None      # read from the log only if needed
        closed: list[Task] = []
        for fp, tr in tracked.items():
            if fp in seen or tr.gone or tr.task.status is Status.DROPPED:
                continue
            if tr.command is not None and tr.command != self.build.command:
                continue
            if tr.file and _per_file(tr.file):
                if mentioned is None:
                    mentioned = self._mentioned([t.file for t in tracked.values()
                                                 if t.file and _per_file(t.file)])
                if os.path.basename(tr.file) not in mentioned:
                    continue
            task = tr.task
            plan.log(task, self._entry("gone", fp))
            expect.log(fp, gone=True)
            if (self.close_resolved and plan.status_of(task).is_open
                    and not any(plan.status_of(c).is_open for c in task.children)):
                plan.status(task, Status.DONE)
                expect.status(fp, Status.DONE)
                closed.append(task)
            self.result.resolved.append((fp, task.id, task.title))
        for parent in {id(t.parent): t.parent for t in closed if t.parent is not None}.values():
            if (plan.status_of(parent).is_open and index.is_group(parent)
                    and not any(plan.status_of(c).is_open for c in parent.children)):
                plan.status(parent, Status.DONE)

    def _mentioned(self, files: list[str]) -> set[str]:
        names = {os.path.basename(f) for f in files}
        if not names:
            return set()
        found = {n for n in names if n in self.build.command}
        if self.build.log is not None and names - found:
            found |= names_in_file(self.build.log, names - found)
        return found


class Expected:
    """What the new book must show, checked once on its parse: every tracked
    task still there, each new task under its fingerprint with its title and
    parent, each planned status and gone-note, and nothing else added."""

    def __init__(self, index: Index) -> None:
        self.before = index
        self.created: list[tuple[Diagnostic, str]] = []
        self.adopted: list[tuple[Diagnostic, str]] = []
        self.parents: dict[str, str | None] = {}     # fp -> "fam:<fp>" / grouped title / None
        self.titles: dict[str, str] = {}
        self.statuses: dict[str, Status] = {}
        self.gone: dict[str, bool] = {}
        self.new_groups: list[tuple[str, str]] = []
        self.grouped: str | None = None
        self.after: Index | None = None

    def new_task(self, d: Diagnostic, title: str, parent: str | None = None,
                 adopted: bool = False) -> None:
        (self.adopted if adopted else self.created).append((d, title))
        self.titles[d.fingerprint] = title
        self.parents[d.fingerprint] = parent

    def new_group(self, fp: str, title: str) -> None:
        self.new_groups.append((fp, title))

    def grouped_parent(self, title: str) -> None:
        self.grouped = title

    def status(self, fp: str, status: Status) -> None:
        self.statuses[fp] = status

    def log(self, fp: str, gone: bool) -> None:
        self.gone[fp] = gone

    def check(self, new: Book) -> str | None:
        after = self.after = Index(new)
        grown = len(self.created) + len(self.new_groups) + (1 if self.grouped else 0)
        if after.count != self.before.count + grown:
            return f"the book has {after.count - self.before.count} new tasks, not {grown}"
        lost = [fp for fp in self.before.tracked if fp not in after.tracked]
        if lost:
            return f"the task of [fp:{lost[0]}] was lost"
        if len(after.tracked) != len(self.before.tracked) + len(self.titles):
            return "the tracked tasks are not the ones planned"
        adopted = {d.fingerprint for d, _ in self.adopted}
        for fp, title in self.titles.items():
            tr = after.tracked.get(fp)
            if tr is None or tr.task.title != title:
                return f"the task of [fp:{fp}] is not where it was written"
            want = self.parents.get(fp)
            got = tr.task.parent
            if want is None:
                if got is not None and fp not in adopted:
                    return f"the task of [fp:{fp}] is not at the top level"
            elif want.startswith("fam:"):
                if got is None or after.groups.get(want[4:]) is not got:
                    return f"the task of [fp:{fp}] is not under its group"
            elif got is None or got.title != want:
                return f"the task of [fp:{fp}] is not under the build's task"
        for fp, title in self.new_groups:
            g = after.groups.get(fp)
            if g is None or g.title != title:
                return f"the group [fam:{fp}] is not where it was written"
        for fp, status in self.statuses.items():
            if after.tracked[fp].task.status is not status:
                return f"the task of [fp:{fp}] did not become {status.value}"
        for fp, gone in self.gone.items():
            if after.tracked[fp].gone is not gone:
                return f"the log entry of [fp:{fp}] did not land on its task"
        return None


def _per_file(file: str) -> bool:
    return os.path.splitext(file)[1].lower() in RECOMPILED_PER_FILE


def _title(d: Diagnostic) -> str:
    t = " ".join(d.title().split())
    return t if len(t) <= MAX_TITLE else t[:MAX_TITLE - 1] + "…"


def _member_title(d: Diagnostic) -> str:
    """A location of a group: where and what (`src/lib.rs: unused variable: \\`x\\``)."""
    t = " ".join(f"{d.file}: {d.message}".split()) if d.file else _title(d)
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


def sync(target: Target, diagnostics: list[Diagnostic], build: Build, *, mode: str = "by-code",
         max_new: int = 0, close_resolved: bool = True, ignore=None) -> Result:
    """Bring the book of `target` up to date with one run's diagnostics, in
    one transaction, following the config's edit rules as every front end does."""
    path = Path(target.path)
    s = Syncer(target, diagnostics, build, mode=mode, max_new=max_new,
               close_resolved=close_resolved,
               rules=ignore if isinstance(ignore, Rules) else Rules(ignore))
    _, written = transact(path, s, order=target.order)
    s.result.written = written is not None
    if written is not None and s.book is not None:
        from .. import cache
        cache.save(Path(path), written, s.book)   # the next command reads what was checked
    return s.result


__all__ = ["Build", "Rules", "Result", "Tracked", "Index", "find_tracked", "sync", "FP_TAG", "MODES"]
