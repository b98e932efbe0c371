"""The diagnostics parser, on output captured from the real tools.

Every file in tests/fixtures/build/ is the untouched output of a real run on
this kind of machine (see its README for tool versions and commands), pipe
captures as .txt and pseudo-terminal captures (colour, `\\r`, OSC) as .raw.
"""

from __future__ import annotations

import os
import random
import re

import pytest

from build_helpers import FIXTURES, fixture_text, text_of
from taskbook.build.diagnostics import Pattern, Scan, normalise, parse_text, scan_file
from taskbook.build.runner import Cleaner

# (tool, severity, code, "file:line[:col]", message) per fixture, in output order
EXPECTED = {
    "cargo_error.txt": [
        ("rustc", "warning", None, "src/main.rs:1:5", "unused import: `std::collections::HashMap`"),
        ("rustc", "warning", None, "src/util.rs:1:5", "unused import: `std::fmt::Write`"),
        ("rustc", "warning", None, "src/util.rs:6:9", "variable does not need to be mutable"),
        ("rustc", "error", "E0382", "src/main.rs:12:20", "borrow of moved value: `unique_id`"),
        ("rustc", "warning", None, "src/main.rs:10:9", "unused variable: `x`"),
        ("rustc", "warning", None, "src/main.rs:11:9", "unused variable: `moved`"),
        ("rustc", "warning", None, "src/main.rs:13:9", "unused variable: `w`"),
    ],
    "cargo_warnings.txt": [
        ("rustc", "warning", None, "src/main.rs:1:5", "unused import: `std::collections::HashMap`"),
        ("rustc", "warning", None, "src/util.rs:1:5", "unused import: `std::fmt::Write`"),
        ("rustc", "warning", None, "src/util.rs:6:9", "variable does not need to be mutable"),
        ("rustc", "warning", None, "src/main.rs:10:9", "unused variable: `x`"),
        ("rustc", "warning", None, "src/main.rs:13:9", "unused variable: `w`"),
        ("rustc", "warning", None, "src/main.rs:4:4", "function `helper` is never used"),
        ("rustc", "warning", None, "src/util.rs:5:8", "function `unused_fn` is never used"),
    ],
    "gcc.txt": [
        ("gcc", "warning", "-Wunused-variable", "hdr.h:1:41", "unused variable ‘q’"),
        ("gcc", "error", None, "gccw.c:8:20", "‘undeclared_thing’ undeclared (first use in this function)"),
        ("gcc", "warning", "-Wformat-extra-args", "gccw.c:9:12", "too many arguments for format"),
        ("gcc", "warning", "-Wunused-variable", "gccw.c:7:9", "unused variable ‘unused’"),
        ("gcc", "warning", "-Wunused-function", "gccw.c:4:12", "‘helper’ defined but not used"),
        ("gcc", "warning", "-Wunused-function", "hdr.h:1:12", "‘unused_in_header’ defined but not used"),
    ],
    "gxx.txt": [
        ("gcc", "warning", "-Wsign-compare", "tmpl.cpp:12:23",
         "comparison of integer expressions of different signedness: ‘int’ and "
         "‘std::vector<int>::size_type’ {aka ‘long unsigned int’}"),
        ("gcc", "warning", "-Wunused-variable", "tmpl.cpp:10:9", "unused variable ‘unused_cpp’"),
        ("gcc", "error", None, "tmpl.cpp:5:28", "no match for ‘operator+’ (operand types are ‘NoPlus’ and ‘NoPlus’)"),
    ],
    "ld.txt": [("ld", "error", None, "ld.c", "undefined reference to `bar'")],
    "ld_debug.txt": [("ld", "error", None, "/tmp/cap/c/ld.c:2", "undefined reference to `bar'")],
    "javac.txt": [
        ("javac", "warning", "rawtypes", "j/Foo.java:6:9", "found raw type: List"),
        ("javac", "warning", "rawtypes", "j/Foo.java:6:24", "found raw type: ArrayList"),
        ("javac", "warning", "unchecked", "j/Foo.java:7:16",
         "unchecked call to add(E) as a member of the raw type List"),
        ("javac", "error", None, "j/Foo.java:8:9", "cannot find symbol (symbol: method undefinedCall())"),
        ("javac", "error", None, "j/Foo.java:9:17", "incompatible types: String cannot be converted to int"),
        ("javac", "error", None, "j/Foo.java:10:20", "cannot find symbol (symbol: variable other)"),
    ],
    "tsc_plain.txt": [
        ("tsc", "error", "TS7006", "a.ts:1:12", "Parameter 'x' implicitly has an 'any' type."),
        ("tsc", "error", "TS2322", "a.ts:2:5", "Type 'string' is not assignable to type 'number'."),
        ("tsc", "error", "TS2322", "a.ts:3:28", "Type 'boolean' is not assignable to type 'string'."),
        ("tsc", "error", "TS2554", "a.ts:4:9", "Expected 2 arguments, but got 3."),
    ],
    "mypy.txt": [
        ("mypy", "error", "assignment", "pkg/app.py:10",
         'Incompatible types in assignment (expression has type "str", variable has type "int")'),
        ("mypy", "error", "arg-type", "pkg/app.py:11", 'Argument 2 to "add" has incompatible type "str"; expected "int"'),
        ("mypy", "error", "assignment", "pkg/app.py:12",
         'Incompatible types in assignment (expression has type "int", variable has type "list[int]")'),
        ("mypy", "note", None, "pkg/app.py:13", 'Revealed type is "list[int]"'),
    ],
    "ruff_full.txt": [
        ("ruff", "error", "F401", "pkg/app.py:1:8", "`os` imported but unused"),
        ("ruff", "error", "F401", "pkg/app.py:2:8", "`sys` imported but unused"),
        ("ruff", "error", "F821", "pkg/app.py:13:1", "Undefined name `reveal_type`"),
        ("ruff", "error", "F841", "pkg/app.py:17:5", "Local variable `y` is assigned to but never used"),
        ("ruff", "error", "F821", "pkg/app.py:18:12", "Undefined name `undefined_name`"),
    ],
    "pytest.txt": [
        ("pytest", "error", "FAILED", "test_x.py:18", "test_x.py::test_fail - assert [1, 2] == [1, 3]"),
        ("pytest", "error", "FAILED", "test_x.py:10", "test_x.py::test_err - KeyError: 'missing'"),
        ("pytest", "error", "FAILED", "test_x.py:32", "test_x.py::TestGroup::test_param[2] - assert 2 == 1"),
        ("pytest", "error", "ERROR", "test_x.py:6", "test_x.py::test_fixture - RuntimeError: fixture broke"),
    ],
    "go_build.txt": [
        ("go", "error", None, "other.go:3:6", "main redeclared in this block"),
        ("go", "error", None, "main.go:5:2", 'imported and not used: "os"'),
        ("go", "error", None, "main.go:9:2", "x declared but not used"),
        ("go", "error", None, "main.go:10:14", "undefined: undefinedThing"),
        ("go", "error", None, "main.go:11:17", "cannot use 3 (untyped int constant) as string value in variable declaration"),
    ],
    "go_vet.txt": [
        ("go", "error", None, "main.go:7:2", "fmt.Printf format %s has arg x of wrong type int"),
        ("go", "error", None, "main.go:10:2", "unreachable code"),
    ],
    # structured output, read when a user asks a tool for it (from_json)
    "cargo_json.txt": [
        ("rustc", "warning", None, "src/util.rs:1:5", "unused import: `std::fmt::Write`"),
        ("rustc", "warning", None, "src/util.rs:6:9", "variable does not need to be mutable"),
        ("rustc", "warning", None, "src/main.rs:9:9", "unused variable: `x`"),
        ("rustc", "warning", None, "src/main.rs:12:9", "unused variable: `w`"),
        ("rustc", "warning", None, "src/main.rs:3:4", "function `helper` is never used"),
        ("rustc", "warning", None, "src/util.rs:5:8", "function `unused_fn` is never used"),
    ],
    "gcc_json.txt": [
        ("gcc", "error", None, "w.c:3:12", "‘undefined_thing’ undeclared (first use in this function)"),
        ("gcc", "warning", "-Wunused-variable", "w.c:2:9", "unused variable ‘q’"),
        ("gcc", "warning", "-Wunused-parameter", "w.c:1:11", "unused parameter ‘a’"),
        ("gcc", "warning", "-Wreturn-type", "w.c:4:1", "control reaches end of non-void function"),
    ],
    "mypy_json.txt": [
        ("mypy", "error", "return-value", "a.py:6:12",
         'Incompatible return value type (got "int", expected "str")'),
    ],
    "ruff_json_lines.txt": [
        ("ruff", "error", "F401", "/tmp/bb/cap/a.py:1:8", "`os` imported but unused"),
        ("ruff", "error", "F401", "/tmp/bb/cap/a.py:2:8", "`sys` imported but unused"),
    ],
}
# captures of the same run in another form: same diagnostics, same fingerprints
SAME_AS = {"cargo_pty.raw": "cargo_error.txt", "gcc_color.raw": "gcc.txt",
           "gcc_c_locale.txt": "gcc.txt", "tsc_pretty.raw": "tsc_plain.txt",
           "ruff_concise.txt": "ruff_full.txt", "mypy_columns.txt": "mypy.txt"}


