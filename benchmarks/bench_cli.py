"""Cold-start cost of read commands against the bare `import typer, rich.console`.

    python benchmarks/bench_cli.py [--tasks 1000] [--runs 20]

Target (issue 2): `taskbook list --json` on a 1,000-task book within 1.5x the
time of `python -c "import typer, rich.console"`, measured in the same run.
Also checks that textual and git are never imported by these commands.

The book is above the parse cache's threshold, so the plain rows read its
tree from the cache (the cache lives in a private directory of this run);
the "(no cache)" row parses the book every time, which is what the first
command after a hand edit pays.
Run it with bytecode caching on (the default; PYTHONDONTWRITEBYTECODE unset),
as an installed taskbook runs.
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
from benchlib import taskbook_cmd  # noqa: E402
from gen_book import generate  # noqa: E402



def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    tb = taskbook_cmd()
    if tb is None:
        sys.exit("taskbook is not installed (pip install .)")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        env["TASKBOOK_CACHE_DIR"] = str(Path(tmp) / "cache")
        env.pop("TASKBOOK_CACHE", None)
        no_cache = dict(env, TASKBOOK_CACHE="off")
        book = Path(tmp) / "book.md"
        book.write_text(generate(args.tasks, "review"), encoding="utf-8")
        base = [sys.executable, "-c", "import typer, rich.console"]
        cmds = {
            "python -c 'import typer, rich.console'": base,
            "taskbook --help": [*tb, "--help"],
            "taskbook list --json": [*tb, "--book", str(book), "list", "--json"],
            "taskbook list --json (no cache)": [*tb, "--book", str(book), "list", "--json"],
            "taskbook list": [*tb, "--book", str(book), "list"],
            "taskbook next --json": [*tb, "--book", str(book), "next", "--json"],
            "taskbook show ID --json": None,
        }
        first = subprocess.run([*tb, "--book", str(book), "list", "--json"], capture_output=True,
                               text=True, env=env, check=True)
        import json
        tid = json.loads(first.stdout)["tasks"][0]["id"]
        cmds["taskbook show ID --json"] = [*tb, "--book", str(book), "show", tid, "--json"]
        envs = {name: no_cache if "no cache" in name else env for name in cmds}
        for name, cmd in cmds.items():  # warm the bytecode cache and the page cache
            timed(cmd, envs[name])
        samples: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                samples[name].append(timed(cmd, envs[name]))
        base_med = statistics.median(samples["python -c 'import typer, rich.console'"])
        print(f"book: {args.tasks} tasks, {book.stat().st_size / 1e6:.2f} MB; {args.runs} runs each, "
              f"interleaved; median wall time")
        for name, ts in samples.items():
            med = statistics.median(ts)
            print(f"  {name:<42} {med * 1000:7.1f} ms   {med / base_med:4.2f}x baseline")
        imp = subprocess.run([sys.executable, "-X", "importtime", "-m", "taskbook", "--book",
                              str(book), "list", "--json"], capture_output=True, text=True, env=env)
        mods = [ln.rsplit("|", 1)[-1].strip() for ln in imp.stderr.splitlines() if "|" in ln]
        bad = [m for m in mods if m.split(".")[0] in ("textual", "git")]
        print("textual/git imported by list --json:", ", ".join(bad) if bad else "no")


if __name__ == "__main__":
    main()
