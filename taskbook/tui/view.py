"""What the board shows, computed from a Book without any widget.

The tree and the board columns are flat lists of `Row`s: widgets draw only
the rows on screen, so a 5,000-task book costs one pass over its tasks per
change, never 5,000 widgets.  Filtering follows `taskbook list`: a task that
does not match but holds one that does stays visible, dimmed, as context.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Book, Group, Status, Task

BOARD_STATUSES = [Status.TODO, Status.PLANNED, Status.APPROVED, Status.WORKING,
                  Status.BLOCKED, Status.DONE]
"""One column each, in the order work flows; unknown markers join todo."""


class Filter:
    """Which tasks are shown: text, statuses, finished ones."""

    def __init__(self) -> None:
        self.text = ""
        self.statuses: set[Status] | None = None   # None: every status
        self.show_finished = False                 # done and dropped, when no status is chosen

    @property
    def review_only(self) -> bool:
        return self.statuses == {Status.PLANNED}

    def status_ok(self, t: Task) -> bool:
        if self.statuses is not None:
            return t.status in self.statuses
        return self.show_finished or t.status.is_open

    def text_ok(self, t: Task) -> bool:
        q = self.text.strip().casefold()
        return not q or q in t.title.casefold() or t.id.startswith(q)

    def matches(self, t: Task) -> bool:
        return self.status_ok(t) and self.text_ok(t)

    def describe(self) -> str:
        parts = []
        if self.statuses is not None:
            parts.append("status " + ",".join(s.value for s in Status if s in self.statuses))
        elif self.show_finished:
            parts.append("all")
        else:
            parts.append("open")
        if self.text.strip():
            parts.append(f"“{self.text.strip()}”")
        return " · ".join(parts)


class Row:
    """One line of the tree or of a board column."""

    __slots__ = ("task", "group", "depth", "matched", "guide", "folded")

    def __init__(self, task: Task | None, depth: int = 0, matched: bool = True, guide: str = "",
                 folded: bool | None = None, group: Group | None = None) -> None:
        self.task = task          # None for a heading row
        self.group = group
        self.depth = depth
        self.matched = matched    # False: shown only because a sub-task matches
        self.guide = guide        # tree guides drawn before the fold mark ("│  ├─")
        self.folded = folded      # None: no sub-tasks; True/False: collapsed/expanded

    @property
    def key(self) -> str | None:
        return self.task.id if self.task is not None else None


def progress(t: Task) -> tuple[int, int] | None:
    """(done, total) of the task's sub-problems, dropped ones not counted."""
    if not t.children:
        return None
    done = sum(1 for c in t.children if c.status is Status.DONE)
    total = sum(1 for c in t.children if c.status is not Status.DROPPED)
    return done, total


def tree_rows(book: Book, flt: Filter, collapsed: set[str]) -> list[Row]:
    """The visible tree, flattened, with heading rows where the group changes."""
    rows: list[Row] = []
    last_group: Group | None = None

    def visible(t: Task) -> tuple[bool, list]:
        kids = [(c, k) for c in t.children for k in [visible(c)] if k[0]]
        return (flt.matches(t) or bool(kids), kids)

    def add(t: Task, kids: list, prefix: str, last: bool, top: bool) -> None:
        folded = None if not kids else t.id in collapsed
        guide = "" if top else prefix + ("└─" if last else "├─")
        rows.append(Row(t, t.depth, flt.matches(t), guide, folded))
        if folded:
            return
        child_prefix = "" if top else prefix + ("   " if last else "│  ")
        for i, (c, (_, ck)) in enumerate(kids):
            add(c, ck, child_prefix, i == len(kids) - 1, False)

    for t in book.tasks:
        shown, kids = visible(t)
        if not shown:
            continue
        if t.group is not None and t.group is not last_group:
            rows.extend(_group_rows(t.group, last_group))
            last_group = t.group
        add(t, kids, "", True, True)
    return rows


def _group_rows(group: Group, previous: Group | None) -> Iterable[Row]:
    """Heading rows for `group` and those of its parents not shown yet."""
    chain: list[Group] = []
    shown = set()
    g = previous
    while g is not None:
        shown.add(id(g))
        g = g.parent
    g = group
    while g is not None and id(g) not in shown:
        chain.append(g)
        g = g.parent
    return [Row(None, group=h) for h in reversed(chain)]


def board_columns(book: Book, flt: Filter) -> dict[Status, list[Row]]:
    """Every matching task (any depth) in the column of its status."""
    cols: dict[Status, list[Row]] = {s: [] for s in BOARD_STATUSES}
    for t in book.all_tasks():
        if not flt.matches(t):
            continue
        status = Status.TODO if t.status is Status.UNKNOWN else t.status
        if status in cols:
            cols[status].append(Row(t, t.depth))
    return cols


def needs_review(book: Book) -> int:
    """Plans waiting for the human: the number in the header."""
    return sum(1 for t in book.all_tasks() if t.status is Status.PLANNED)


def task_markdown(book: Book, task: Task) -> str:
    """The task as the detail pane shows it: title, facts, its own text.

    The body is the task's markdown as written (analysis, plan, log and
    sub-problems in the author's words), dedented; a summary of the
    sub-problems with their statuses follows.
    """
    lines = [book.line_text(i) for i in range(task.line + 1, task.end)]
    while lines and not lines[-1].strip():
        lines.pop()
    body = _dedent(lines)
    facts = [f"`{task.id}`", f"**{task.status.value}**", f"line {task.line + 1}"]
    if task.marker:
        facts.append(f"marker `{task.marker}`")
    if task.group is not None:
        facts.append(task.group.path)
    if task.parent is not None:
        facts.append(f"under `{task.parent.id}` {task.parent.title}")
    out = [f"## {task.title}", "", " · ".join(facts), ""]
    if body:
        out += body + [""]
    else:
        out += ["*(no analysis, plan or log yet)*", ""]
    if task.children:
        done, total = progress(task) or (0, 0)
        out += [f"### Sub-problems {done}/{total}", ""]
        out += [f"- `{c.id}` **{c.status.value}** {c.title}" for c in task.children]
    return "\n".join(out)


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(s) - len(s.lstrip(" ")) for s in lines if s.strip()]
    cut = min(widths) if widths else 0
    return [s[cut:] for s in lines]