def rows(name: str):
    c = parse_text(fixture_text(name))
    return c, [(d.tool, d.severity, d.code, d.location(), d.message) for d in c.diagnostics]


def test_every_fixture_is_covered():
    names = {p.name for p in FIXTURES.iterdir() if p.suffix in (".txt", ".raw")}
    assert names == set(EXPECTED) | set(SAME_AS) | {"pytest_maxfail.txt"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_output_gives_exactly_its_diagnostics(name):
    _, got = rows(name)
    assert got == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(SAME_AS))
def test_other_captures_of_the_same_run_give_the_same_fingerprints(name):
    a, _ = rows(name)
    b, _ = rows(SAME_AS[name])
    assert [d.fingerprint for d in a.diagnostics] == [d.fingerprint for d in b.diagnostics]
    if name != "mypy_columns.txt":
        assert [(d.line, d.column) for d in a.diagnostics] == [(d.line, d.column) for d in b.diagnostics]


def test_summary_and_child_lines_are_not_diagnostics():
    text = fixture_text("cargo_error.txt")
    c = parse_text(text)
    assert not any(re.search(r"generated|could not compile|explanations|consider cloning|#\[warn",
                             d.message) for d in c.diagnostics)
    assert c.counts() == {"error": 1, "warning": 6, "note": 0}
    g = parse_text(fixture_text("gcc.txt"))   # the `note:` under the error is part of it
    assert not any(d.severity == "note" for d in g.diagnostics)


