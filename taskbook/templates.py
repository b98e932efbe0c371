"""Templates shipped with the package (book, plan, agent instructions).

In an installed wheel they live in taskbook/templates/; in a source checkout
(or an editable install) they are the repository's top-level templates/.
"""

from __future__ import annotations

from pathlib import Path

from .errors import TaskbookError


def template_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise TaskbookError("taskbook's templates are missing from this installation")


def read_template(name: str) -> str:
    path = template_dir() / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskbookError(f"template {name} is missing from this installation") from None
