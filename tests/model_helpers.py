"""Plain-data views of the model, for comparing two Books in tests."""

from __future__ import annotations


def _item(it) -> list | None:
    if it is None:
        return None
    return [it.start, it.end, it.marker, it.ordered, it.number, it.indent, it.offset,
            it.text_pos, it.first, it.blank_start, it.quoted,
            it.parent.start if it.parent is not None else None,
            [c.start for c in it.children]]


def describe(book, items: bool = True) -> dict:
    """Everything the model exposes, as plain data."""
    def task(t):
        f = t.form
        return [t.id, t.title, t.status.value, t.marker, t.line, t.end, t.depth, t.level,
                [f.dialect.value, f.kind, f.prefix_end, f.marker_span, f.marker_pos, f.title_span,
                 f.label, f.struck, f.tag_span, f.bullet, f.nested],
                t.group.path if t.group else None, t.parent.id if t.parent else None,
                [c.id for c in t.children],
                [[s.kind, s.label, s.line, s.end, s.inline, s.bullet, s.text_pos, s.nested,
                  [[e.line, e.text] for e in s.entries],
                  _item(s.item) if items else None] for s in t.sections],
                _item(t.item) if items else None]
    return dict(
        dialect=book.dialect.value, language=book.language, newest_first=book.newest_first,
        preamble_end=book.preamble_end, bom=book.bom, lines=book.lines,
        counts=list(book.counts), labelled=book.labelled, emoji=book.emoji,
        top=[t.id for t in book.tasks], by_id=sorted(book.by_id),
        tasks=[task(t) for t in book.all_tasks()],
        groups=[[g.title, g.level, g.line, g.end, g.path] for g in book.groups],
        notes=[[n.title, n.line, n.end] for n in book.notes])