def test_run_markers_stopped_early_and_whole_run():
    assert parse_text(fixture_text("cargo_error.txt")).stopped_early.startswith("error: could not compile")
    assert parse_text(fixture_text("cargo_warnings.txt")).stopped_early is None
    for name in ("mypy.txt", "ruff_full.txt", "pytest.txt", "tsc_pretty.raw"):
        c = parse_text(fixture_text(name))
        assert c.whole_run and c.stopped_early is None, name
    c = parse_text(fixture_text("pytest_maxfail.txt"))
    assert "stopping after 1 failures" in c.stopped_early


def test_streaming_in_random_pieces_gives_the_same_result():
    raw = (FIXTURES / "cargo_pty.raw").read_bytes() + (FIXTURES / "gcc_color.raw").read_bytes()
    whole = [d.to_json() for d in parse_text(cleaned_whole(raw)).diagnostics]
    rnd = random.Random(4)
    for _ in range(5):
        assert [d.to_json() for d in _through_cleaner(raw, rnd, 300).diagnostics] == whole
    assert len(whole) == 13


def cleaned_whole(raw: bytes) -> str:
    c = Cleaner()
    return text_of(c.feed(raw) + c.flush())


def test_a_moved_diagnostic_keeps_its_fingerprint():
    text = fixture_text("cargo_error.txt")
    moved = re.sub(r"(-->\s+\S+?):(\d+):", lambda m: f"{m.group(1)}:{int(m.group(2)) + 40}:", text)
    a, b = parse_text(text).diagnostics, parse_text(moved).diagnostics
    assert [d.line for d in b] == [d.line + 40 for d in a]
    assert [d.fingerprint for d in a] == [d.fingerprint for d in b]


