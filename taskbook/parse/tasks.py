"""Find tasks, sections, groups and notes in a scanned book.

Rules (documented in the README, tested on the seeds and the corpus):

* A list item is a task when its first line carries a checkbox (``[ ]``,
  ``[x]``, ``[*]``, ``[/]`` ...), or a task label (``任务：`` / ``Task:`` /
  ``子问题2：`` ...) with an optional status word in parentheses before or
  after it.
* Inside a task, an ordered item that carries a status word (``2. （done）修复…``)
  is a sub-problem.
* Emoji marks (✅ ⬜️ 🔄 ...) make a list item or heading a task only in books
  where such marks outnumber checkbox and labelled tasks: elsewhere ✅ is
  praise or a field value, not a status (corpus 002, 032).
* Code, HTML blocks, tables and block quotes never hold tasks.
* Labelled items inside a task (分析, 修改计划, 执行记录, ...) are sections.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .. import markers as mk
from ..model import Dialect, Entry, Form, Group, Note, Section, Status, Task
from .blocks import Blocks, Heading
from .verbatim import entry_text

_LABELS = r"任务|子任务[0-9０-９]*|子问题[0-9０-９]*|Task|Sub-?(?:task|problem)(?:[ \t]*[0-9]+)?"
_PAREN = mk.PAREN
# [status] [**]label[**] colon title
_LABEL_RE = re.compile(
    r"(?P<pre>" + _PAREN + r")?(?P<gap>[ \t]*)(?P<label>(?:\*\*)?(?:" + _LABELS +
    r")(?:\*\*)?[ \t]*[：:](?:\*\*)?[ \t]*)", re.I)
_PREFIX_PAREN_RE = re.compile(_PAREN + r"[ \t]*")
_SUFFIX_PAREN_RE = re.compile(r"[ \t]*(" + _PAREN + r")[ \t]*$")
_BOX_RE = re.compile(r"(~~)?\[([^\[\]\n])\](?=[ \t*]|$)")
_BOX_WORD_RE = re.compile(r"\[(" + "|".join(mk.BOX_WORDS) + r")\](?=[ \t]|$)")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$|^#+[ \t]*$")

SECTION_LABELS = {
    "analysis": ["分析", "问题分析", "原因分析", "需求分析", "analysis"],
    "plan": ["修改计划", "执行计划", "实施计划", "修复计划", "计划", "plan", "implementation plan"],
    "log": ["执行记录", "修改过程", "执行过程", "修改记录", "执行日志", "log",
            "execution log", "work log", "progress"],
    "problems": ["遇到的问题", "问题", "problems", "problems met", "issues"],
    "next": ["下一步", "下一步计划", "next", "next step", "next steps"],
}
_SECTION_KIND = {w: k for k, ws in SECTION_LABELS.items() for w in ws}
_NEWEST_FIRST_RE = re.compile(r"新的在前|最新的在前|newest first|latest first|new(?:er)? (?:tasks )?on top", re.I)


_CAND_FIRST = frozenset("[~(（任子TtSs*")
MAX_DEPTH = 64   # deepest task nesting kept; deeper tasks are attached at this depth


def _ends_paren(s: str) -> bool:
    c = s[-1:]
    if c == ")" or c == "）":
        return True
    return (c == " " or c == "\t") and s.rstrip()[-1:] in (")", "）")


def _never(*_args) -> None:
    return None


class _Cand:
    """A task candidate found on one line."""

    __slots__ = ("kind", "status", "marker", "mspan", "mpos", "tspan", "label", "struck", "tag")

    def __init__(self, kind, status, marker, mspan, mpos, tspan, label=None, struck=False):
        self.tag = None
        self.kind = kind        # box | label | paren | emoji
        self.status = status
        self.marker = marker
        self.mspan = mspan
        self.mpos = mpos
        self.tspan = tspan
        self.label = label
        self.struck = struck


def _classify(s: str, p: int, ordered: bool) -> _Cand | None:
    """Is the text of s from p a task line?  Spans are offsets into s."""
    n = len(s.rstrip(" \t"))
    if p >= n:
        return None
    c = s[p]
    # checkbox
    if c == "[" or (c == "~" and s.startswith("~~[", p)):
        m = _BOX_RE.match(s, p)
        if m:
            ch = m.group(2)
            if ch in mk.BOX_CHARS:
                status = mk.BOX_CHARS[ch]
                bs = m.start() + (2 if m.group(1) else 0)
                ts = m.end()
                while ts < n and s[ts] in " \t":
                    ts += 1
                struck = False
                te = n
                if m.group(1):  # "~~[*] title~~ ..." : the box is struck out
                    struck = True
                    status = Status.DROPPED
                    k = s.find("~~", ts)
                    if k != -1:
                        te = k
                elif s.startswith("~~", ts) and s[ts + 2:n].find("~~") != -1 and s[:n].endswith("~~"):
                    struck = True
                    if status is not Status.DONE:
                        status = Status.DROPPED
                return _tagged(s, _Cand("box", status, "[" + ch + "]", (bs, bs + 3), "box",
                                        (ts, te), struck=struck))
        m = _BOX_WORD_RE.match(s, p)
        if m:
            ts = m.end()
            while ts < n and s[ts] in " \t":
                ts += 1
            return _Cand("box", mk.BOX_WORDS[m.group(1)], m.group(0), m.span(), "box", (ts, n))
        return None
    # label, with optional status before it
    if c in "(（任子TtSs*":
        m = _LABEL_RE.match(s, p)
        if m:
            status = Status.TODO
            marker = None
            mspan = None
            mpos = None
            if m.group("pre"):
                marker = m.group("pre")
                status = mk.paren_status(marker)
                if status is None:
                    return None
                mspan = m.span("pre")
                mpos = "prefix"
            ts, te = m.end(), n
            if marker is None:
                sm = _SUFFIX_PAREN_RE.search(s, ts, n + 1) if s[n - 1] in ")）" else None
                if sm and sm.start(1) > ts:
                    st = mk.paren_status(sm.group(1))
                    if st is not None:
                        marker = sm.group(1)
                        mspan = sm.span(1)
                        mpos = "suffix"
                        status = st
                        te = sm.start()
            return _Cand("label", status, marker, mspan, mpos, (ts, te), label=m.group("label"))
    # ordered item with a status word: a sub-problem (only counted inside tasks)
    if ordered:
        if c in "(（":
            m = _PREFIX_PAREN_RE.match(s, p)
            if m:
                marker = m.group(0).rstrip(" \t")
                ts = m.end()
                st = mk.paren_status(marker)
                if ts < n and st is not None:
                    return _Cand("paren", st, marker, (p, p + len(marker)), "prefix", (ts, n))
        if s[n - 1] in ")）":
            sm = _SUFFIX_PAREN_RE.search(s, p, n + 1)
            if sm and sm.start() > p:
                st = mk.paren_status(sm.group(1))
                if st is not None:
                    return _Cand("paren", st, sm.group(1), sm.span(1), "suffix", (p, sm.start()))
    return None


def classify_text(text: str, ordered: bool = False) -> str | None:
    """What kind of task line `text` (an item's content) would be, if any:
    "box", "label", "paren" or "emoji"."""
    cand = _classify(text, 0, ordered) or (_classify_emoji(text, 0) if text else None)
    return cand.kind if cand is not None else None


def _classify_emoji(s: str, p: int) -> _Cand | None:
    n = len(s.rstrip(" \t"))
    if p >= n:
        return None
    m = mk.EMOJI_PREFIX_RE.match(s, p)
    if m:
        ts = m.end()
        while ts < n and s[ts] in " \t":
            ts += 1
        if ts < n and s[ts] in "-=:：→" and s[ts + 1:ts + 2] in (" ", "\t", ""):
            return None   # a legend: "- ✔️ - 已完成" says what the mark means
        if ts < n:
            _, _, st = mk.emoji_in(m.group(0))
            return _tagged(s, _Cand("emoji", st, m.group(0), m.span(), "prefix", (ts, n)))
        return None
    m = mk.EMOJI_SUFFIX_RE.search(s, p, n)
    if m and m.start() > p:
        a, b, st = mk.emoji_in(m.group(0))
        te = m.start()
        # "**title**：✅" - the colon belongs to the title line, not the title
        cand = _Cand("emoji", st, m.group(0)[a:b], (te + a, te + b), "suffix", (p, te))
        note = m.group("note")
        if note and st is Status.TODO:
            word = mk.paren_status(note)
            if word is not None:
                cand.status = word
                cand.tag = m.span("note")
        return cand
    return None


def _tagged(s: str, cand: _Cand) -> _Cand:
    """A status word closing a todo box or mark line refines the status:
    "- [ ] title (planned)" is planned (taskbook's form for statuses that
    checklists and emoji marks have no sign for)."""
    ts, te = cand.tspan
    if cand.status is not Status.TODO or te <= ts or s[te - 1] not in ")）":
        return cand
    sm = _SUFFIX_PAREN_RE.search(s, ts, te)
    if sm is None or sm.start() <= ts:
        return cand
    word = mk.paren_status(sm.group(1))
    if word is None:
        return cand
    cand.status = word
    cand.tag = sm.span(1)
    cand.tspan = (ts, sm.start())
    return cand


def clean_title(raw: str) -> str:
    """The display title: no trailing colon, no wrapping bold or strike."""
    t = raw.strip()
    while t.endswith(("：", ":")) and len(t) > 1:
        t = t[:-1].rstrip()
    for w in ("~~", "**"):
        if len(t) > 2 * len(w) and t.startswith(w) and t.endswith(w) and w not in t[len(w):-len(w)]:
            t = t[len(w):-len(w)].strip()
    return t


class Found(NamedTuple):
    """What `build` found in a scan: the tree and the book-wide facts."""

    tasks: list[Task]               # top-level tasks, in document order
    all_tasks: list[Task]           # every task, in document order
    groups: list[Group]
    notes: list[Note]
    dialect: Dialect
    language: str
    newest_first: bool
    preamble_end: int
    counts: tuple[int, int, int]    # tasks per dialect (see `dialect_counts`)
    labelled: int                   # line of the first labelled task, or -1


def build(lines: list[str], blocks: Blocks, has_emoji: bool = True) -> Found:
    """Build tasks, groups, notes and the book's dialect from a scan."""
    opaque = blocks.opaque
    # 1. candidates on list items and headings
    cands: dict = {}
    n_box = n_label = n_emoji = 0
    emoji_cands: dict = {}
    classify = _classify
    cand_first = _CAND_FIRST
    emoji_search = mk.EMOJI_ONE_RE.search if has_emoji else _never
    # Without any emoji in the book, candidates are found during the tree walk
    # below (one pass); otherwise a first pass counts emoji marks against
    # checkbox and labelled tasks, to decide whether emoji marks are statuses.
    for it in (blocks.items if has_emoji else ()):
        if it.first != "para" or it.quoted:
            continue
        s = lines[it.start]
        tp = it.text_pos
        if (tp < len(s) and s[tp] in cand_first) or (it.ordered and _ends_paren(s)):
            if it.start in opaque:
                continue
            cand = classify(s, tp, it.ordered)
            if cand is not None:
                if cand.kind == "box":
                    n_box += 1
                elif cand.kind == "label":
                    n_label += 1
                cands[it] = cand   # keyed by item: `- - [x] a` is two items on one line
                if cand.kind != "paren":
                    continue
                # "2. **title**：⬜️ (planned)": an emoji mark wins in marked books
        if emoji_search(s, tp) and it.start not in opaque:
            ec = _classify_emoji(s, tp)
            if ec is not None:
                n_emoji += 1
                emoji_cands[it] = ec
    heads: list[tuple[Heading, str, _Cand | None]] = []
    for h in blocks.headings:
        if h.item is not None or h.quoted:
            continue
        s = lines[h.line]
        te = len(s)
        if h.end == h.line + 1:  # ATX: drop a closing sequence of #
            m = _CLOSING_HASHES.search(s, h.text_pos)
            if m:
                te = m.start()
        text_s = s[:te]
        ec = _classify_emoji(text_s, h.text_pos) if emoji_search(text_s, h.text_pos) else None
        if ec is not None:
            n_emoji += 1
        heads.append((h, text_s, ec))

    # Emoji marks are statuses only where they are the book's way of tracking:
    # more of them than checkbox and labelled tasks.  (A rule such as "not
    # when every mark is ✅" would keep corpus 003's outcome bullets out, but
    # would also make a marked book vanish the moment its last task is done.)
    marked = n_emoji > n_box + n_label
    if marked:
        for k, ec in emoji_cands.items():
            c = cands.get(k)
            if c is None or c.kind == "paren":
                cands[k] = ec

    # 2. walk items and headings in document order, building the tree
    tasks: list[Task] = []
    groups: list[Group] = []
    hstack: list[tuple[int, object, Task | None, Group | None]] = []
    heading_tasks: list[Task] = []
    all_tasks: list[Task] = []
    scope_task: Task | None = None     # innermost heading task
    scope_group: Group | None = None   # innermost heading group
    hi = 0
    nh = len(heads)
    next_head = heads[0][0].line if heads else 1 << 62

    def attach(task: Task, parent: Task | None) -> None:
        # a tree deeper than MAX_DEPTH (hostile or broken input) is clamped:
        # deeper tasks hang under their ancestor at the limit
        while parent is not None and parent.depth >= MAX_DEPTH - 1:
            parent = parent.parent
        task.parent = parent
        if parent is None:
            tasks.append(task)
        else:
            task.depth = parent.depth + 1
            parent.children.append(task)
        task.group = scope_group
        all_tasks.append(task)

    def open_heading(h: Heading, text_s: str, ec: _Cand | None) -> None:
        nonlocal scope_task, scope_group
        while hstack and hstack[-1][0] >= h.level:
            hstack.pop()
        scope_task, scope_group = (hstack[-1][2], hstack[-1][3]) if hstack else (None, None)
        if ec is not None and marked:
            raw = text_s[ec.tspan[0]:ec.tspan[1]]
            form = Form(Dialect.MARKED, "heading", h.text_pos, ec.mspan, ec.mpos, ec.tspan,
                        tag_span=ec.tag)
            t = Task("", clean_title(raw), ec.status, ec.marker, h.line, h.end, 0, form, level=h.level)
            attach(t, scope_task)
            heading_tasks.append(t)
            scope_task = t
            hstack.append((h.level, t, scope_task, scope_group))
        else:
            g = Group(clean_title(text_s[h.text_pos:]) if h.end == h.line + 1
                      else clean_title(" ".join(x.strip() for x in lines[h.line:h.end - 1])),
                      h.level, h.line, h.end, scope_group)
            groups.append(g)
            scope_group = g
            hstack.append((h.level, g, scope_task, scope_group))

    get_cand = cands.get
    for it in blocks.items:
        start = it.start
        if start >= next_head:
            while hi < nh and heads[hi][0].line <= start:
                open_heading(*heads[hi])
                hi += 1
            next_head = heads[hi][0].line if hi < nh else 1 << 62
        parent_item = it.parent
        owner = parent_item.owner if parent_item is not None else scope_task
        if has_emoji:
            cand = get_cand(it)
        else:
            cand = None
            if it.first == "para" and not it.quoted:
                s = lines[start]
                tp = it.text_pos
                if ((tp < len(s) and s[tp] in cand_first) or (it.ordered and _ends_paren(s))) \
                        and start not in opaque:
                    cand = classify(s, tp, it.ordered)
        if cand is None:
            it.owner = owner
            continue
        if ((cand.kind == "paren" and owner is None)
                # "Task: ..." under a checkbox is a field, not a sub-task
                or (cand.kind == "label" and owner is not None
                    and owner.form.dialect is Dialect.CHECKLIST)):
            it.owner = owner
            continue
        s = lines[start]
        raw = s[cand.tspan[0]:cand.tspan[1]]
        d = (Dialect.REVIEW if cand.kind in ("label", "paren") else
             Dialect.CHECKLIST if cand.kind == "box" else Dialect.MARKED)
        form = Form(d, "item", it.text_pos, cand.mspan, cand.mpos, cand.tspan,
                    cand.label, cand.struck, cand.tag, it.marker, parent_item is not None)
        t = Task("", clean_title(raw), cand.status, cand.marker, start, it.end, 0, form)
        it.task = t
        it.owner = t
        attach(t, owner)
        p = parent_item
        while p is not None and not p.has_task:
            p.has_task = True
            p = p.parent
    while hi < nh:
        open_heading(*heads[hi])
        hi += 1

    counts = dialect_counts(all_tasks)
    dialect = decide_dialect(counts)

    # 3. heading scopes: a heading task or group ends at the next heading of
    # the same or a higher level
    _close_scopes(lines, [h for h, _, _ in heads], groups, heading_tasks)

    # 4. sections
    for it in blocks.items:
        if it.task is not None:
            _item_sections(lines, it.task, it)
    for t in heading_tasks:
        _heading_sections(lines, t, blocks)

    # 5. notes: top-level items that are neither tasks nor hold any
    notes = [Note(clean_title(lines[it.start][it.text_pos:]), it.start, it.end)
             for it in blocks.roots
             if it.task is None and not it.has_task and not it.quoted
             and it.first == "para" and it.owner is None]

    first_line = first_block_line(tasks, groups, notes, len(lines))
    labelled = next((t for t in all_tasks if t.form.label), None)
    language = (label_language(labelled.form.label) if labelled is not None
                else sample_language(lines))
    return Found(tasks=tasks, all_tasks=all_tasks, groups=groups, notes=notes, dialect=dialect,
                 language=language, newest_first=is_newest_first(dialect, lines, first_line),
                 preamble_end=first_line, counts=counts,
                 labelled=labelled.line if labelled is not None else -1)


# The book-wide decisions, shared with the incremental re-parse
# (`parse.incremental`), which makes them again after a local change.

def dialect_counts(tasks) -> tuple[int, int, int]:
    """How many tasks are written in each dialect: (review, checklist, marked)."""
    n_review = n_box = n_marked = 0
    for t in tasks:
        d = t.form.dialect
        if d is Dialect.REVIEW:
            n_review += 1
        elif d is Dialect.CHECKLIST:
            n_box += 1
        else:
            n_marked += 1
    return n_review, n_box, n_marked


def decide_dialect(counts: tuple[int, int, int]) -> Dialect:
    n_review, n_box, n_marked = counts
    if n_review and n_review >= n_box:
        return Dialect.REVIEW
    if n_box and n_box >= n_marked:
        return Dialect.CHECKLIST
    if n_marked:
        return Dialect.MARKED
    return Dialect.PLAIN


def first_block_line(tasks, groups, notes, total: int) -> int:
    """Where the preamble ends: the first task, heading or note."""
    return min([t.line for t in tasks[:1]] + [g.line for g in groups[:1]]
               + [nt.line for nt in notes[:1]] + [total])


def is_newest_first(dialect: Dialect, lines: list[str], first_line: int) -> bool:
    """Review trees put new tasks on top; other books only when the preamble says so."""
    if dialect is Dialect.REVIEW:
        return True
    return _NEWEST_FIRST_RE.search("".join(lines[:min(first_line, 40)])) is not None


def label_language(label: str) -> str:
    return "zh" if "任务" in label or "子" in label else "en"


def _close_scopes(lines, heads, groups, heading_tasks) -> None:
    nodes = {g.line: g for g in groups}
    nodes.update({t.line: t for t in heading_tasks})
    stack: list[tuple[int, object]] = []
    total = len(lines)

    def finish(node, at: int) -> None:
        end = at
        while end > node.line + 1 and not lines[end - 1].strip():
            end -= 1
        node.end = end

    for h in heads:
        while stack and stack[-1][0] >= h.level:
            finish(stack.pop()[1], h.line)
        node = nodes.get(h.line)
        if node is not None:
            stack.append((h.level, node))
    while stack:
        finish(stack.pop()[1], total)


def _section_of(s: str, p: int) -> tuple[str, str, str] | None:
    """(kind, label, text after the label) if the item at p is a section label.

    Plain string work instead of a regex: this runs on thousands of items.
    """
    seg = s[p:p + 30]
    k = seg.find("：")
    k2 = seg.find(":")
    if k == -1 or (k2 != -1 and k2 < k):
        k = k2
    if k <= 0:
        return None
    label = seg[:k].strip(" \t*")
    kind = _SECTION_KIND.get(label.lower())
    if kind is None:
        return None
    rest = s[p + k + 1:].strip(" \t\r").lstrip("*").strip(" \t")
    return kind, label, rest


_SECTION_FIRST = frozenset(w[0] for w in _SECTION_KIND) | frozenset(
    w[0].upper() for w in _SECTION_KIND) | {"*"}


def _item_sections(lines: list[str], task: Task, item) -> None:
    """Labelled items in the task's own text (not inside its sub-tasks).

    Seed 000 nests 修改计划 and 执行记录 inside 分析, so the items of an
    analysis section are searched too, for bare labels only; no other content
    is searched.  Document order is kept.
    """
    first_chars = _SECTION_FIRST
    sections = task.sections
    for it in item.children:
        if it.task is not None or it.first != "para":
            continue
        s = lines[it.start]
        tp = it.text_pos
        if tp >= len(s) or s[tp] not in first_chars:
            continue
        sec = _section_of(s, tp)
        if sec is None:
            continue
        kind, label, inline = sec
        sections.append(Section(kind, label, it.start, it.end, inline, it.marker, tp,
                                entries=_entries(lines, it)))
        if kind != "analysis":
            continue
        for c in it.children:
            if c.task is not None or c.first != "para":
                continue
            s = lines[c.start]
            tp = c.text_pos
            if tp < len(s) and s[tp] in first_chars:
                sub = _section_of(s, tp)
                if sub is not None and not sub[2]:
                    sections.append(Section(sub[0], sub[1], c.start, c.end, "", c.marker, tp,
                                            True, _entries(lines, c)))


def _entries(lines: list[str], item) -> list[Entry]:
    """The items of a section's label item: its plan steps, log entries ...,
    each with its whole text up to its first nested item (`verbatim`)."""
    out = []
    for c in item.children:
        stop = c.start + 1 if c.quoted else (c.children[0].start if c.children else c.end)
        out.append(Entry(c.start, c.end, entry_text(lines, c.start, stop, c.text_pos, c.ordered),
                         c.marker))
    return out


def _heading_sections(lines: list[str], task: Task, blocks: Blocks) -> None:
    # labelled top-level items inside the heading's own text
    for it in blocks.roots:
        if it.start < task.line:
            continue
        if it.start >= task.end:
            break
        if it.task is None and it.owner is task and it.first == "para":
            sec = _section_of(lines[it.start], it.text_pos)
            if sec is not None:
                kind, label, inline = sec
                task.sections.append(Section(kind, label, it.start, it.end, inline,
                                             it.marker, it.text_pos, entries=_entries(lines, it)))


def sample_language(lines: list[str]) -> str:
    """A book without labelled tasks: judged by the script of its first lines."""
    sample = "".join(lines[:300])[:20000]
    cjk = kana = letters = 0
    for ch in sample:
        if ch.isalpha():
            letters += 1
            if "\u4e00" <= ch <= "\u9fff":
                cjk += 1
            elif "\u3040" <= ch <= "\u30ff":
                kana += 1
    # Chinese prose, not Japanese (kana) and not code with a few CJK comments
    return "zh" if letters and cjk / letters > 0.1 and kana * 5 < cjk else "en"
