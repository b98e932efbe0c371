"""Helpers for the `taskbook build` tests: run the real CLI, make small projects.

Everything is real: the taskbook program as a separate process, real
compilers, real signals, real pseudo-terminals.  A tool that is missing makes
its tests skip with the tool's name in the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cli_helpers import TASKBOOK, base_env

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "build"


def tb(*args: str, cwd: Path, book: Path | None = None, timeout: float = 120,
       **kw) -> subprocess.CompletedProcess:
    """Run `taskbook [--book BOOK] ARGS...` in `cwd`; stdout/stderr captured as text."""
    cmd = [*TASKBOOK]
    if book is not None:
        cmd += ["--book", str(book)]
    return subprocess.run(cmd + list(args), cwd=cwd, env=base_env(), capture_output=True,
                          text=True, errors="replace", timeout=timeout, **kw)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed on this machine")
    return path


def text_of(pieces) -> str:
    """The text of what a `Cleaner` returned: (buf, start, end) pieces of the log."""
    return "".join(buf[start:end].decode("utf-8") for buf, start, end in pieces)


def fixture_text(name: str) -> str:
    """A captured output, cleaned the way the runner cleans a live stream."""
    from taskbook.build.runner import scrub
    return scrub((FIXTURES / name).read_bytes()).decode("utf-8")


CRATE_MAIN = """\
mod util;

fn helper() -> i32 {
    7
}

fn main() {
    let unique_id = String::from("id");
    let x = 5;
    let moved = unique_id;
    println!("{}", unique_id);
    let w = vec![1, 2, 3];
    util::used();
}
"""

CRATE_UTIL = """\
use std::fmt::Write;

pub fn used() {}

pub fn unused_fn() -> u8 {
    let mut count = 3;
    count
}
"""


def make_crate(root: Path) -> Path:
    """A tiny crate with one error (E0382) and several warnings."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.toml").write_text(
        '[package]\nname = "broken"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n')
    (root / "src" / "main.rs").write_text(CRATE_MAIN)
    (root / "src" / "util.rs").write_text(CRATE_UTIL)
    return root


def cargo_env(target: Path) -> dict[str, str]:
    env = base_env(CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never",
                   CARGO_NET_OFFLINE="true")
    return env


def write_config(root: Path, text: str) -> None:
    (root / ".taskbook").mkdir(exist_ok=True)
    (root / ".taskbook" / "config.yaml").write_text(text, encoding="utf-8")
