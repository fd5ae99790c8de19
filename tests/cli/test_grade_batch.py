"""``formulacheck grade``: Gradescope-spec results.json, the rubric's visibility, the terminal feedback,
student-keyed batches (Canvas, plain folders), progress on a log file and on a terminal.

Every grading run is the softmax group only (a few seconds each).
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from checks import registry
from checks.cli import main
from checks.core.verdicts import Verdict

from .helpers import ROOT, SUBS, one_error_line

WRONG = SUBS / "wrong_softmax.py"
ALT = SUBS / "alt_correct.py"
SOFTMAX = [f.id for f in registry.select(group="softmax")]
NONE = ["--isolation", "require=none"]  # the test machine may lack namespaces; the outputs do not depend on it

# Gradescope's autograder specification (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
             "visibility", "extra_data"}
VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def assert_gradescope_results(doc: dict) -> None:
    """results.json as the specification defines it (keys, types, enumerations)."""
    assert set(doc) <= TOP_KEYS, set(doc) - TOP_KEYS
    assert isinstance(doc["score"], (int, float)) and isinstance(doc["execution_time"], (int, float))
    assert isinstance(doc["output"], str) and doc["output_format"] in FORMATS
    assert doc["visibility"] in VISIBILITY and doc["stdout_visibility"] in VISIBILITY
    assert isinstance(doc["extra_data"], dict) and isinstance(doc["tests"], list)
    for t in doc["tests"]:
        assert set(t) <= TEST_KEYS, set(t) - TEST_KEYS
        assert isinstance(t["name"], str) and t["status"] in ("passed", "failed")
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"]
        assert t["visibility"] in VISIBILITY and t["output_format"] in FORMATS
        assert set(t["extra_data"]) == {"id", "verdict", "diagnosis", "mistakes"}
        assert isinstance(t["extra_data"]["mistakes"], list)
    assert doc["score"] == sum(t["score"] for t in doc["tests"])
    assert {"status", "message", "isolation", "resources", "vectors", "student"} <= set(doc["extra_data"])


def test_results_json_follows_the_spec_and_the_rubric_visibility(tmp_path, capsys):
    rubric = tmp_path / "r.toml"
    rubric.write_text('[visibility]\ndefault = "after_published"\nstdout = "visible"\nsoftmax = "hidden"\n'
                      '"softmax.softmax" = "after_due_date"\n')
    out = tmp_path / "results.json"
    assert main(["grade", str(WRONG), "--json", str(out), "--group", "softmax", "--rubric", str(rubric), *NONE]) == 0
    text = capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert_gradescope_results(doc)
    assert doc["visibility"] == "after_published" and doc["stdout_visibility"] == "visible"
    vis = {t["name"]: t["visibility"] for t in doc["tests"]}
    assert vis == {i: ("after_due_date" if i == "softmax.softmax" else "hidden") for i in SOFTMAX}
    t = doc["tests"][0]
    assert t["extra_data"]["id"] == "softmax.softmax" and t["extra_data"]["verdict"] == "nan/inf"
    assert t["output_format"] == "md"
    # the indented code lines of the feedback are fenced, verbatim; the prose is escaped Markdown
    assert re.search(r"Smallest failing input:\n\n```python\nsoftmax\(np\.array\(\[\[.*\]\]\)\)\n```", t["output"])
    assert "softmax -\\> y" in t["output"]
    assert doc["extra_data"]["student"] == {"student": "wrong_softmax.py"}
    # the terminal: the table and the full feedback of the failed formula
    assert "Smallest failing input:" in text and "Expected:" in text and "Got:" in text
    assert "    softmax(np.array([[" in text and "Total: 0 / " in text


def test_brief_keeps_the_table_only(capsys):
    assert main(["grade", str(WRONG), "--group", "softmax", "--brief", *NONE]) == 0
    text = capsys.readouterr().out
    assert "softmax.softmax" in text and "nan/inf" in text and "Total:" in text
    assert "Smallest failing input:" not in text and "Expected:" not in text


@pytest.mark.parametrize("toml, needle", [
    ('[visibility]\ndefault = "public"\n',
     "[visibility] default = 'public' is not a Gradescope visibility; choose one of visible, hidden, "
     "after_due_date, after_published"),
    ('[visibility]\n"softmax.softmax" = 3\n', "[visibility] softmax.softmax = 3 is not a Gradescope visibility"),
    ('[visibility]\nsoftmx = "hidden"\n', "[visibility] 'softmx' is not default, stdout, a group or a formula id; "
                                          "did you mean 'softmax'?"),
    ('[submission]\nfile = "dir/hw1.py"\n', "[submission] file = 'dir/hw1.py' must be a file name without a folder"),
    ('[submission]\nname = "hw1.py"\n', "unknown key in [submission] 'name'"),
])
def test_bad_rubric_visibility_and_submission_are_one_line(tmp_path, capsys, toml, needle):
    rubric = tmp_path / "r.toml"
    rubric.write_text(toml)
    assert main(["grade", str(WRONG), "--rubric", str(rubric)]) == 2
    assert needle in one_error_line(capsys, "formulacheck grade")


@pytest.mark.parametrize("argv", [["--examples", "3"], ["--profile", "grade"], ["--no-cache"]])
def test_the_dead_options_are_gone(argv, capsys):
    assert main(["grade", str(WRONG), *argv]) == 2
    assert "unrecognized arguments" in one_error_line(capsys, "formulacheck grade")


def test_canvas_and_plain_student_folders_in_one_batch(tmp_path, capsys):
    canvas, folders = tmp_path / "canvas", tmp_path / "folders"
    canvas.mkdir()
    folders.mkdir()
    (canvas / "lovelaceada_12345_67890_hw1.py").write_text(ALT.read_text())
    (canvas / "turingalan_LATE_23456_78901_hw1.py").write_text(WRONG.read_text())
    for who, src in (("alice", ALT), ("bob", WRONG)):  # the same file name in every folder
        (folders / who).mkdir()
        (folders / who / "hw1.py").write_text(src.read_text())
    (folders / "carol").mkdir()
    (folders / "carol" / "hw1.py").write_text(ALT.read_text())
    (folders / "carol" / "scratch.py").write_text("X = 1\n")
    out = tmp_path / "g.csv"
    assert main(["grade", str(canvas), str(folders), "--out", str(out), "--group", "softmax", *NONE]) == 0
    cap = capsys.readouterr()
    with open(out, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[:5] == ["student", "name", "user_id", "late", "submission"]
    rows = {r["student"]: r for r in csv.DictReader(open(out, newline="", encoding="utf-8"))}
    assert list(rows) == ["12345", "23456", "alice", "bob", "carol"]
    assert rows["12345"]["name"] == "lovelaceada" and rows["23456"]["late"] == "yes"
    for good, bad in (("12345", "23456"), ("alice", "bob")):
        assert rows[good]["softmax.softmax:verdict"] == "passed"
        assert rows[bad]["softmax.softmax:verdict"] == "nan/inf" and float(rows[bad]["softmax.softmax"]) == 0
        assert float(rows[good]["softmax.softmax"]) == registry.get("softmax.softmax").points
    assert rows["bob"]["submission"] == "bob/hw1.py" and rows["bob"]["file"] == "hw1.py"
    carol = rows["carol"]
    assert carol["status"] == "unreadable" and float(carol["total"]) == 0
    assert carol["message"].startswith("several candidate files: hw1.py, scratch.py; name one in the rubric")
    assert {carol[f"{i}:verdict"] for i in SOFTMAX} == {str(Verdict.ERROR)}
    assert "Class summary" in cap.out and "carol" in cap.out


# --------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------

def test_progress_plain_lines_steps_heartbeat_and_quiet():
    import io

    from checks.cli.progress import Progress

    buf = io.StringIO()
    with Progress("work", 40, stream=buf, min_seconds=0) as p:
        for k in range(40):
            p.advance(note=f"item {k}")
    lines = buf.getvalue().splitlines()
    assert len(lines) == 20 and lines[0].startswith("work: 2/40 (5%), 0s elapsed, ETA ")  # every 2nd item
    assert lines[-1] == "work: 40/40 (100%), 0s elapsed: item 39"
    slow = io.StringIO()
    with Progress("slow", 3, stream=slow, min_seconds=0, interval=0.2) as p:
        time.sleep(1.3)  # nothing finishes: the heartbeat still writes
    beats = slow.getvalue().splitlines()
    assert 3 <= len(beats) <= 8 and all(b.startswith("slow: 0/3 (0%)") for b in beats), beats
    for kw in ({"quiet": True, "min_seconds": 0}, {"min_seconds": 60}):
        out = io.StringIO()
        with Progress("x", 5, stream=out, **kw) as p:
            for _ in range(5):
                p.advance()
        assert out.getvalue() == "", kw  # quiet, or a loop quicker than min_seconds: no line


def test_progress_on_a_terminal_draws_a_bar():
    import io

    from checks.cli.progress import Progress

    buf = io.StringIO()
    with Progress("work", 3, stream=buf, tty=True) as p:
        for k in range(3):
            p.advance(note=f"item {k}")
            time.sleep(0.15)
    raw = buf.getvalue()
    assert "\x1b[" in raw and "work" in raw and "━" in raw and "3/3" in raw


def _slow_batch(tmp_path: Path, seconds: float = 2.5) -> Path:
    """a.py and b.py take ``seconds`` to import (a log gets no line in the first 2 s), c.py none."""
    d = tmp_path / "batch"
    d.mkdir()
    slow = f"import time\ntime.sleep({seconds})\n"
    (d / "a.py").write_text(slow + ALT.read_text())
    (d / "b.py").write_text(slow + WRONG.read_text())
    (d / "c.py").write_text(ALT.read_text())
    return d


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "120"}


def test_progress_lines_reach_a_log_file_while_the_batch_runs(tmp_path):
    d = _slow_batch(tmp_path)
    log = tmp_path / "stderr.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "checks.cli", "grade", str(d), "--out", str(tmp_path / "g.csv"),
                                 "--group", "softmax", *NONE], stdout=subprocess.PIPE, stderr=fh, env=_env(),
                                cwd=tmp_path)
        seen_running = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log.read_text()
            if "grading: 1/3" in text:
                seen_running = proc.poll() is None
                break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, log.read_text()
    assert seen_running, f"no progress line while b.py was being graded:\n{log.read_text()}"
    lines = [ln for ln in log.read_text().splitlines() if ln.startswith("grading: ")]
    assert [ln.split(" (")[0] for ln in lines] == ["grading: 1/3", "grading: 2/3", "grading: 3/3"], lines
    assert ", ETA " in lines[0] and lines[0].endswith(": a.py: ok 2/6") and ", ETA " not in lines[-1], lines
    assert "\x1b[" not in log.read_text()  # plain lines: no terminal control codes in a log
    assert b"Class summary" in stdout


def test_quiet_silences_the_progress(tmp_path):
    d = tmp_path / "q"
    d.mkdir()
    (d / "a.py").write_text(ALT.read_text())
    r = subprocess.run([sys.executable, "-m", "checks.cli", "grade", str(d), "--group", "softmax", "--quiet", *NONE],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_a_terminal_gets_the_bar_and_the_output_stays_whole(tmp_path):
    d = _slow_batch(tmp_path, 1.0)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "checks.cli", "grade", str(d), "--group", "softmax", *NONE],
                            stdin=slave, stdout=slave, stderr=slave, env=_env(), cwd=tmp_path, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    raw = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, raw[-3000:]
    assert "\x1b[" in raw and "━" in raw and "ETA" in raw  # the rich bar was drawn
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw).replace("\r", "")
    # after the bar (transient: erased), the table and the summary come out whole, one row per file
    tail = plain[plain.rindex("formulacheck grade: 3 submissions"):]
    for key in ("a.py", "b.py", "c.py"):
        assert re.search(rf"│ {re.escape(key)}\s+│ ok\s+│", tail), tail
    assert "Class summary" in tail and "3 submissions graded (3 ok)" in tail
