"""taskbook side by side with Taskwarrior and todo.txt, cold start, same run.

    python benchmarks/bench_peers.py [--sizes 100 1000 10000] [--runs 7] [--build-mb 200]

The one command for issue 8: the table of operations, then parse throughput
(bench_parse.py) and `taskbook build` against `tee` (bench_build.py).

Each tool gets a private data directory holding the same number of tasks;
every command is a fresh process (as an agent or a shell runs it), timed
wall-clock, median of --runs, the tools interleaved so that machine noise
hits them alike.  Needs the Debian packages `taskwarrior` (task) and
`todotxt-cli` (todo-txt); a tool that is missing is reported, not faked.

Targets (issue 8): on 10,000 tasks taskbook `add`, `done` and `list` no slower
than Taskwarrior; on 1,000 tasks within 1.3x of `python -c "import typer,
rich.console"`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import taskbook_cmd  # noqa: E402
from gen_book import generate  # noqa: E402


OPS = ["--help", "list", "show", "add", "done", "next", "list*"]
# list*: taskbook with its parse cache off, i.e. what the first `list` after
# a hand edit of the book costs (the other rows read the cache, which every
# taskbook edit keeps current); the peers' list again, for comparison


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def timed(cmd: list[str], env: dict, cwd: str | None = None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    dt = time.perf_counter() - t0
    if r.returncode not in (0, 1):  # taskwarrior exits 1 for "no matches"
        raise RuntimeError(f"{cmd}: exit {r.returncode}: {r.stderr.decode(errors='replace')[:300]}")
    return dt


class Taskbook:
    name = "taskbook"

    def __init__(self, root: Path, n: int, env: dict) -> None:
        # a project as `taskbook init` leaves it (the shipped config.yaml and
        # TASKBOOK.md), run from inside, as an agent runs it
        self.tb = taskbook_cmd()
        self.cwd = root / "project"
        (self.cwd / ".taskbook").mkdir(parents=True)
        shutil.copy(TEMPLATES / "config.yaml", self.cwd / ".taskbook" / "config.yaml")
        self.book = self.cwd / "TASKBOOK.md"
        self.book.write_text(generate(n, "review"), encoding="utf-8")
        env = dict(env, TASKBOOK_CACHE_DIR=str(root / "taskbook-cache"))
        env.pop("TASKBOOK_CACHE", None)
        env.pop("TASKBOOK_BOOK", None)
        self.env = env
        self.no_cache = dict(env, TASKBOOK_CACHE="off")
        out = subprocess.run([*self.tb, "list", "--json"], env=env, cwd=self.cwd,
                             capture_output=True, text=True, check=True)
        self.ids = [t["id"] for t in json.loads(out.stdout)["tasks"]]
        self.k = 0

    def cmd(self, op: str) -> list[str] | None:
        if op == "--help":
            return [*self.tb, "--help"]
        if op in ("list", "list*"):
            return [*self.tb, "list"]
        if op == "show":
            return [*self.tb, "show", self.ids[len(self.ids) // 2]]
        if op == "add":
            return [*self.tb, "add", "benchmark task"]
        if op == "done":
            self.k += 1
            return [*self.tb, "done", self.ids[-self.k], "--force"]
        if op == "next":
            return [*self.tb, "next"]
        return None

    def env_for(self, op: str) -> dict:
        return self.no_cache if op == "list*" else self.env


class Taskwarrior:
    name = "taskwarrior"

    def __init__(self, root: Path, n: int, env: dict) -> None:
        self.exe = shutil.which("task")
        data = root / "task-data"
        data.mkdir()
        rc = root / "taskrc"
        rc.write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\n"
                      "hooks=off\nnews.version=99.99.99\n", encoding="utf-8")
        self.env = dict(env, TASKRC=str(rc), TASKDATA=str(data))
        tasks = [{"description": f"task number {k} batch unique_id", "status": "pending",
                  "entry": "20261122T000000Z", "uuid": f"00000000-0000-4000-8000-{k:012d}"}
                 for k in range(n)]
        subprocess.run([self.exe, "import", "-"], input=json.dumps(tasks).encode(), env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        self.k = 0

    def cmd(self, op: str) -> list[str] | None:
        if op == "--help":
            return [self.exe, "--version"]
        if op in ("list", "list*"):
            return [self.exe, "list"]
        if op == "show":
            return [self.exe, "1", "info"]
        if op == "add":
            return [self.exe, "add", "benchmark task"]
        if op == "done":
            self.k += 1
            return [self.exe, str(self.k), "done"]
        if op == "next":
            return [self.exe, "next"]
        return None


class TodoTxt:
    name = "todo.txt"

    def __init__(self, root: Path, n: int, env: dict) -> None:
        self.exe = shutil.which("todo-txt") or shutil.which("todo.sh")
        d = root / "todo"
        d.mkdir()
        (d / "todo.txt").write_text("".join(f"task number {k} batch unique_id\n" for k in range(n)),
                                    encoding="utf-8")
        (d / "done.txt").write_text("", encoding="utf-8")
        cfg = root / "todo.cfg"
        cfg.write_text(f'export TODO_DIR="{d}"\nexport TODO_FILE="$TODO_DIR/todo.txt"\n'
                       'export DONE_FILE="$TODO_DIR/done.txt"\nexport REPORT_FILE="$TODO_DIR/report.txt"\n',
                       encoding="utf-8")
        self.env = dict(env, TODOTXT_CFG_FILE=str(cfg))
        self.base = [self.exe, "-d", str(cfg), "-p", "-f"]
        self.k = 0

    def cmd(self, op: str) -> list[str] | None:
        if op == "--help":
            return [*self.base, "shorthelp"]
        if op in ("list", "list*"):
            return [*self.base, "ls"]
        if op == "add":
            return [*self.base, "add", "benchmark task"]
        if op == "done":
            self.k += 1
            return [*self.base, "do", str(self.k)]
        return None  # no show / next in todo.txt


def env_for(tool, op: str) -> dict:
    return tool.env_for(op) if hasattr(tool, "env_for") else tool.env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--build-mb", type=int, default=200,
                    help="output size for the build wrapper against tee (0 skips it)")
    args = ap.parse_args()
    if taskbook_cmd() is None:
        sys.exit("taskbook is not installed (pip install .)")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    base_cmd = [sys.executable, "-c", "import typer, rich.console"]
    print(f"{'tasks':>6} {'op':<7} " + "".join(f"{n:>13}" for n in ("taskbook", "taskwarrior", "todo.txt"))
          + "   taskbook/taskwarrior")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            tools = [Taskbook(root, n, env)]
            missing = []
            for cls in (Taskwarrior, TodoTxt):
                try:
                    tools.append(cls(root, n, env))
                except (TypeError, FileNotFoundError, subprocess.CalledProcessError) as e:
                    missing.append(f"{cls.name} ({e})")
            samples = {(t.name, op): [] for t in tools for op in OPS}
            base = []
            for t in tools:  # warm-up
                for op in OPS:
                    c = t.cmd(op)
                    if c:
                        timed(c, env_for(t, op), getattr(t, "cwd", None))
            for _ in range(args.runs):
                base.append(timed(base_cmd, env))
                for op in OPS:
                    for t in tools:
                        c = t.cmd(op)
                        if c:
                            samples[(t.name, op)].append(timed(c, env_for(t, op), getattr(t, "cwd", None)))
            med_base = statistics.median(base)
            for op in OPS:
                row = []
                for name in ("taskbook", "taskwarrior", "todo.txt"):
                    s = samples.get((name, op))
                    row.append(f"{statistics.median(s) * 1000:10.1f} ms" if s else f"{'-':>13}")
                tb = samples.get(("taskbook", op))
                tw = samples.get(("taskwarrior", op))
                ratio = f"{statistics.median(tb) / statistics.median(tw):6.2f}x" if tb and tw else ""
                print(f"{n:>6} {op:<7} " + "".join(row) + f"   {ratio}")
            ratios = ", ".join(f"{op} {statistics.median(samples[('taskbook', op)]) / med_base:.2f}x"
                               for op in OPS if samples.get(("taskbook", op)))
            print(f"{n:>6} baseline python -c 'import typer, rich.console': {med_base * 1000:.1f} ms; "
                  f"taskbook = {ratios}")
            for m in missing:
                print(f"       missing: {m}")
    import bench_parse
    p = bench_parse.measure(10000, "review", 3)
    print(f"parse + render of a 10,000-task book ({p['mb']:.2f} MB): median "
          f"{p['median'] * 1000:.0f} ms = {p['mb'] / p['median']:.1f} MB/s (target >= 10 MB/s)")
    if args.build_mb:
        import bench_build
        with tempfile.TemporaryDirectory(prefix="bench-build-") as d:
            bench_build.throughput(Path(d), args.build_mb, 3)


if __name__ == "__main__":
    main()
