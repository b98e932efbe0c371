"""taskbook: a task tree kept in one hand-written markdown book.

The core (this package minus `cli` and `tui`) imports neither rich, textual
nor git, so it stays cheap to load in a command that runs once per call.
"""

from .errors import TaskbookError
from .model import Book, Dialect, Section, Status, Task
from .parse import parse

__all__ = ["parse", "Book", "Task", "Section", "Status", "Dialect", "TaskbookError"]
__version__ = "0.1.0"
