"""Parse + render throughput on a generated seed-000-style book.

    python benchmarks/bench_parse.py [--tasks 10000] [--repeat 5]

Target (issue 2): >= 10 MB/s for parse + render of a 10,000-task book.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import taskbook  # noqa: E402
from gen_book import generate  # noqa: E402


def measure(tasks: int = 10000, style: str = "review", repeat: int = 5) -> dict:
    """Parse + render times of a generated book: sizes and seconds."""
    data = generate(tasks, style).encode("utf-8")
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        book = taskbook.parse(data)
        out = book.render()
        times.append(time.perf_counter() - t0)
        assert out == data
        del book, out
    n = sum(1 for _ in taskbook.parse(data).all_tasks())
    return {"mb": len(data) / 1e6, "lines": data.count(b"\n"), "tasks": n,
            "median": statistics.median(times), "best": min(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--style", default="review", choices=("review", "checklist"))
    args = ap.parse_args()
    m = measure(args.tasks, args.style, args.repeat)
    mb, med, best = m["mb"], m["median"], m["best"]
    print(f"book: {args.style}, {args.tasks} top-level tasks ({m['tasks']} tasks in all), {mb:.2f} MB, "
          f"{m['lines']} lines")
    print(f"parse+render: median {med * 1000:.0f} ms, best {best * 1000:.0f} ms "
          f"-> {mb / med:.1f} MB/s (best {mb / best:.1f} MB/s); target >= 10 MB/s")


if __name__ == "__main__":
    main()
