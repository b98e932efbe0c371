"""`taskbook board` on a large book, driven by Textual's Pilot.

    python benchmarks/bench_board.py [--tasks 5000] [--moves 60] [--runs 5]

Targets (issue 5): first paint of a 5,000-task book <= 1.5 s; median
key-to-repaint time of a cursor move <= 50 ms.

* first paint: a fresh interpreter (as `taskbook board` starts), timed from
  its first line (imports of Textual and taskbook, reading and parsing the
  book, building the rows, mounting the app) to the first frame rendered as
  terminal output.  The part spent before the app starts is shown too.
* key-to-repaint: `down` (and some `pagedown`) presses in the running app
  (160x50), each timed from the key event to the first frame rendered as
  terminal output after it.  One key at a time (the detail pane re-renders
  its markdown in that same frame), then held down at 30 keys/s (the detail
  pane waits until the cursor rests; the cursor does not wait for it).

Pilot's own press() waits until the process looks idle, sleeping in steps,
which measures Pilot more than the board; so keys are sent the way the
terminal driver sends them, and the app's display hook records when a frame
is produced (and renders it to terminal sequences, as a real driver would).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # the interpreter is up: every import after this counts

import argparse  # noqa: E402
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gen_book import generate  # noqa: E402

SIZE = (160, 50)


def record_paints(app, paints: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Wrap the app's display hook: append the time of each frame painted."""
    from rich.console import Console
    from textual._compositor import CompositorUpdate

    terminal = Console(file=open(os.devnull, "w"), force_terminal=True, width=SIZE[0],
                       height=SIZE[1], color_system="truecolor")
    display = app._display

    def timed_display(screen, renderable):  # type: ignore[no-untyped-def]
        display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(terminal)
            paints.append(time.perf_counter())

    app._display = timed_display


def open_app(book: Path):  # type: ignore[no-untyped-def]
    from taskbook.actions import BookTarget
    from taskbook.config import Config
    from taskbook.tui.app import BoardApp
    from taskbook.tui.state import BoardState

    state = BoardState(BookTarget(book, Config(None)))
    state.load()
    return BoardApp(state)


async def _first_paint(book: Path, t0: float) -> None:
    app = open_app(book)
    t_loaded = time.perf_counter()
    paints: list[float] = []
    record_paints(app, paints)
    async with app.run_test(size=SIZE) as pilot:
        while not paints:
            await asyncio.sleep(0.001)
        rows = len(app.screen.tree.rows)
        await pilot.pause()
    print(f"{paints[0] - t0:.4f} {t_loaded - t0:.4f} {rows}")


def first_paint(book: Path, runs: int) -> tuple[list[float], list[float], int]:
    """Run `--first-paint BOOK` in fresh interpreters; (totals, before app, rows)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, __file__, "--first-paint", str(book)]
    subprocess.run(cmd, check=True, env=env, capture_output=True)  # warm the caches
    totals, before, rows = [], [], 0
    for _ in range(runs):
        out = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True).stdout.split()
        totals.append(float(out[0]))
        before.append(float(out[1]))
        rows = int(out[2])
    return totals, before, rows


async def key_to_repaint(book: Path, moves: int) -> dict[str, list[float]]:
    from textual import events

    app = open_app(book)
    paints: list[float] = []
    record_paints(app, paints)

    async def press(key: str) -> float:
        n = len(paints)
        t0 = time.perf_counter()
        app._driver.send_message(events.Key(key, None))
        while len(paints) == n:
            await asyncio.sleep(0.0005)
        return paints[n] - t0

    samples: dict[str, list[float]] = {"down, one at a time": [], "down, held (30/s)": [],
                                       "pagedown": [], "v (tree/board)": []}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.tree
        for k in range(moves):
            key = "pagedown" if k % 10 == 9 else "down"
            before = tree.cursor
            name = "pagedown" if key == "pagedown" else "down, one at a time"
            samples[name].append(await press(key))
            await asyncio.sleep(0.25)   # the detail pane has caught up: nothing pending
            assert tree.cursor != before
        for _ in range(moves):
            t = await press("down")
            samples["down, held (30/s)"].append(t)
            await asyncio.sleep(max(0.0, 1 / 30 - t))
        await asyncio.sleep(0.3)
        for _ in range(4):
            samples["v (tree/board)"].append(await press("v"))
            await asyncio.sleep(0.3)
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--moves", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--first-paint", metavar="BOOK", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.first_paint:
        asyncio.run(_first_paint(Path(args.first_paint), T0))
        return
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book.md"
        book.write_text(generate(args.tasks, "review"), encoding="utf-8")
        totals, before, rows = first_paint(book, args.runs)
        print(f"book: {args.tasks} tasks, {book.stat().st_size / 1e6:.2f} MB, {rows} rows in the "
              f"tree (open tasks and their context); load average {os.getloadavg()[0]:.1f}")
        print(f"first paint: median {statistics.median(totals) * 1000:.0f} ms "
              f"(imports + read + parse {statistics.median(before) * 1000:.0f} ms), "
              f"best {min(totals) * 1000:.0f} ms, {args.runs} runs; target <= 1500 ms")
        samples = asyncio.run(key_to_repaint(book, args.moves))
        for key, ts in samples.items():
            ts = sorted(ts)
            print(f"key-to-repaint {key:<20} median {statistics.median(ts) * 1000:6.1f} ms, "
                  f"p90 {ts[max(0, int(len(ts) * 0.9) - 1)] * 1000:6.1f} ms ({len(ts)} keys)")
        print("target: median cursor move <= 50 ms")


if __name__ == "__main__":
    main()
