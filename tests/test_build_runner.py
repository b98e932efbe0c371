"""`taskbook build` as a process wrapper: exit status, signals, the log, live output.

Real child processes, real signals, real pseudo-terminals (the `pty` module):
nothing about the terminal or the subprocess is simulated.
"""

from __future__ import annotations

import json
import os
import pty
import random
import select
import signal
import subprocess
import time
from pathlib import Path

from build_helpers import FIXTURES, TASKBOOK, base_env, tb, text_of
from taskbook.build.runner import MAX_PENDING, META, Cleaner, scrub


def log_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def output_of(path: Path) -> list[str]:
    """The child's output as logged, without taskbook's header and footer."""
    return [ln for ln in log_lines(path) if ln and not ln.startswith(META)]


def test_exit_status_is_the_childs(tmp_path):
    r = tb("build", "--no-sync", "--", "sh", "-c", "exit 3", cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    assert f"{META}exit status: 3" in log_lines(tmp_path / "compilelog")


def test_killed_by_sigterm_gives_143(tmp_path):
    r = tb("build", "--no-sync", "--", "sh", "-c", "kill -TERM $$", cwd=tmp_path)
    assert r.returncode == 143
    assert f"{META}exit status: 143 (killed by SIGTERM)" in log_lines(tmp_path / "compilelog")


def test_command_not_found_is_127_with_a_log(tmp_path):
    r = tb("build", "--no-sync", "--", "no-such-command-xyz", cwd=tmp_path)
    assert r.returncode == 127
    assert "no-such-command-xyz" in r.stderr and "Traceback" not in r.stderr
    assert any(ln.startswith(f"{META}error: cannot run") for ln in log_lines(tmp_path / "compilelog"))


def test_no_sync_only_runs_and_logs(tmp_path):
    """--no-sync reads no diagnostics (the wrapper costs what copying costs);
    --json still lists them, and `scan` reads them from the log later."""
    out = "src/a.c:1:5: warning: unused variable ‘q’ [-Wunused-variable]\n"
    (tmp_path / "out.txt").write_text(out)
    r = tb("build", "--no-sync", "--", "cat", "out.txt", cwd=tmp_path)
    assert r.returncode == 0
    assert "diagnostics not read (--no-sync)" in r.stderr and "warning" not in r.stderr
    assert "tasks: not updated (--no-sync)" in r.stderr
    r = tb("build", "--no-sync", "--json", "--", "cat", "out.txt", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert doc["counts"]["warning"] == 1 and doc["tasks"] is None and doc["complete"]
    r = tb("scan", "compilelog", "--json", cwd=tmp_path)
    assert [d["code"] for d in json.loads(r.stdout)["diagnostics"]] == ["-Wunused-variable"]


def test_every_form_of_the_command_line_reads_the_same(tmp_path):
    """`build` lines are read without typer (cli.build.fast_build); the others
    (help, options it does not know) still go through typer."""
    book = tmp_path / "B.md"
    book.write_text("- [ ] a\n")
    for args in (["--book", str(book), "build", "-l", "x.log", "--no-sync", "echo", "hi"],
                 [f"--book={book}", "build", "--log=x.log", "--no-sync", "--", "echo", "hi"],
                 ["-b", str(book), "build", "--no-sync", "--log", "x.log", "echo", "hi"]):
        r = tb(*args, cwd=tmp_path)
        assert r.returncode == 0 and r.stdout == "hi\n", (args, r.stderr)
        assert output_of(tmp_path / "x.log") == ["hi"]
    r = tb("build", "--help", cwd=tmp_path)
    assert r.returncode == 0 and "Usage: taskbook build" in r.stdout and "--no-sync" in r.stdout
    r = tb("build", cwd=tmp_path)
    assert r.returncode == 2 and "no build command" in r.stderr
    r = tb("--book", str(book), "build", "--", "sh", "-c", "echo 'x.c:1:1: warning: w [-Wx]'",
           cwd=tmp_path)
    assert r.returncode == 0 and "tasks: 1 created" in r.stderr and "[fp:" in book.read_text()


def test_stdout_and_stderr_both_reach_the_log_with_header_and_footer(tmp_path):
    r = tb("build", "--no-sync", "--log", "out.log", "--",
           "sh", "-c", "echo to-stdout; echo to-stderr >&2", cwd=tmp_path)
    assert r.returncode == 0
    assert "to-stdout" in r.stdout and "to-stderr" in r.stderr   # streams kept apart
    lines = log_lines(tmp_path / "out.log")
    assert sorted(output_of(tmp_path / "out.log")) == ["to-stderr", "to-stdout"]
    head = [ln for ln in lines if ln.startswith(META)]
    assert head[0] == f"{META}command: sh -c 'echo to-stdout; echo to-stderr >&2'"
    assert head[1] == f"{META}cwd: {tmp_path}"
    assert head[2].startswith(f"{META}started: ")
    assert any(h.startswith(f"{META}duration: ") for h in head)
    assert lines[-2] == f"{META}exit status: 0"


def test_git_commit_in_header_only_inside_a_repository(tmp_path):
    tb("build", "--no-sync", "--", "true", cwd=tmp_path)
    assert not any("commit:" in ln for ln in log_lines(tmp_path / "compilelog"))
    env = base_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@e")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True, env=env)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tmp_path, text=True,
                          capture_output=True, check=True).stdout.strip()
    tb("build", "--no-sync", "--", "true", cwd=tmp_path)
    assert f"{META}commit: {head}" in log_lines(tmp_path / "compilelog")


def test_colour_osc_and_carriage_return_redraws_are_stripped_in_the_log(tmp_path):
    script = (r"printf '\033[1m\033[33mwarning\033[0m: colour\n';"
              r"printf '\033]9;4;1;50\033\\  Building [==>   ] 1/3\r  Building [=====>] 2/3\r\033[Kdone\n';"
              r"printf 'crlf line\r\n';"
              r"printf '\033]8;;http://x\007link\033]8;;\007\n'")
    r = tb("build", "--no-sync", "--", "sh", "-c", script, cwd=tmp_path)
    assert r.returncode == 0
    assert "\x1b[33m" in r.stdout  # the terminal gets the bytes untouched
    assert output_of(tmp_path / "compilelog") == ["warning: colour", "done", "crlf line", "link"]
    assert "\x1b" not in (tmp_path / "compilelog").read_text() and "\r" not in (tmp_path / "compilelog").read_text()


def test_invalid_utf8_is_kept_escaped_and_does_not_crash(tmp_path):
    script = r"printf 'bad \377\376 bytes\nsrc/a.c:1:2: warning: odd \351t\351 [-Wx]\n'"
    r = tb("build", "--no-sync", "--json", "--", "sh", "-c", script, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert output_of(tmp_path / "compilelog") == [
        "bad \\xff\\xfe bytes", "src/a.c:1:2: warning: odd \\xe9t\\xe9 [-Wx]"]
    (tmp_path / "compilelog").read_bytes().decode("utf-8")  # valid UTF-8 throughout
    import json
    doc = json.loads(r.stdout)
    assert [d["message"] for d in doc["diagnostics"]] == ["odd \\xe9t\\xe9"]


def test_output_reaches_the_terminal_before_the_line_ends(tmp_path):
    """No line buffering: a partial line shows while the child still runs."""
    p = subprocess.Popen([*TASKBOOK, "build", "--no-sync", "--", "sh", "-c",
                          "printf partial-output; sleep 3; echo end"],
                         cwd=tmp_path, env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        got = b""
        while b"partial-output" not in got and time.monotonic() - t0 < 2.5:
            r, _, _ = select.select([p.stdout], [], [], 0.1)
            if r:
                got += os.read(p.stdout.fileno(), 4096)
        assert b"partial-output" in got and b"end" not in got
    finally:
        p.wait(timeout=30)
        p.stdout.close()


def test_a_grandchild_holding_the_pipe_does_not_hang_the_build(tmp_path):
    t0 = time.monotonic()
    r = tb("build", "--no-sync", "--", "sh", "-c", "(sleep 20 &); echo done", cwd=tmp_path)
    assert r.returncode == 0 and "done" in output_of(tmp_path / "compilelog")
    assert time.monotonic() - t0 < 15


def _spawn_on_pty(args: list[str], cwd: Path) -> tuple[int, int]:
    """taskbook as session leader on a new pty (its controlling terminal)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else
        os.chdir(cwd)
        os.execve(TASKBOOK[0], [*TASKBOOK, *args], base_env(TERM="xterm"))
    return pid, master


def _read_until(master: int, needle: bytes, timeout: float) -> bytes:
    got = b""
    end = time.monotonic() + timeout
    while needle not in got and time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                got += os.read(master, 65536)
            except OSError:
                break
    return got


def _wait(pid: int, master: int, timeout: float = 30) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        _read_until(master, b"\0never", 0.1)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            os.close(master)
            return os.waitstatus_to_exitcode(status)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("taskbook did not finish")


def test_on_a_terminal_the_child_runs_on_a_pty_with_its_colours(tmp_path):
    pid, master = _spawn_on_pty(
        ["build", "--no-sync", "--", "sh", "-c",
         r"test -t 1 && test -t 2 && echo both-ttys; printf '\033[31mred\033[0m\n'"], tmp_path)
    seen = _read_until(master, b"log:", 30)
    assert _wait(pid, master) == 0
    assert b"both-ttys" in seen and b"\x1b[31mred" in seen
    assert output_of(tmp_path / "compilelog") == ["both-ttys", "red"]


def test_ctrl_c_at_the_terminal_interrupts_and_the_log_says_so(tmp_path):
    pid, master = _spawn_on_pty(["build", "--no-sync", "--", "sh", "-c", "echo started; sleep 30"],
                                tmp_path)
    assert b"started" in _read_until(master, b"started", 30)
    time.sleep(0.3)
    os.write(master, b"\x03")  # Ctrl-C typed at the terminal: SIGINT to the foreground group
    t0 = time.monotonic()
    assert _wait(pid, master) == 130
    assert time.monotonic() - t0 < 10
    lines = log_lines(tmp_path / "compilelog")
    assert lines[-2].startswith(f"{META}interrupted: SIGINT")
    assert f"{META}exit status: 130 (killed by SIGINT)" in lines


def test_sigint_sent_to_taskbook_alone_is_forwarded_to_the_child(tmp_path):
    p = subprocess.Popen([*TASKBOOK, "build", "--no-sync", "--", "sh", "-c",
                          "trap 'echo child-got-int; exit 7' INT; echo ready; while :; do sleep 0.1; done"],
                         cwd=tmp_path, env=base_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 7
    assert b"child-got-int" in out
    lines = log_lines(tmp_path / "compilelog")
    assert lines[-2].startswith(f"{META}interrupted: SIGINT")


def test_cleaner_keeps_memory_bounded_on_an_endless_progress_line():
    c = Cleaner()
    bar = b"".join(b"\r  Building [%06d]" % i for i in range(200_000))  # ~4 MB, no newline
    got = []
    for i in range(0, len(bar), 65536):
        r = c.feed(bar[i:i + 65536])
        assert len(c.pending) <= MAX_PENDING + 65536
        if r:
            got.append(text_of(r))
    got.append(text_of(c.flush()))
    assert got[-1] == "  Building [199999]\n"


def test_cleaner_handles_escapes_and_utf8_split_across_reads():
    raw = "\x1b[1;31merror\x1b[0m: naïve ‘x’\r\n".encode() * 50
    c = Cleaner()
    out = []
    for i in range(len(raw)):  # one byte at a time: every split point
        out.append(text_of(c.feed(raw[i:i + 1])))
    assert "".join(out) == "error: naïve ‘x’\n" * 50
    assert scrub(b"a\rb\rc\n") == b"c\n"


def test_cleaner_pieces_equal_cleaning_the_whole_stream_at_once():
    """Whatever the reads: the log gets what cleaning all the output in one go gives."""
    rng = random.Random(7)
    atoms = [b"plain text ", b"\x1b[1;31m", b"\x1b[0m", b"\x1b]9;4;1;50\x1b\\", b"\r", b"\r\n",
             b"\n", b"\n", b"\n", "naïve ‘x’ ".encode(), b"\xff\xfe", b"\xe2\x80", b"\x1b",
             b"  Building [==>  ] 1/3\r", b"error: x\n", b"\t", b"\x1b]8;;http://x\x07"]
    clean_atoms = [a for a in atoms if b"\x1b" not in a and b"\r" not in a and b"\xff" not in a]
    for _ in range(200):
        raw = b"".join(rng.choice(atoms if rng.random() < 0.2 else clean_atoms)   # long clean runs too
                       for _ in range(rng.randint(1, 300)))
        c, pieces, i = Cleaner(), [], 0
        while i < len(raw):
            n = rng.randint(1, 64)
            pieces += c.feed(raw[i:i + n])
            i += n
        pieces += c.flush()
        whole = scrub(raw if raw.endswith(b"\n") else raw + b"\n")
        assert b"".join(buf[start:end] for buf, start, end in pieces) == whole


def test_a_build_with_megabytes_of_output_finds_what_a_scan_of_its_log_finds(tmp_path):
    """Past a few MiB the parser moves to a process of its own: same diagnostics as `scan`."""
    names = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".txt", ".raw"))
    noise = b"".join(b"   Compiling crate_%d v0.1.0\ngcc -c src/m%d.c -o m%d.o\n" % (i, i, i)
                     for i in range(400))
    with open(tmp_path / "out.txt", "wb") as f:
        for i in range(300):   # ~7 MiB
            f.write(noise + (FIXTURES / names[i % len(names)]).read_bytes())
    r = tb("build", "--no-sync", "--json", "--", "cat", "out.txt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    built = json.loads(r.stdout)["diagnostics"]
    s = tb("scan", "compilelog", "--json", cwd=tmp_path)
    assert s.returncode == 0, s.stderr
    assert built == json.loads(s.stdout)["diagnostics"] and len(built) > 40
