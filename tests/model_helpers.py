"""Plain-data views of the model, for comparing two Books in tests."""

from __future__ import annotations


def describe(book) -> dict:
    """Everything the model exposes, as plain data."""
    def task(t):
        f = t.form
        return [t.id, t.title, t.status.value, t.marker, t.line, t.end, t.depth, t.level,
                [f.dialect.value, f.kind, f.prefix_end, f.marker_span, f.marker_pos, f.title_span,
                 f.label, f.struck, f.tag_span, f.bullet, f.nested],
                t.group.path if t.group else None, t.parent.id if t.parent else None,
                [c.id for c in t.children],
                [[s.kind, s.label, s.line, s.end, s.inline, s.bullet, s.text_pos, s.nested,
                  [[e.line, e.end, e.text, e.bullet] for e in s.entries]] for s in t.sections]]
    return dict(
        dialect=book.dialect.value, language=book.language, newest_first=book.newest_first,
        preamble_end=book.preamble_end, bom=book.bom, lines=book.lines,
        counts=list(book.counts), labelled=book.labelled, emoji=book.emoji,
        top=[t.id for t in book.tasks], by_id=sorted((k, t.line) for k, t in book.by_id.items()),
        tasks=[task(t) for t in book.all_tasks()],
        groups=[[g.title, g.level, g.line, g.end, g.path] for g in book.groups],
        notes=[[n.title, n.line, n.end] for n in book.notes],
        top_items=[list(span) for span in book.top_items])
