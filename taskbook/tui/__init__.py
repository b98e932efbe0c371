"""`taskbook board`: the Textual review board.

Only the `board` command imports this package, so every other command
starts without paying for Textual.  Layout: `app.py` (thin App),
`state.py` (the book and the filters, no widgets), `view.py` (rows from a
book, no Textual), `screens/` and `widgets/`, styles in `board.tcss`.
"""
