"""``formulacheck report``: the page and the summary from real outputs; bad input is exit 2 with one line naming the file."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.report._batch import ROOT


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "checks.cli", "report", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_report_writes_the_page_and_prints_the_summary(real_batch, tmp_path):
    jd, csv = real_batch
    p = _cli(jd, csv, "--title", "DL 2025: homework 3", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>DL 2025: homework 3: formulacheck</title>" in page
    assert page.count("<svg") == 3
    assert "DL 2025: homework 3: 6 submissions, 4 ok, 2 not ok" in p.stdout
    assert "wrote report.html (6 submissions)" in p.stdout and p.stderr == ""
    again = _cli(jd, "--out", "report.html", cwd=tmp_path)  # exists: refused before any work
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "--force overwrites it" in again.stderr
    forced = _cli(jd, "--out", "report.html", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and (tmp_path / "report.html").read_text(encoding="utf-8") != page  # JSON only now
    text = _cli(csv, "--text", cwd=tmp_path)
    assert text.returncode == 0 and "Per formula" in text.stdout and "wrote" not in text.stdout


def test_bad_input_is_one_line_naming_the_file(real_batch, tmp_path):
    jd, _ = real_batch
    bad = tmp_path / "res"
    bad.mkdir()
    for f in jd.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    (bad / "ref.json").write_text('{"score": 13, "tests": [{"name": "softmax.softmax", ', encoding="utf-8")
    (tmp_path / "empty").mkdir()
    cases = [((bad,), f"{bad / 'ref.json'}: corrupt JSON"),
             ((tmp_path / "empty",), f"{tmp_path / 'empty'}: no results"),
             ((tmp_path / "nope.csv",), "nope.csv: no such file or folder"),
             ((jd, "--out", "r.txt"), "--out r.txt: the report is an HTML page"),
             ((jd, "--out", tmp_path / "no" / "r.html"), "does not exist")]
    for args, says in cases:
        p = _cli(*args, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert p.stderr.startswith("formulacheck report: error: ") and p.stderr.count("\n") == 1, p.stderr
        assert says in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "report.html").exists()
