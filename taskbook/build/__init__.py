"""`taskbook build`: run a build, keep its log, turn its diagnostics into tasks.

Three parts, each usable alone:

* `runner`: runs the command on a pty (or pipes), shows the output live,
  writes the cleaned log with a header and a footer, returns how it ended;
* `diagnostics`: a streaming parser for compiler, checker and test-runner
  output (fed while the build runs, or over a saved log);
* `sync`: records new diagnostics as tasks in the book and notes the ones a
  complete build no longer reports, through `edit` and `store.transact`.

None of them imports rich, textual or git: a build pays only for what it uses.
"""
