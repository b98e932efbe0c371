"""Rendering for people.

Line lists (`list`, `next`, the header of `show`) go through the small
`term.Writer`: they are the commands agents run most, and rich's import and
layout cost more than the rest of the command.  rich renders what needs a
layout engine: a task's markdown at a terminal and the `stats` tables, and is
imported only then, so `--json` runs and piped output never pay for it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..model import Book, Status, Task
from .output import safe
from .term import Span, Writer

if TYPE_CHECKING:
    from rich.console import Console

STYLE = {
    Status.TODO: "default",
    Status.PLANNED: "yellow",
    Status.APPROVED: "cyan",
    Status.WORKING: "bold blue",
    Status.BLOCKED: "bold red",
    Status.DONE: "green",
    Status.DROPPED: "dim strike",
    Status.UNKNOWN: "magenta",
}
ICON = {
    Status.TODO: "○", Status.PLANNED: "◔", Status.APPROVED: "◑", Status.WORKING: "◐",
    Status.BLOCKED: "⊘", Status.DONE: "●", Status.DROPPED: "✕", Status.UNKNOWN: "?",
}
_BADGE = {s: f"{ICON[s]} {s.value:<8}" for s in Status}


def console(wrap_width: int | None = None) -> Console:
    """A rich console for stdout.  Piped output gets no colour and, for line
    lists, no truncation; `wrap_width` is used for flowing text instead."""
    from rich.console import Console
    out = Console(highlight=False, markup=False, emoji=False)
    if not out.is_terminal:
        if wrap_width:
            out = Console(highlight=False, markup=False, emoji=False, color_system=None,
                          width=wrap_width)
        else:
            out = Console(highlight=False, markup=False, emoji=False, soft_wrap=True,
                          color_system=None, width=100_000)
    return out


def _badge(t: Task) -> Span:
    return (_BADGE[t.status], STYLE[t.status])


def _progress(t: Task) -> str:
    if not t.children:
        return ""
    done = sum(1 for c in t.children if c.status is Status.DONE)
    total = sum(1 for c in t.children if c.status is not Status.DROPPED)
    return f"  {done}/{total}"


def print_tree(book: Book, nodes: list) -> int:
    """One line per task: address, status, tree guides, title.  Returns count."""
    out = Writer()
    idw = max([len(t.id) for t in book.all_tasks()] + [5])
    shown = 0
    last_group = None
    line = out.line
    # an explicit stack instead of recursion: a deep tree must not overflow
    for node in nodes:
        g = node[0].group
        if g is not last_group and g is not None:
            line([(("#" * g.level) + " " + safe(g.title), "bold")])
            last_group = g
        stack = [(node, "", True, True)]
        while stack:
            (t, matched, kids), prefix, last, top = stack.pop()
            spans: list[Span] = [(f"{t.id:<{idw}}  ", "cyan" if matched else "dim cyan"),
                                 _badge(t) if matched else (_BADGE[t.status], "dim"), (" ", None)]
            if not top:
                spans.append((prefix + ("└─ " if last else "├─ "), "dim"))
            spans.append((safe(t.title), None if matched else "dim"))
            prog = _progress(t)
            if prog:
                spans.append((prog, "dim"))
            line(spans)
            shown += matched
            child_prefix = "" if top else prefix + ("   " if last else "│  ")
            n = len(kids)
            for i in range(n - 1, -1, -1):
                stack.append((kids[i], child_prefix, i == n - 1, False))
    out.flush()
    return shown


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(s) - len(s.lstrip(" ")) for s in lines if s.strip()]
    cut = min(widths) if widths else 0
    return [s[cut:] for s in lines]


def print_task(book: Book, task: Task) -> None:
    out = Writer()
    out.line([(f"{task.id}  ", "bold cyan"), _badge(task), (" " + safe(task.title), "bold")],
             crop=False)
    meta = [f"line {task.line + 1}"]
    if task.marker:
        meta.append(f"marker {task.marker}")
    if task.group:
        meta.append(f"group {task.group.path}")
    if task.parent:
        meta.append(f"parent {task.parent.id} {task.parent.title}")
    out.line([(safe(" · ".join(meta)), "dim")], crop=False)
    out.line()
    body = safe("\n".join(_dedent([book.line_text(i) for i in range(task.line, task.end)])))
    if out.width is not None:  # a terminal: render the markdown
        out.flush()
        from rich.markdown import Markdown
        console(wrap_width=100).print(Markdown(body))
    else:  # piped: the markdown itself is the most useful text
        for ln in body.split("\n"):
            out.line([(ln, None)], crop=False)
    if task.children:
        out.line()
        out.line([("sub-problems:", "bold")])
        for c in task.children:
            out.line([("  ", None), (f"{c.id}  ", "cyan"), _badge(c), (" " + safe(c.title), None)])
    out.flush()


def print_stats(book: Book, total: dict, done: int, tot: int, groups: list[dict]) -> None:
    from rich.table import Table
    from rich.text import Text
    out = console(wrap_width=100)
    t = Table(title=None, show_edge=False, box=None, pad_edge=False)
    t.add_column("status")
    t.add_column("tasks", justify="right")
    for s in Status:
        if total[s.value]:
            t.add_row(Text(f"{ICON[s]} {s.value}", style=STYLE[s]), str(total[s.value]))
    out.print(t)
    out.print(Text(f"progress {done}/{tot}" + (f"  ({100 * done // tot}%)" if tot else ""),
                   style="bold"))
    named = [g for g in groups if g["group"]]
    if named:
        out.print()
        g_table = Table(show_edge=False, box=None, pad_edge=False)
        g_table.add_column("group", overflow="ellipsis", no_wrap=True, max_width=60)
        g_table.add_column("done", justify="right")
        g_table.add_column("open", justify="right")
        g_table.add_column("", no_wrap=True)
        for g in groups:
            c = g["counts"]
            opened = sum(v for k, v in c.items() if Status(k).is_open)
            bar_w = 20
            filled = round(bar_w * g["done"] / g["total"]) if g["total"] else 0
            name = ("  " * (g["level"] - 1) + g["title"]) if g["group"] else "(before any heading)"
            g_table.add_row(safe(name), g["progress"], str(opened),
                            Text("█" * filled + "░" * (bar_w - filled), style="green"))
        out.print(g_table)


def print_next(book: Book, task: Task, n: int) -> None:
    out = Writer()
    out.line([("next: ", "bold"), (f"{task.id}  ", "bold cyan"), _badge(task),
              (" " + safe(task.title), "bold")], crop=False)
    chain = []
    p = task.parent
    while p is not None:
        chain.append(f"{p.id} {p.title}")
        p = p.parent
    if chain:
        out.line([("in: " + safe(" › ".join(reversed(chain))), "dim")], crop=False)
    plan = task.section("plan")
    log = task.section("log")
    out.line()
    if plan and plan.entries:
        out.line([(f"{safe(plan.label)}:", "bold")])
        for e in plan.entries:
            out.line("  " + _indented(safe(e.text)), crop=False)
    else:
        out.line([("no plan yet: write one with `taskbook plan " + task.id + " STEP...`", "yellow")])
    if log and log.entries and n:
        out.line([(f"{safe(log.label)} (latest {min(n, len(log.entries))}):", "bold")])
        for e in log.entries[-n:]:
            out.line("  " + _indented(safe(e.text)), crop=False)
    if task.children:
        open_kids = [c for c in task.children if c.status.is_open]
        if open_kids:
            out.line([("open sub-problems:", "bold")])
            for c in open_kids:
                out.line(f"  {c.id}  {c.status.value:<8} {safe(c.title)}")
    out.flush()
    sys.stdout.flush()


def _indented(text: str) -> str:
    """A multi-line entry: its later lines under its first."""
    return text.replace("\n", "\n    ")
