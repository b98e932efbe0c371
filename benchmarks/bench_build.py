"""`taskbook build` as a wrapper: throughput against tee, overhead on cargo, memory.

    python benchmarks/bench_build.py [--mb 200] [--runs 3]

1. Throughput: `taskbook build --no-sync -- cat FILE` against
   `cat FILE | tee LOG` on the same FILE of compiler-like output, runs
   alternated, medians compared (target: at least 0.5x tee's speed).  Three
   kinds of output: "quiet" (a verbose build: `Compiling`, compiler command
   lines, `[n/N] Building`, with a real diagnostic block every 1000 units),
   "mixed" (the same with a diagnostic block every 25 units) and
   "dense" (nothing but real cargo/gcc/javac/mypy diagnostics).  taskbook
   finds the diagnostics while it copies (past 4 MiB of output, in a second
   process, on a machine with more than one core); tee only copies.  "runner
   without the parser" is the copying and the clean log alone.
2. Overhead on a real small `cargo build` (a generated 40-module crate, fresh
   target directory each run; target <= 5 %).  taskbook's own start-up (the
   Python interpreter and the CLI, ~0.3 s on an idle machine) is included.
3. Peak memory (ru_maxrss of the taskbook process, taken with wait4) for two
   output sizes: it must not grow with the output.

Both sides write to stdout = /dev/null, so the wrapper runs on pipes as in CI.
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


def make_crate(root: Path, modules: int) -> Path:
    """A real, small project: `modules` files of plain functions and a few warnings."""
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "benchcrate"\nversion = "0.1.0"\n'
                                     'edition = "2021"\n\n[dependencies]\n')
    mods = []
    for m in range(modules):
        fns = [f"pub fn f{k}(v: &[u64]) -> u64 {{ let unused_{k} = {k}; "
               f"v.iter().map(|x| x.wrapping_mul({k + 3})).filter(|x| x % {k + 2} != 0).sum() }}"
               for k in range(60)]
        (root / "src" / f"m{m}.rs").write_text("\n".join(fns) + "\n")
        mods.append(f"mod m{m};")
    calls = " + ".join(f"m{m}::f{m % 60}(&v)" for m in range(modules))
    (root / "src" / "main.rs").write_text("\n".join(mods) + "\nfn main() { let v: Vec<u64> = "
                                          f"(0..100).collect(); println!(\"{{}}\", {calls}); }}\n")
    return root


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


def throughput(tmp: Path, mb: int, runs: int,
               kinds: tuple[str, ...] = ("quiet", "mixed", "dense")) -> dict[str, float]:
    """Print the comparison with tee for each kind of output; return the ratios."""
    tb = taskbook_cmd()
    ratios = {}
    for kind in kinds:
        data = tmp / f"{kind}.txt"
        make_output(data, mb << 20, kind == "dense", every=1000 if kind == "quiet" else 25)
        size = data.stat().st_size / 2**20
        pump = [sys.executable, "-c", "import sys; from taskbook.build.runner import run; "
                f"sys.exit(run(['cat', {str(data)!r}], {str(tmp / 'pump.log')!r}).status)"]
        tee, ours, bare = [], [], []
        for _ in range(runs):
            tee.append(run(f"cat {data} | tee {tmp / 'tee.log'} > /dev/null", tmp, shell=True)[0])
            ours.append(run([*tb, "build", "--no-sync", "--log", str(tmp / "tb.log"), "--",
                             "cat", str(data)], tmp)[0])
            bare.append(run(pump, tmp)[0])
        t, o, b = statistics.median(tee), statistics.median(ours), statistics.median(bare)
        print(f"throughput {kind:5s} {size:4.0f} MB: tee {t:6.2f} s ({size / t:4.0f} MB/s) | "
              f"taskbook build {o:6.2f} s ({size / o:4.0f} MB/s) = {t / o:4.2f}x tee | "
              f"runner without the parser {b:6.2f} s = {t / b:4.2f}x tee   "
              f"[tee {', '.join(f'{x:.2f}' for x in tee)}; build {', '.join(f'{x:.2f}' for x in ours)}; "
              f"runner {', '.join(f'{x:.2f}' for x in bare)}]")
        data.unlink()
        ratios[kind] = t / o
    return ratios


def cargo_overhead(tmp: Path, runs: int) -> None:
    if shutil.which("cargo") is None:
        print("cargo overhead: skipped (cargo is not installed)")
        return
    crate = make_crate(tmp / "crate", modules=40)
    env = dict(os.environ, CARGO_TARGET_DIR=str(tmp / "target"))
    build = ["cargo", "build", "--offline", "-q"]
    plain, wrapped = [], []
    for _ in range(runs):
        shutil.rmtree(tmp / "target", ignore_errors=True)
        plain.append(run(build, crate, env=env)[0])
        shutil.rmtree(tmp / "target", ignore_errors=True)
        wrapped.append(run([*taskbook_cmd(), "build", "--no-sync", "--", *build], crate, env=env)[0])
    p, w = statistics.median(plain), statistics.median(wrapped)
    print(f"cargo build (fresh target dir): plain {p:.2f} s, via taskbook {w:.2f} s, "
          f"overhead {100 * (w - p) / p:+.1f} %   "
          f"[plain {', '.join(f'{x:.2f}' for x in plain)}; taskbook {', '.join(f'{x:.2f}' for x in wrapped)}]")


def memory(tmp: Path, sizes: list[int]) -> None:
    tb = taskbook_cmd()
    for mb in sizes:
        data = tmp / "mem.txt"
        make_output(data, mb << 20, dense=False)
        _, rss = run([*tb, "build", "--no-sync", "--log", str(tmp / "m.log"), "--", "cat", str(data)], tmp)
        print(f"peak memory with {mb:5d} MB of output: {rss / 1024:6.1f} MiB (ru_maxrss of taskbook)")
        data.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="output size for the throughput test")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=("throughput", "cargo", "memory"))
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-build-") as d:
        tmp = Path(d)
        if args.only in (None, "throughput"):
            throughput(tmp, args.mb, args.runs)
        if args.only in (None, "cargo"):
            cargo_overhead(tmp, args.runs)
        if args.only in (None, "memory"):
            memory(tmp, [20, 200])


if __name__ == "__main__":
    main()
