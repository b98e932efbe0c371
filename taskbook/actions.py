"""The edit verbs as whole transactions, shared by every front end.

`taskbook.edit` knows how to change the text of a book; this module adds what
a verb needs around it, the same for the CLI, the board, the MCP server and
build sync (`build.sync` runs its edits through `Rules` too):

* resolving the address in the book as it is on disk at the moment of
  writing (under the lock of `store.transact`);
* the config's rules (`Rules`): the book's order (`order`), the language
  and dialect of new lines (`language`, `dialect`), the prefix of a log entry
  (`log.timestamp`, `log.commit`, computed only when an entry is written),
  and the commit noted when a task is done (`done.commit`);
* the review rules (approve needs a plan waiting for review, done needs
  finished sub-problems ...), which only `force` overrides;
* a re-parse that checks the edit did what it meant to.

Front ends pass options and show the `Outcome`; nothing here prints or
imports a user interface.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Callable, Protocol

from . import cache
from . import edit as ed
from .config import Config
from .errors import UsageError
from .model import Book, Dialect, Group, Status, Task
from .query import resolve
from .store import Loaded, transact
from .style import Style

Check = ed.Check
Require = Callable[[Task], "str | None"]


class _ByConfig(Enum):
    CONFIG = "config"


CONFIG = _ByConfig.CONFIG
"""The default of options whose value the project's config decides."""


class Target(Protocol):
    """Which book to edit and with which settings (the CLI's State is one)."""

    @property
    def path(self) -> Path: ...

    @property
    def config(self) -> Config: ...

    @property
    def order(self) -> str | None: ...


class BookTarget:
    """A Target for callers that already know the book and its config."""

    def __init__(self, path: Path, config: Config, order: str | None = None) -> None:
        self.path = Path(path)
        self.config = config
        self.order = order


class Outcome:
    """What an edit did: the changed task, the book as written, and notices
    for the person (a rule that could not be followed, say)."""

    def __init__(self) -> None:
        self.task: Task | None = None
        self.book: Book | None = None
        self.message = ""
        self.notices: list[str] = []


class Rules:
    """The config's rules for the edits of one transaction, applied the
    same way whichever front end asked for them."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.config = target.config
        self.order = target.order
        self._stamp: str | None | _ByConfig = CONFIG

    def style(self, book: Book) -> Style:
        """How new lines are written: the book's own style, in its language."""
        return Style(book, language(self.config, book))

    def dialect(self, book: Book) -> Dialect | None:
        return dialect(self.config, book)

    def stamp(self) -> str | None:
        """The prefix of a log entry; made on first use only (with
        `log.commit` it asks git), then the same for the whole transaction."""
        if self._stamp is CONFIG:
            self._stamp = stamp(self.config, self.target.path)
        return self._stamp

    def done_commit(self, verb: str, commit: bool | None, out: Outcome) -> str | None:
        """The commit to note in the log of a task marked done: for `--commit`
        (`commit` True) or `done` with `done.commit` set (`commit` None)."""
        explicit = commit is not None
        if not (commit if explicit else verb == "done" and self.config.get("done.commit")):
            return None
        from .gitctx import head  # GitPython: only when asked for
        h = head(self.target.path)
        if h is None:
            if explicit:
                raise UsageError(f"--commit: {self.target.path} is not in a git repository "
                                 "with a commit")
            out.notices.append("done.commit: the book is not in a git repository with a "
                               "commit; none recorded")
            return None
        return h.label()


class NeedsForce(UsageError):
    """A rule refused the edit; the same edit with force=True would be made."""


def run_edit(target: Target, op: Callable[[Book, Outcome], tuple[ed.Change, Check]], *,
             create: bool = False, out: Outcome | None = None) -> Outcome:
    """Run one edit transaction.  `op` returns the change and a check; it
    may run again if the book changed on disk meanwhile."""
    out = out if out is not None else Outcome()

    def fn(loaded: Loaded) -> bytes | None:
        change, check = op(loaded.book, out)
        out.book = ed.apply(change, check, target.order)
        return change.data()   # the text the new book was parsed from

    _, written = transact(target.path, fn, create=b"" if create else None, order=target.order)
    if written is not None and out.book is not None:
        # the check above parsed the new text: the next command reads that
        cache.save(target.path, written, out.book)
    return out


def _steps(steps: list[str]) -> list[str]:
    """Plan steps without surrounding blank space (a trailing newline would
    leave a stray blank line in the book); an empty one is a mistake."""
    out = [s.strip() for s in steps]
    if not out:
        raise UsageError("no plan steps given")
    if not all(out):
        raise UsageError("a plan step is empty")
    return out


def find_task(book: Book, address: str, title: str | None = None) -> Task:
    """Resolve `address`; with `title`, refuse if it now names another task.

    The board passes the title it showed: after someone else edited the book,
    an address could fall to a duplicate-titled neighbour, and an action must
    never land on a task the user did not see.
    """
    task = resolve(book, address)
    if title is not None and task.title != title:
        raise UsageError(f"{address} is no longer {title!r} in the book (it changed on disk)",
                         hint="look again and retry")
    return task