def test_same_message_twice_in_a_file_gives_two_diagnostics_and_duplicates_collapse():
    block = "warning: unused variable: `x`\n --> src/a.rs:{}:9\n\n"
    c = parse_text(block.format(3) + block.format(30) + block.format(3))
    assert [d.line for d in c.diagnostics] == [3, 30]
    assert len({d.fingerprint for d in c.diagnostics}) == 2


def test_message_normalisation():
    assert normalise("expected 2 arguments, found 10") == "expected N arguments, found N"
    assert normalise("unused ‘x1’  and  `y2` at 0x7ffd") == "unused 'x1' and `y2` at 0xN"


def test_paths_inside_the_build_directory_become_relative(tmp_path):
    text = f"{tmp_path}/src/a.c:3:5: warning: w [-Wx]\n/elsewhere/b.c:1:1: error: e\n"
    c = parse_text(text, root=tmp_path)
    assert [d.file for d in c.diagnostics] == ["src/a.c", "/elsewhere/b.c"]


def test_user_patterns_with_named_groups():
    p = Pattern({"regex": r"^LINT (?P<file>[\w./]+)@(?P<line>\d+) (?P<code>L\d+) (?P<message>.+)$",
                 "tool": "mylint", "severity": "warning"})
    c = parse_text("noise\nLINT src/x.py@12 L7 too clever\n", patterns=[p])
    (d,) = c.diagnostics
    assert (d.tool, d.severity, d.code, d.file, d.line, d.message) == \
        ("mylint", "warning", "L7", "src/x.py", 12, "too clever")
    with pytest.raises(ValueError):
        Pattern(r"(?P<file>\S+)")   # no message group


def test_scan_file_reads_header_and_footer(tmp_path):
    log = tmp_path / "compilelog"
    log.write_text("[taskbook] command: cargo build\n[taskbook] cwd: /w\n[taskbook] ---- output ----\n"
                   + fixture_text("cargo_warnings.txt")
                   + "[taskbook] ---- end of output ----\n[taskbook] exit status: 0\n")
    c, info = scan_file(log)
    assert info.command == "cargo build" and info.exit_status == 0 and not info.interrupted
    assert len(c.diagnostics) == 7


def test_titles_follow_each_tools_own_header():
    titles = {name: [d.title() for d in parse_text(fixture_text(name)).diagnostics][0]
              for name in ("cargo_error.txt", "gcc.txt", "javac.txt", "tsc_plain.txt",
                           "mypy.txt", "ruff_full.txt", "pytest.txt")}
    assert titles == {
        "cargo_error.txt": "warning: unused import: `std::collections::HashMap`",
        "gcc.txt": "warning: unused variable ‘q’ [-Wunused-variable]",
        "javac.txt": "warning: [rawtypes] found raw type: List",
        "tsc_plain.txt": "error TS7006: Parameter 'x' implicitly has an 'any' type.",
        "mypy.txt": 'error: Incompatible types in assignment (expression has type "str", '
                    'variable has type "int") [assignment]',
        "ruff_full.txt": "F401 `os` imported but unused",
        "pytest.txt": "FAILED test_x.py::test_fail - assert [1, 2] == [1, 3]",
    }
    e0382 = parse_text(fixture_text("cargo_error.txt")).diagnostics[3]
    assert e0382.title() == "error[E0382]: borrow of moved value: `unique_id`"


# --- the fast path: skipping lines that cannot matter changes nothing -------

def _line_by_line(text: str):
    from taskbook.build.diagnostics import Collector, Parser
    out = Collector()
    p = Parser(out)
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        p.line(line)
    p.close()
    return out


