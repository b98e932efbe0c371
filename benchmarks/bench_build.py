"""`taskbook build` as a wrapper: throughput against tee, and memory.

    python benchmarks/bench_build.py [--mb 200] [--runs 3] [--only throughput|memory]

1. Throughput: `taskbook build --no-sync -- cat FILE` against `cat FILE |
   tee LOG` on the same FILE, runs alternated, medians compared.  Four kinds
   of output: "quiet" (a verbose build: `Compiling`, compiler command lines,
   `[n/N] Building`, with a real diagnostic block every 1000 units), "mixed"
   (a block every 25 units), "dense" (nothing but real cargo/gcc/javac/mypy
   diagnostics, repeated) -- each --mb large -- and "50k warnings" (the
   50,000 distinct gcc warnings of bench_build_sync.py, ~7 MB).  Three ways
   to run taskbook: `--no-sync` (only run and log: what it costs to wrap a
   build), `--no-sync --json` (the diagnostics read too, as a synced build
   reads them) and "runner" (the runner alone, in-process: no CLI start-up).
   Ratios are given whole and net of start-up (each command's median time on
   an empty output subtracted): a 7 MB stream takes tee ~10 ms, less than any
   Python program takes to start.  Target (issue 14): --no-sync >= 0.3x tee
   on the 50,000-warning stream.
2. Peak memory (ru_maxrss of the taskbook process, taken with wait4) for two
   output sizes, with and without the parser: it must not grow with the output.

The real-cargo overhead is measured by bench_build_cargo.py, sync scaling by
bench_build_sync.py.  Both sides write to stdout = /dev/null, so the wrapper
runs on pipes as in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import taskbook_cmd as _installed  # noqa: E402
from bench_build_sync import warnings  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "build"


def taskbook_cmd() -> list[str]:
    return _installed() or [sys.executable, "-m", "taskbook"]


def make_output(path: Path, size: int, dense: bool, every: int = 25) -> None:
    blocks = [(FIXTURES / n).read_bytes() for n in ("cargo_error.txt", "gcc.txt", "javac.txt", "mypy.txt")]
    with open(path, "wb") as f:
        n = i = 0
        while n < size:
            if dense:
                b = blocks[i % len(blocks)]
            else:
                b = (f"   Compiling crate_{i} v0.1.{i % 10} (/work/crates/crate_{i})\n"
                     f"gcc -O2 -Wall -Wextra -Iinclude -c src/mod_{i}.c -o build/mod_{i}.o\n"
                     f"[{i}/99999] Building C object CMakeFiles/app.dir/src/mod_{i}.c.o\n"
                     f"test tests::case_{i} ... ok\n").encode()
                if i % every == 0:
                    b += blocks[(i // every) % len(blocks)]
            f.write(b)
            n += len(b)
            i += 1


def run(cmd, cwd: Path, shell: bool = False, env=None) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of the command's own process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, shell=shell, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 101):
        raise SystemExit(f"{cmd!r} failed with {code}")
    return wall, usage.ru_maxrss


def ways(tmp: Path, data: Path) -> dict[str, tuple]:
    tb = taskbook_cmd()
    pump = [sys.executable, "-c", "import sys; from taskbook.build.runner import run; "
            f"sys.exit(run(['cat', {str(data)!r}], {str(tmp / 'pump.log')!r}).status)"]
    return {"tee": (f"cat {data} | tee {tmp / 'tee.log'} > /dev/null", True),
            "--no-sync": ([*tb, "build", "--no-sync", "--log", str(tmp / "tb.log"), "--",
                           "cat", str(data)], False),
            "--no-sync --json": ([*tb, "build", "--no-sync", "--json", "--log",
                                  str(tmp / "tb.log"), "--", "cat", str(data)], False),
            "runner": (pump, False)}


def throughput(tmp: Path, mb: int, runs: int,
               kinds: tuple[str, ...] = ("quiet", "mixed", "dense", "50k warnings")) -> dict[str, float]:
    """Print the comparison with tee for each kind of output; return the --no-sync ratios (net)."""
    empty = tmp / "empty.txt"
    empty.write_bytes(b"")
    start = {k: statistics.median(run(c, tmp, shell=sh)[0] for _ in range(runs))
             for k, (c, sh) in ways(tmp, empty).items()}
    print("start-up (empty output): " + ", ".join(f"{k} {v:.3f} s" for k, v in start.items()))
    ratios = {}
    for kind in kinds:
        data = tmp / f"{kind.replace(' ', '_')}.txt"
        if kind == "50k warnings":
            warnings(50_000, data)
        else:
            make_output(data, mb << 20, kind == "dense", every=1000 if kind == "quiet" else 25)
        size = data.stat().st_size / 2**20
        times: dict[str, list[float]] = {k: [] for k in start}
        for _ in range(runs):
            for k, (c, sh) in ways(tmp, data).items():
                times[k].append(run(c, tmp, shell=sh)[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        tee_net = max(med["tee"] - start["tee"], 1e-3)
        print(f"{kind:12s} {size:5.1f} MB: tee {med['tee']:6.3f} s ({size / med['tee']:5.0f} MB/s)")
        for k in ("--no-sync", "--no-sync --json", "runner"):
            net = max(med[k] - start[k], 1e-3)
            print(f"    taskbook {k:16s} {med[k]:6.3f} s = {med['tee'] / med[k]:5.2f}x tee whole, "
                  f"{tee_net / net:5.2f}x net of start-up   "
                  f"[{', '.join(f'{x:.3f}' for x in times[k])}]")
        data.unlink()
        ratios[kind] = tee_net / max(med["--no-sync"] - start["--no-sync"], 1e-3)
    return ratios


def memory(tmp: Path, sizes: list[int]) -> None:
    tb = taskbook_cmd()
    for mb in sizes:
        data = tmp / "mem.txt"
        make_output(data, mb << 20, dense=False)
        for flags in (["--no-sync"], ["--no-sync", "--json"]):
            _, rss = run([*tb, "build", *flags, "--log", str(tmp / "m.log"), "--", "cat", str(data)], tmp)
            print(f"peak memory, {mb:4d} MB of output, {' '.join(flags):16s}: {rss / 1024:6.1f} MiB "
                  "(ru_maxrss of taskbook)")
        data.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="output size of the quiet/mixed/dense kinds")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=("throughput", "memory"))
    args = ap.parse_args()
    # as users run it: with compiled bytecode (without, every run compiles
    # taskbook's modules again, ~40 ms)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-build-") as d:
        tmp = Path(d)
        if args.only in (None, "throughput"):
            throughput(tmp, args.mb, args.runs)
        if args.only in (None, "memory"):
            memory(tmp, [20, 200])


if __name__ == "__main__":
    main()