def find_same(new: Book, old: Task) -> Task | None:
    t = new.by_id.get(old.id)
    if t is not None and t.title == old.title:
        return t
    return None


def count(t: Task, kind: str) -> int:
    s = t.section(kind)
    return len(s.entries) if s else 0


def same_task_check(task: Task, out: Outcome, ok: Callable[[Task], bool]) -> Check:
    def check(new: Book) -> str | None:
        t = find_same(new, task)
        if t is None:
            return "the task changed its address"
        if not ok(t):
            return "the task does not show the change"
        out.task = t
        return None
    return check


def stamp(config: Config, where: Path | None = None) -> str | None:
    """The log entry prefix: date and time (`log.timestamp`), then the short
    git commit and branch of the repository holding `where` (`log.commit`,
    "[a1b2c3d main]"); None when there is nothing to prefix."""
    parts = []
    if config.get("log.timestamp"):
        parts.append(ed.timestamp(str(config.get("log.timestamp_format"))))
    if config.get("log.commit"):
        from .gitctx import head  # GitPython: only when asked for
        h = head(where or config.root or Path.cwd())
        if h is not None:
            parts.append(f"[{h.tag()}]")
    return " ".join(parts) or None


def language(config: Config, book: Book) -> str:
    """Labels follow a book that has tasks; a new book follows the config."""
    lang = str(config.get("language"))
    if lang == "auto" or (book.dialect.value != "plain" and any(True for _ in book.all_tasks())):
        return book.language  # an existing book's own language always wins (config.yaml)
    return lang


def dialect(config: Config, book: Book) -> Dialect | None:
    value = str(config.get("dialect"))
    if book.dialect is not Dialect.PLAIN or value == "auto":
        return None
    return Dialect(value)


def find_group(book: Book, name: str) -> Group:
    q = name.strip().lstrip("#").strip()
    exact = [g for g in book.groups if g.title == q]
    if len(exact) == 1:
        return exact[0]
    part = [g for g in book.groups if q.casefold() in g.title.casefold()]
    if len(part) == 1:
        return part[0]
    if not part:
        heads = "; ".join(g.title for g in book.groups[:10])
        raise UsageError(f"no heading matches {name!r}" + (f" (headings: {heads})" if heads else ""))
    shown = "; ".join(f"line {g.line + 1}: {g.title}" for g in part[:8])
    raise UsageError(f"{name!r} matches {len(part)} headings: {shown}")


def _task_in(book: Book, span: tuple[int, int]) -> Task | None:
    for t in book.all_tasks():
        if span[0] <= t.line < span[1]:
            return t
    return None


# ------------------------------------------------------------------ verbs

def add_task(target: Target, title: str, *, under: str | None = None, under_title: str | None = None,
             group: str | None = None, plan: list[str] | None = None) -> Outcome:
    """Add a task (or, with `under`, a sub-problem) where the book puts it."""
    if under and group:
        raise UsageError("--under and --group cannot be used together")
    steps = _steps(plan) if plan else []
    rules = Rules(target)

    def op(book: Book, out: Outcome) -> tuple[ed.Change, Check]:
        before = len(book.by_id)   # every task has one address
        style = rules.style(book)
        parent = find_task(book, under, under_title) if under else None
        grp = find_group(book, group) if group else None
        change = ed.add_task(book, title, under=parent, group=grp, style=style,
                             dialect=rules.dialect(book))
        span = change.inserted
        if steps:  # the plan goes under the new task: find it in the new text
            mid = change.parse(rules.order)
            new_task = _task_in(mid, span)
            if new_task is None:
                raise ed.EditError("the new task could not be found after adding it; "
                                   "the book is unchanged")
            change = ed.add_plan(mid, new_task, steps, Style(mid, style.language))

        def check(new: Book) -> str | None:
            if sum(1 for _ in new.all_tasks()) != before + 1:
                return "the number of tasks did not grow by one"
            t = _task_in(new, span)
            if t is None:
                return "the new task is not where it was written"
            out.task = t
            return None
        return change, check

    return run_edit(target, op, create=True)


def add_plan(target: Target, address: str, steps: list[str], *, title: str | None = None) -> Outcome:
    """Append numbered steps to the task's plan, creating the section."""
    steps = _steps(steps)
    rules = Rules(target)

    def op(book: Book, out: Outcome) -> tuple[ed.Change, Check]:
        task = find_task(book, address, title)
        before = count(task, "plan")
        change = ed.add_plan(book, task, steps, rules.style(book))
        return change, same_task_check(task, out, lambda t: count(t, "plan") >= before + len(steps))

    return run_edit(target, op)


def add_log(target: Target, address: str, message: str, *,
            stamp: str | None | _ByConfig = CONFIG, title: str | None = None) -> Outcome:
    """Append one entry to the task's execution log, creating the section.

    `stamp` is the entry's prefix: by default what the config says
    (`log.timestamp`, `log.commit`); None for none (`log --no-time`)."""
    message = message.strip()
    if not message:
        raise UsageError("the log message is empty")
    rules = Rules(target)
    if stamp is not CONFIG:
        rules._stamp = stamp

    def op(book: Book, out: Outcome) -> tuple[ed.Change, Check]:
        task = find_task(book, address, title)
        before = count(task, "log")
        change = ed.add_log(book, task, message, stamp=rules.stamp(), style=rules.style(book))
        return change, same_task_check(task, out, lambda t: count(t, "log") == before + 1)

    return run_edit(target, op)


