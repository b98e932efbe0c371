"""What every command shares: the chosen book, loading it, completion."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import Config, resolve_book
from ..store import Loaded, load


class State:
    """Global options, resolved lazily (most commands need only the path)."""

    def __init__(self, book: str | None) -> None:
        self.book_option = book
        self._resolved: tuple[Path, Config] | None = None

    def _resolve(self) -> tuple[Path, Config]:
        if self._resolved is None:
            self._resolved = resolve_book(self.book_option)
        return self._resolved

    @property
    def path(self) -> Path:
        return self._resolve()[0]

    @property
    def config(self) -> Config:
        return self._resolve()[1]

    @property
    def order(self) -> str | None:
        return str(self.config.get("order")) if self.config.root else None

    def load(self) -> Loaded:
        return load(self.path, self.order)


def complete_address(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion: addresses, with each task's title as help text."""
    try:
        root = ctx.find_root()
        book = root.params.get("book")
        loaded = load(resolve_book(book)[0])
    except Exception:
        return []
    # typer renders completion help as rich markup (zsh, fish, powershell):
    # unescaped, "[todo]" and a title's "[red]" would vanish or style the text
    from rich.markup import escape
    out = []
    low = incomplete.lower()
    for t in loaded.book.all_tasks():
        if t.id.startswith(low) or low in t.title.lower():
            out.append((t.id, escape(f"[{t.status.value}] {t.title}"[:80])))
    return out
