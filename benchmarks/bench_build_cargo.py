"""What `taskbook build` adds to a real `cargo build` that prints thousands of warnings.

    python benchmarks/bench_build_cargo.py [--modules 20] [--fns 60] [--runs 5]

A generated crate (MODULES files of FNS functions, each with an unused
variable, none of them called: two warnings per function, 2,400 by default)
is built three ways, in alternation:

* `cargo build 2>&1 | tee compilelog` (the baseline: what a user would type);
* `taskbook build -- cargo build` (log, diagnostics and sync into a book that
  already tracks every warning: the steady state of a project);
* `taskbook build --no-sync -- cargo build` (log only).

Two scenarios: "no-op" (nothing changed: cargo replays its cached warnings
in well under a second -- the worst case for a wrapper, whose start-up and
parsing are then a large share) and "fresh" (the target directory removed
before each run: a full compile).  Medians of the runs and the median of the
paired ratios are printed; the target of issue 14 is an overhead <= 5 %.
Both sides write to stdout = /dev/null, so both run on pipes, as in CI.
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


def taskbook_cmd() -> list[str]:
    return _installed() or [sys.executable, "-m", "taskbook"]


def make_crate(root: Path, modules: int, fns: int) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "noisy"\nversion = "0.1.0"\n'
                                     'edition = "2021"\n\n[dependencies]\n')
    for m in range(modules):
        body = "\n".join(f"pub fn f{k}(v: &[u64]) -> u64 {{\n    let unused_{k} = {k};\n"
                         f"    v.iter().map(|x| x.wrapping_mul({k + 3})).sum()\n}}\n"
                         for k in range(fns))
        (root / "src" / f"m{m}.rs").write_text(body)
    mods = "\n".join(f"mod m{m};" for m in range(modules))
    (root / "src" / "main.rs").write_text(mods + '\nfn main() { println!("noisy"); }\n')
    return root


def timed(cmd, cwd: Path, env: dict, shell: bool = False) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, shell=shell, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{cmd!r} failed ({r.returncode}):\n{r.stderr.decode()[-2000:]}")
    return wall


def scenario(name: str, crate: Path, env: dict, runs: int, fresh: bool) -> None:
    tb = taskbook_cmd()
    target = Path(env["CARGO_TARGET_DIR"])
    variants = {
        "cargo | tee": ("cargo build --offline 2>&1 | tee compilelog > /dev/null", True),
        "taskbook build": ([*tb, "build", "--", "cargo", "build", "--offline"], False),
        "taskbook --no-sync": ([*tb, "build", "--no-sync", "--", "cargo", "build", "--offline"], False),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(runs):
        for k, (cmd, shell) in variants.items():
            if fresh:
                shutil.rmtree(target, ignore_errors=True)
            times[k].append(timed(cmd, crate, env, shell=shell))
    base = times["cargo | tee"]
    print(f"{name}:")
    for k, xs in times.items():
        ratio = statistics.median(x / b for x, b in zip(xs, base))
        print(f"  {k:20s} median {statistics.median(xs):6.2f} s  paired ratio {ratio:5.3f} "
              f"({100 * (ratio - 1):+5.1f} %)   [{', '.join(f'{x:.2f}' for x in xs)}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", type=int, default=20)
    ap.add_argument("--fns", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", choices=("no-op", "fresh"))
    args = ap.parse_args()
    # as users run it: with compiled bytecode (without, every run compiles
    # taskbook's modules again, ~40 ms)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if shutil.which("cargo") is None:
        raise SystemExit("cargo is not installed")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{args.runs} runs of each, alternated")
    with tempfile.TemporaryDirectory(prefix="bench-cargo-") as d:
        tmp = Path(d)
        crate = make_crate(tmp / "crate", args.modules, args.fns)
        env = dict(os.environ, CARGO_TARGET_DIR=str(tmp / "target"), CARGO_TERM_COLOR="never",
                   TASKBOOK_CACHE_DIR=str(tmp / "cache"))
        (crate / ".taskbook").mkdir()
        (crate / ".taskbook" / "config.yaml").write_text("build:\n  max_new_tasks: 0\n")
        (crate / "TASKBOOK.md").write_text("# Tasks\n\n- [ ] ship it\n")
        # every warning tracked once: the runs measure a project's steady state
        subprocess.run([*taskbook_cmd(), "build", "--", "cargo", "build", "--offline"], cwd=crate,
                       env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        book = (crate / "TASKBOOK.md").read_text()
        log = (crate / "compilelog").read_text()
        print(f"crate: {args.modules} modules x {args.fns} functions; "
              f"{log.count(chr(10) + 'warning: ')} warnings in the log, "
              f"{book.count('[fp:')} tracked in the book")
        if args.only in (None, "no-op"):
            scenario("no-op build (cargo replays its cached warnings)", crate, env, args.runs, False)
        if args.only in (None, "fresh"):
            scenario("fresh build (target directory removed before each run)", crate, env,
                     args.runs, True)


if __name__ == "__main__":
    main()
