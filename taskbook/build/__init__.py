"""`taskbook build`: run a build, keep its log, turn its diagnostics into tasks.

Four parts, each usable alone:

* `runner`: runs the command on a pty (or pipes), shows the output live,
  writes the cleaned log (claimed with a lock, so two builds never share
  one) with a header and a footer, returns how it ended;
* `diagnostics`: a streaming parser for compiler, checker and test-runner
  output (fed while the build runs, or over a saved log), text or the JSON
  a tool prints when asked;
* `sync`: decides what a run changes in the book -- new tasks, notes, closed
  and reopened ones -- in one `store.transact`;
* `layout`: where those changes go, planned against the book as read and
  written in one pass, new tasks in the form `edit` gives them.

None of them imports rich, textual or git: a build pays only for what it uses.
"""