def _fed(text: str, chunks: list[int]):
    from taskbook.build.diagnostics import Collector, Parser
    out = Collector()
    p = Parser(out)
    lines = [ln + "\n" for ln in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    i = 0
    for size in chunks:
        if i >= len(lines):
            break
        p.feed("".join(lines[i:i + size]))
        i += size
    if i < len(lines):
        p.feed("".join(lines[i:]))
    p.close()
    return out


NOISE = [
    "   Compiling crate_7 v0.1.7 (/work/crates/crate_7)",
    "gcc -O2 -Wall -Wextra -Iinclude -c src/mod_7.c -o build/mod_7.o",
    "[7/99] Building C object CMakeFiles/app.dir/src/mod_7.c.o",
    "test tests::case_7 ... ok",
    "",
    "    Checking serde v1.0.0",
    "some tool: configuring",
    "  indented detail: with colon",
]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()
                                        if p.suffix in (".txt", ".raw")))
def test_skipping_irrelevant_lines_gives_the_same_diagnostics(name):
    rng = random.Random(name)
    base = fixture_text(name)
    lines = base.split("\n")
    mixed: list[str] = []
    for ln in lines:   # noise between (and inside) blocks, as in a verbose build
        if rng.random() < 0.3:
            mixed.extend(rng.sample(NOISE, rng.randint(1, 3)))
        mixed.append(ln)
    for text in (base, "\n".join(mixed)):
        slow = _line_by_line(text)
        for chunks in ([10 ** 9], [1] * 5000, [rng.randint(1, 7) for _ in range(2000)]):
            fast = _fed(text, chunks)
            assert [d.to_json() for d in fast.diagnostics] == [d.to_json() for d in slow.diagnostics]
            assert (fast.stopped_early, fast.whole_run) == (slow.stopped_early, slow.whole_run)


# Lines that sit on the edges of what `Parser.line` acts on: summaries without
# a colon, pytest bars and sections, ruff's header and its ` --> `, notes after
# a diagnostic, blank lines of Unicode spaces, non-ASCII digits.
EDGES = [
    "2 errors", "1 warning generated.", "3 passed in 0.12s", "2 failed, 5 passed in 0.31s",
    "==== 1 failed, 2 passed in 0.20s ====", "=", "!!!!! stopping after 1 failures !!!!!",
    "!!! Interrupted: 1 error during collection !!!", "compilation terminated.",
    "Found 3 errors in 1 file (checked 2 source files)", "Found 2 errors.", "All checks passed!",
    "Success: no issues found in 1 source file", "No fixes available (1 hidden fix).",
    "[*] 1 fixable with the `--fix` option.", "Finished dev [unoptimized] target(s) in 0.5s",
    "For more information about this error, try `rustc --explain E0382`.",
    "Note: Some input files use unchecked or unsafe operations.", "Note: x.java: too many errors",
    "make: *** [Makefile:3: all] Error 1", "make[1]: Entering directory '/x'",
    "ninja: build stopped: subcommand failed.", "gmake: *** [all] Error 2",
    "cc1: all warnings being treated as errors", "collect2: error: ld returned 1 exit status",
    "_________________ test_fail _________________", "____ ERROR at setup of test_fixture ____",
    "test_x.py:18: AssertionError", "test_x.py:18:", "test_x.py:10: in test_err",
    "FAILED test_x.py::test_fail - assert 1 == 2", "ERROR test_x.py::test_fixture - RuntimeError: boom",
    "FAILED test_x.py", "F401 [*] `os` imported but unused", " --> pkg/app.py:1:8", "  --> src/a.rs:3:4",
    "E501 Line too long (89 > 79)", "invalid-syntax Expected an expression", "  ╭▸ src/a.rs:1:2",
    "  --> pyproject.toml:1:1", "src/a.c:3:5: note: declared here", "src/a.c:3:5: warning: unused [-Wunused]",
    "a.c: In function ‘main’:", "In file included from a.c:2:", "x.h:1:1: note: in expansion of macro",
    "pkg/app.py:13: note: Revealed type", "pkg/app.py:13: error: bad  [misc]", "", "   ", "\t",
    "\u00a0", "\u3000 ", "\x0c", "\x1c", "error: could not compile `x` (bin \"x\") due to 1 previous error",
    "warning: unused variable: `x`", "error[E0382]: borrow of moved value: `a`", "note: required by a bound",
    "help: consider", "note[E0001]: x", "  = note: `#[warn(x)]` on by default", "  = help: remove", "   |",
    "1 | use std::fmt::Write;", '12 |     println!("{}", a);', 'warning: `x` (bin "x") generated 6 warnings',
    "warning: build failed, waiting for other jobs to finish...", "error: aborting due to 2 previous errors",
    "a.ts(1,5): error TS2322: Type", "a.ts:1:5 - error TS2322: Type", "a.ts(2,1): message TS6133: x",
    "main.go:5:2: imported and not used", "vet: main.go:7:2: fmt.Printf", "# example.com/m",
    "ld.c:(.text+0x9): undefined reference to `bar'", "/usr/bin/ld: x.o: in function `main':",
    "a.o: multiple definition of `x'; b.o: first defined here",
    "j/Foo.java:6: warning: [rawtypes] found raw type: List", "        ^", "  symbol:   method f()",
    "  location: class Foo", "٣ errors", "F٤٠١ msg", "\u00a0--> a.rs:1:2", " \x0b--> pkg/a.py:1:2",
    "x.py:١:٢: F401 msg", "main.go:٥: msg", "12:34:56 timestamp: info: x", "some: note: odd",
    "error:no space", "Error: capital", "gcc: fatal error: no input files", "clang: error: linker failed",
]


