"""Structured output, when the user asks a tool for it: the same diagnostics as its text.

Each test runs a real tool twice, in its text form and in its JSON form
(`cargo --message-format=json`, `gcc -fdiagnostics-format=json`,
`mypy -O json`, `ruff --output-format=json-lines`), through `taskbook build
--no-sync --json`, and checks that both give the same diagnostics with the
same fingerprints -- so switching forms never doubles a task.  JSON adds the
rustc lint of every warning, which `by-code` then groups by.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from build_helpers import TASKBOOK, cargo_env, make_crate, need
from taskbook.build.diagnostics import Scan, from_json

C_SRC = "int f(int a) {\n    int q = 1;\n    return undefined_thing;\n}\n"
PY_SRC = "import os\nimport sys\n\n\ndef f(x: int) -> str:\n    return x\n"


def found(cwd, *cmd, env=None) -> list[tuple]:
    r = subprocess.run([*TASKBOOK, "build", "--no-sync", "--json", "--", *cmd], cwd=cwd,
                       env=env, capture_output=True, text=True, timeout=300)
    doc = json.loads(r.stdout)
    return sorted((d["tool"], d["severity"], d["code"], d["file"], d["message"], d["fingerprint"])
                  for d in doc["diagnostics"])


def test_gcc_json_gives_what_gcc_text_gives(tmp_path):
    need("gcc")
    (tmp_path / "w.c").write_text(C_SRC)
    text = found(tmp_path, "gcc", "-Wall", "-Wextra", "-c", "w.c", "-o", "/dev/null")
    js = found(tmp_path, "gcc", "-Wall", "-Wextra", "-fdiagnostics-format=json", "-c", "w.c",
               "-o", "/dev/null")
    assert len(text) == 4 and js == text
    assert {t[2] for t in text} == {"-Wunused-variable", "-Wunused-parameter", "-Wreturn-type", None}


def test_mypy_and_ruff_json_give_what_their_text_gives(tmp_path):
    (tmp_path / "a.py").write_text(PY_SRC)
    mypy = shutil.which("mypy")
    ruff = shutil.which("ruff")
    if mypy is None or ruff is None:
        pytest.skip("mypy and ruff are needed")
    text = found(tmp_path, mypy, "--no-incremental", "a.py")
    js = found(tmp_path, mypy, "--no-incremental", "-O", "json", "a.py")
    assert text and js == text and text[0][2] == "return-value"
    text = found(tmp_path, ruff, "check", "--no-cache", "--output-format=concise", "a.py")
    js = found(tmp_path, ruff, "check", "--no-cache", "--output-format=json-lines", "a.py")
    assert {t[2] for t in text} >= {"F401"} and js == text


def test_cargo_json_gives_what_cargo_text_gives_and_names_each_lint(tmp_path):
    need("cargo")
    root = make_crate(tmp_path / "crate")
    env = cargo_env(tmp_path / "target")
    text = found(root, "cargo", "build", "--offline", env=env)
    js = found(root, "cargo", "build", "--offline", "--message-format=json", env=env)
    assert js == text and any(t[2] == "E0382" for t in text)
    # every warning carries its lint in JSON (text prints it on the first of each only)
    out = subprocess.run(["cargo", "build", "--offline", "--message-format=json"], cwd=root,
                         env=env, capture_output=True, text=True, timeout=300).stdout
    scan = Scan(root)
    scan.feed(0, out)
    lints = {d.message: d.lint for d in scan.close().diagnostics if d.severity == "warning"}
    assert lints["unused variable: `x`"] == lints["unused variable: `w`"] == "unused_variables"
    assert lints["unused import: `std::fmt::Write`"] == "unused_imports"


def test_by_code_groups_cargo_json_warnings_by_lint(tmp_path):
    need("cargo")
    root = make_crate(tmp_path / "crate")
    main = root / "src" / "main.rs"
    main.write_text(main.read_text().replace('println!("{}", unique_id);', 'println!("{}", moved);'))
    env = cargo_env(tmp_path / "target")
    book = tmp_path / "TASKBOOK.md"
    book.write_text("- [ ] ship\n")
    r = subprocess.run([*TASKBOOK, "--book", str(book), "build", "--", "cargo", "build", "--offline",
                        "--message-format=json", "--manifest-path", str(root / "Cargo.toml")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = book.read_text()
    assert "- [ ] warning: dead_code" in text and "- [ ] warning: unused_variables" in text


def test_json_that_is_not_a_diagnostic_is_text():
    assert from_json({"reason": "build-finished", "success": True}) == []
    assert from_json({"a": 1}) is None and from_json([1, 2]) is None and from_json("x") is None
    scan = Scan()
    scan.feed(0, '{"not": "a diagnostic"}\n[{"kind": "warning"}]\n{broken json\n'
                 "src/a.c:1:2: warning: real one [-Wx]\n")
    assert [d.message for d in scan.close().diagnostics] == ["real one"]


def test_tools_print_what_the_tests_expect():
    """Guard: the JSON forms above exist in the installed tools."""
    if shutil.which("gcc"):
        r = subprocess.run(["gcc", "-fdiagnostics-format=json", "-x", "c", "-c", "-", "-o", "/dev/null"],
                           input="int x = ;\n", capture_output=True, text=True)
        assert r.stderr.lstrip().startswith("[{")
    assert sys.version_info >= (3, 8)
