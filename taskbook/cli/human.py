"""Rendering for people (rich).  Imported only when a command prints text,
so `--json` runs never pay for rich."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

from ..model import Book, Status, Task
from .output import safe

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


def console(wrap_width: int | None = None) -> Console:
    """A console for stdout.  Piped output gets no colour and, for line
    lists, no truncation; `wrap_width` is used for flowing text instead."""
    out = Console(highlight=False, markup=False, emoji=False)
    if not out.is_terminal:
        if wrap_width:
            out = Console(highlight=False, markup=False, emoji=False, color_system=None,
                          width=wrap_width)
        else:
            out = Console(highlight=False, markup=False, emoji=False, soft_wrap=True,
                          color_system=None, width=100_000)
    return out


def _badge(t: Task) -> Text:
    return Text(f"{ICON[t.status]} {t.status.value:<8}", style=STYLE[t.status])


def _progress(t: Task) -> str:
    if not t.children:
        return ""
    done = sum(1 for c in t.children if c.status is Status.DONE)
    total = sum(1 for c in t.children if c.status is not Status.DROPPED)
    return f"  {done}/{total}"


def print_tree(book: Book, nodes: list) -> int:
    """One line per task: address, status, tree guides, title.  Returns count."""
    out = console()
    idw = max([len(t.id) for t in book.all_tasks()] + [5])
    lines: list[Text] = []
    shown = 0
    last_group = None

    def add(node, prefix: str, last: bool, top: bool) -> None:
        nonlocal shown
        t, matched, kids = node
        line = Text()
        line.append(f"{t.id:<{idw}}  ", style="cyan" if matched else "dim cyan")
        line.append(_badge(t) if matched else Text(f"{ICON[t.status]} {t.status.value:<8}", style="dim"))
        line.append(" ")
        if not top:
            line.append(prefix + ("└─ " if last else "├─ "), style="dim")
        line.append(safe(t.title), style=None if matched else "dim")
        prog = _progress(t)
        if prog:
            line.append(prog, style="dim")
        lines.append(line)
        shown += matched
        child_prefix = "" if top else prefix + ("   " if last else "│  ")
        for i, k in enumerate(kids):
            add(k, child_prefix, i == len(kids) - 1, False)

    for node in nodes:
        g = node[0].group
        if g is not last_group and g is not None:
            lines.append(Text(("#" * g.level) + " " + safe(g.title), style="bold"))
            last_group = g
        add(node, "", True, True)
    if lines:
        out.print(Text("\n").join(lines), no_wrap=True, overflow="ellipsis", crop=True)
    return shown


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(s) - len(s.lstrip(" ")) for s in lines if s.strip()]
    cut = min(widths) if widths else 0
    return [s[cut:] for s in lines]


def print_task(book: Book, task: Task) -> None:
    from rich.markdown import Markdown
    out = console(wrap_width=100)
    head = Text()
    head.append(f"{task.id}  ", style="bold cyan")
    head.append(_badge(task))
    head.append(" " + safe(task.title), style="bold")
    out.print(head)
    meta = [f"line {task.line + 1}"]
    if task.marker:
        meta.append(f"marker {task.marker}")
    if task.group:
        meta.append(f"group {task.group.path}")
    if task.parent:
        meta.append(f"parent {task.parent.id} {task.parent.title}")
    out.print(Text(safe(" · ".join(meta)), style="dim"))
    body = _dedent([book.line_text(i) for i in range(task.line, task.end)])
    out.print()
    if out.is_terminal:
        out.print(Markdown(safe("\n".join(body))))
    else:  # piped: the markdown itself is the most useful text
        out.print(Text(safe("\n".join(body))))
    if task.children:
        out.print()
        out.print(Text("sub-problems:", style="bold"))
        for c in task.children:
            line = Text("  ")
            line.append(f"{c.id}  ", style="cyan")
            line.append(_badge(c))
            line.append(" " + safe(c.title))
            out.print(line, no_wrap=True, overflow="ellipsis")


def print_stats(book: Book, total: dict, done: int, tot: int, groups: list[dict]) -> None:
    from rich.table import Table
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
    out = console()
    head = Text()
    head.append("next: ", style="bold")
    head.append(f"{task.id}  ", style="bold cyan")
    head.append(_badge(task))
    head.append(" " + safe(task.title), style="bold")
    out.print(head)
    chain = []
    p = task.parent
    while p is not None:
        chain.append(f"{p.id} {p.title}")
        p = p.parent
    if chain:
        out.print(Text("in: " + safe(" › ".join(reversed(chain))), style="dim"))
    plan = task.section("plan")
    log = task.section("log")
    out.print()
    if plan and plan.entries:
        out.print(Text(f"{plan.label}:", style="bold"))
        for e in plan.entries:
            out.print(Text("  " + safe(e.text)))
    else:
        out.print(Text("no plan yet: write one with `taskbook plan " + task.id + " STEP...`",
                       style="yellow"))
    if log and log.entries and n:
        out.print(Text(f"{log.label} (latest {min(n, len(log.entries))}):", style="bold"))
        for e in log.entries[-n:]:
            out.print(Text("  " + safe(e.text)))
    if task.children:
        open_kids = [c for c in task.children if c.status.is_open]
        if open_kids:
            out.print(Text("open sub-problems:", style="bold"))
            for c in open_kids:
                out.print(Text(f"  {c.id}  {c.status.value:<8} {safe(c.title)}"))
    sys.stdout.flush()