def _through_cleaner(text: str | bytes, rng: random.Random, most: int = 400):
    """`text` as the runner feeds it: reads of random sizes (up to `most`
    bytes), cut into pieces by the Cleaner; the collector of what was found."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    scan, cleaner, i = Scan(), Cleaner(), 0
    while i < len(raw):
        n = rng.randint(1, most)
        for buf, start, end in cleaner.feed(raw[i:i + n]):
            scan.feed_bytes(0, buf, start, end)
        i += n
    for buf, start, end in cleaner.flush():
        scan.feed_bytes(0, buf, start, end)
    return scan.close()


def test_random_streams_of_edge_lines_give_the_same_result_fast_and_slow():
    pool = EDGES + NOISE + [ln for p in sorted(FIXTURES.iterdir()) if p.suffix in (".txt", ".raw")
                            for ln in fixture_text(p.name).split("\n")]
    rng = random.Random(404)
    for _ in range(1500):
        text = "\n".join(rng.choice(EDGES if rng.random() < 0.5 else pool)
                         for _ in range(rng.randint(1, 80)))
        slow = _line_by_line(text)
        want = [d.to_json() for d in slow.diagnostics], slow.stopped_early, slow.whole_run
        for fast in (_fed(text, [rng.randint(1, 40) for _ in range(200)]),
                     _through_cleaner(text + "\n", rng)):
            assert ([d.to_json() for d in fast.diagnostics], fast.stopped_early, fast.whole_run) == want, text


def test_a_pytest_location_just_after_a_section_starts_is_seen():
    # the search for lines with a colon changes when a pytest section starts
    text = ("# noise: before\n_____ test_fail _____\ntest_x.py:18:\n"
            "FAILED test_x.py::test_fail - assert 1 == 2\n")
    assert [(d.file, d.line) for d in parse_text(text).diagnostics] == [("test_x.py", 18)]


def test_the_byte_pattern_for_blank_lines_is_what_str_isspace_accepts():
    from taskbook.build.diagnostics import _SPACE
    spaces = re.compile(_SPACE)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or cp == 10:
            continue
        c = chr(cp)
        assert bool(spaces.fullmatch(c.encode())) == c.isspace(), hex(cp)


def test_the_tool_of_a_located_diagnostic_follows_splitext():
    from taskbook.build.diagnostics import _EXT_TOOL, _tool_for
    for f in ["a.py", "A.PY", "x/.py", "..py", "a..py", "a.b/c", "noext", ".bashrc", "a.java",
              "dir.go/x", "x.go", "x.pyi", "y.c", "/.go", ".", "src/m.Go", "a.py/b.c"]:
        assert _tool_for(f) == _EXT_TOOL.get(os.path.splitext(f)[1].lower(), "gcc"), f
