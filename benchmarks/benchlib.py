"""What the benchmark scripts share: which taskbook they run."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def taskbook_cmd() -> list[str] | None:
    """The console script installed beside this interpreter, as the baseline
    `python -c ...` runs this interpreter: a version manager's shim on PATH
    (pyenv's is a shell script) would add its own start-up to every run.
    None when taskbook is not installed."""
    beside = Path(sys.executable).parent / "taskbook"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("taskbook")
    return [found] if found else None