def change_status(target: Target, address: str, status: Status, *, force: bool = False,
                  note: str | None = None, require: Require | None = None,
                  log_prefix: str = "", title: str | None = None,
                  commit: bool | None = False, verb: str = "") -> Outcome:
    """Set the task's status; `note` also goes to its log, after `log_prefix`.

    `require` states a rule (approve only what waits for review ...); when it
    refuses and `force` is off, NeedsForce says why and nothing is written.
    `commit` notes the git commit in the log: True always, None when the
    config says so for this `verb` (`done.commit`), False never.
    """
    rules = Rules(target)
    out = Outcome()
    head = rules.done_commit(verb, commit, out)
    if head is not None:
        note = f"{note} (commit {head})" if note else f"{PAST.get(verb, verb)} at commit {head}"

    def op(book: Book, out: Outcome) -> tuple[ed.Change, Check]:
        task = find_task(book, address, title)
        if require is not None and not force:
            problem = require(task)
            if problem:
                raise NeedsForce(problem, hint="use --force to do it anyway")
        style = rules.style(book)
        change = ed.set_status(book, task, status, style)
        if note:
            mid = change.parse(rules.order)
            t2 = find_same(mid, task)
            if t2 is None:
                raise ed.EditError("the task changed its address; the book is unchanged")
            change = ed.add_log(mid, t2, f"{log_prefix}{note}", stamp=rules.stamp(),
                                style=Style(mid, style.language))
        return change, same_task_check(task, out, lambda t: t.status is status)

    return run_edit(target, op, out=out)


# ----------------------------------------------------------- the rules

def open_children(task: Task) -> str | None:
    """`done` waits for the sub-problems."""
    open_kids = [c for c in task.children if c.status.is_open]
    if open_kids:
        names = "; ".join(f"{c.id} {c.title}" for c in open_kids[:5])
        return f"{task.id} has {len(open_kids)} unfinished sub-problem(s): {names}"
    return None


def has_plan(t: Task) -> str | None:
    """`submit` needs a plan to review."""
    if count(t, "plan") == 0:
        return f"{t.id} has no plan yet: write one with `taskbook plan {t.id} STEP...`"
    return None


def waiting_for_review(t: Task) -> str | None:
    """`approve` takes a plan that waits for review."""
    if t.status is not Status.PLANNED:
        return f"{t.id} is {t.status.value}, not waiting for review (planned)"
    return None


def under_review(t: Task) -> str | None:
    """`reject` sends back a plan that waits for review or was approved."""
    if t.status not in (Status.PLANNED, Status.APPROVED):
        return f"{t.id} is {t.status.value}, not waiting for review (planned)"
    return None


def approve(target: Target, address: str, *, note: str | None = None, force: bool = False,
            title: str | None = None) -> Outcome:
    return change_status(target, address, Status.APPROVED, force=force, note=note,
                         require=waiting_for_review, log_prefix="approved: ", title=title)


def reject(target: Target, address: str, note: str, *, force: bool = False,
           title: str | None = None) -> Outcome:
    if not note.strip():
        raise UsageError("--note must say why the plan is rejected")
    return change_status(target, address, Status.TODO, force=force, note=note.strip(),
                         require=under_review, log_prefix="rejected: ", title=title)


def submit(target: Target, address: str, *, force: bool = False, title: str | None = None) -> Outcome:
    return change_status(target, address, Status.PLANNED, force=force, require=has_plan, title=title)


STATUS_VERBS = [
    ("start", Status.WORKING, "Mark the task as being worked on (working)."),
    ("done", Status.DONE, "Mark the task done (refused while sub-problems are open, unless --force)."),
    ("block", Status.BLOCKED, "Mark the task blocked (`next` skips it); --note says why."),
    ("drop", Status.DROPPED, "Drop the task: it will not be done."),
    ("reopen", Status.TODO, "Reopen the task: back to todo."),
]
PAST = {"start": "started", "done": "done", "block": "blocked", "drop": "dropped",
        "reopen": "reopened"}
LOG_PREFIX = {"block": "blocked: ", "drop": "dropped: "}
REQUIRE: dict[str, Require] = {"done": open_children}


def status_verb(target: Target, name: str, address: str, *, note: str | None = None,
                force: bool = False, title: str | None = None,
                commit: bool | None = None) -> Outcome:
    """start, done, block, drop, reopen: the plain status verbs by name.
    `commit`: note the git commit in the log (None: as config `done.commit`
    says for `done`)."""
    status = next(s for n, s, _ in STATUS_VERBS if n == name)
    return change_status(target, address, status, force=force, note=note, require=REQUIRE.get(name),
                         log_prefix=LOG_PREFIX.get(name, ""), title=title, commit=commit,
                         verb=name)
