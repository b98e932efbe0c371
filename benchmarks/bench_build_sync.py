"""Build sync scaling: N gcc warnings into a book, and the same N again.

    python benchmarks/bench_build_sync.py [--sizes 500 2000 10000 50000] [--runs 3]
                                          [--modes one by-code]

For each size N, a stream of N distinct gcc warnings (each with its source
line and caret, ~150 bytes, five kinds of warning in 500 files) is built with
`taskbook build -- cat warnings.txt`:

* "fresh": into a fresh copy of a small book (every warning a new task);
* "again": the same stream into the book that run wrote (nothing new: the
  book is read, indexed and left alone);
* "no-sync": `taskbook build --no-sync` on the same stream, the wrapper alone.

Runs alternate fresh / again / no-sync; medians are printed, and the cost of
syncing as the median of the paired differences (run i with sync minus run i
without).  Peak memory is the ru_maxrss of the taskbook process (wait4).
`--modes` picks the `build.tasks` settings, always with `max_new_tasks: 0`
(no cap: every warning becomes a task -- the worst case); `one` writes N
top-level tasks, `by-code` five kinds with N sub-tasks.  The targets of issue
14: 2,000 fresh <= 2 s of sync, 50,000 fresh <= 20 s, 50,000 again <= 3 s,
memory <= 150 MiB at 50,000.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import taskbook_cmd as _installed  # noqa: E402

BOOK = "# Tasks\n\n- [ ] write the parser\n  - Log:\n    - started\n"
KINDS = [("unused variable ‘v{i}’", "-Wunused-variable", "    int v{i} = {i};", 9),
         ("unused parameter ‘p{i}’", "-Wunused-parameter", "int f{i}(int p{i}) {{", 12),
         ("comparison of integer expressions of different signedness: ‘int’ and "
          "‘unsigned int’", "-Wsign-compare", "    if (a{i} < b) {{", 12),
         ("‘g{i}’ defined but not used", "-Wunused-function", "static int g{i}(void) {{", 12),
         ("implicit declaration of function ‘h{i}’", "-Wimplicit-function-declaration",
          "    h{i}();", 5)]


def taskbook_cmd() -> list[str]:
    return _installed() or [sys.executable, "-m", "taskbook"]


def warnings(n: int, path: Path) -> None:
    """N distinct gcc warnings with their source lines, as gcc prints them."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            msg, code, src, col = KINDS[i % len(KINDS)]
            line = 10 + (i // 500) * 3
            f.write(f"src/mod_{i % 500}.c:{line}:{col}: warning: {msg.format(i=i)} [{code}]\n"
                    f" {line:4d} | {src.format(i=i)}\n      |         ^~~~\n")


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of the command's own process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd!r} failed:\n{err}")
    return wall, usage.ru_maxrss


def bench(tmp: Path, n: int, mode: str, runs: int) -> dict:
    d = tmp / f"{mode}-{n}"
    (d / ".taskbook").mkdir(parents=True)
    (d / ".taskbook" / "config.yaml").write_text(
        f"build:\n  tasks: {mode}\n  max_new_tasks: 0\n", encoding="utf-8")
    warnings(n, d / "warnings.txt")
    tb = taskbook_cmd()
    book = d / "TASKBOOK.md"
    fresh, again, bare, rss_fresh, rss_again = [], [], [], [], []
    for _ in range(runs):
        book.write_text(BOOK, encoding="utf-8")
        shutil.rmtree(d / "cache", ignore_errors=True)
        t, r = run([*tb, "build", "--", "cat", "warnings.txt"], d)
        fresh.append(t)
        rss_fresh.append(r)
        t, r = run([*tb, "build", "--", "cat", "warnings.txt"], d)
        again.append(t)
        rss_again.append(r)
        bare.append(run([*tb, "build", "--no-sync", "--", "cat", "warnings.txt"], d)[0])
    tasks = book.read_text(encoding="utf-8").count("[fp:")
    if tasks != n:
        raise SystemExit(f"{mode} {n}: the book tracks {tasks} diagnostics, not {n}")
    return {"fresh": fresh, "again": again, "bare": bare,
            "rss_fresh": max(rss_fresh) / 1024, "rss_again": max(rss_again) / 1024,
            "book_mb": book.stat().st_size / 2**20}


def median_diff(a: list[float], b: list[float]) -> float:
    return statistics.median(x - y for x, y in zip(a, b))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000, 50000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--modes", nargs="+", default=["one", "by-code"], choices=["one", "by-code", "grouped"])
    args = ap.parse_args()
    # as users run it: with compiled bytecode (without, every run compiles
    # taskbook's modules again, ~40 ms)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{args.runs} paired runs per size; times are medians")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as t:
        tmp = Path(t)
        os.environ["TASKBOOK_CACHE_DIR"] = str(tmp / "cache")
        run([*taskbook_cmd(), "build", "--no-sync", "--log", str(tmp / "warm.log"), "--", "true"],
            tmp)   # untimed: writes the bytecode
        for mode in args.modes:
            prev = None
            for n in args.sizes:
                r = bench(tmp, n, mode, args.runs)
                m = {k: statistics.median(r[k]) for k in ("fresh", "again", "bare")}
                sync_fresh = median_diff(r["fresh"], r["bare"])
                sync_again = median_diff(r["again"], r["bare"])
                growth = "" if prev is None else (f"  x{sync_fresh / prev[1]:.1f} sync time "
                                                  f"for x{n / prev[0]:.1f} warnings")
                print(f"{mode:7s} {n:6d} warnings: fresh {m['fresh']:6.2f} s, again {m['again']:5.2f} s, "
                      f"no-sync {m['bare']:5.2f} s | sync {sync_fresh:6.2f} s fresh, "
                      f"{sync_again:5.2f} s again | peak {r['rss_fresh']:5.0f} MiB fresh, "
                      f"{r['rss_again']:5.0f} MiB again | book {r['book_mb']:5.1f} MB{growth}")
                print(f"        runs: fresh {_fmt(r['fresh'])}; again {_fmt(r['again'])}; "
                      f"no-sync {_fmt(r['bare'])}")
                prev = (n, max(sync_fresh, 1e-3))


def _fmt(xs: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


if __name__ == "__main__":
    main()
