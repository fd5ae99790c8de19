"""Grading starts while the vectors file is still being read, and a formula that cannot be read is no grade.

The grader reads the vectors file in a background thread one formula at a
time (:mod:`checks.grader.reading`) and grades formula k as soon as it is
read: a cold ``formulacheck grade sub.py`` no longer waits for the whole
file. A file whose later formula is damaged (its members missing) must not
give a grade: the submission is "grader error" in a Grader, and
``formulacheck grade`` stops with the ``--vectors`` usage error (exit 2)
and writes no results, as when the file is refused up front.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
import zipfile

import pytest

from checks import data
from checks.core.vecfile import VectorsError
from checks.grader import reading
from checks.grader.grade import Grader
from checks.grader.refsub import build
from checks.grader.sandbox import Sandbox

IDS = ["activations.sigmoid", "activations.tanh_backward", "softmax.softmax"]


@pytest.fixture(scope="module")
def ref_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("stream") / "ref.py"
    p.write_text(build(), encoding="utf-8")
    return p


def _without(tmp_path, fid: str) -> str:
    """The public file with every member of formula ``fid`` removed (the manifest still lists it)."""
    src = zipfile.ZipFile(data.PUBLIC_VECTORS)
    mine = re.compile(rf"(^|/){re.escape(fid)}(\.[a-z]+$|/)")
    q = tmp_path / "damaged.zip"
    dropped = 0
    with zipfile.ZipFile(q, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if mine.search(info.filename):
                dropped += 1
            else:
                out.writestr(info, src.read(info.filename))
    assert dropped and fid in json.loads(src.read("manifest.json"))["formulas"]
    return str(q)


def test_the_first_formula_is_graded_before_the_last_is_read(monkeypatch, ref_file):
    started = threading.Event()   # the first call into a sandbox (formula 1 sent to the worker)
    order: list[str] = []
    real_prepare, real_run = reading.prepare, Sandbox.run

    def prepare(fv, rubric):
        if fv.id == IDS[-1]:
            # the last formula is read only once grading has begun: a grader that waits for the
            # whole file first would wait here in vain (and the test fails)
            order.append("last read: " + ("after" if started.wait(20) else "never") + " the first run")
        return real_prepare(fv, rubric)

    def run(self, *a, **k):
        started.set()
        return real_run(self, *a, **k)

    monkeypatch.setattr(reading, "prepare", prepare)
    monkeypatch.setattr(Sandbox, "run", run)
    with Grader(ids=IDS) as g:
        res = g.grade_file(str(ref_file))
    assert order == ["last read: after the first run"], order
    assert res.status == "ok" and res.score == res.max_score, [(t.id, t.feedback) for t in res.tests]
    assert [t.id for t in res.tests] == IDS


def test_a_formula_that_cannot_be_read_is_no_grade(tmp_path, ref_file):
    bad = _without(tmp_path, IDS[-1])
    with Grader(ids=IDS, vectors=bad) as g:
        res = g.grade_file(str(ref_file))
        assert res.status == "grader error" and res.score == 0, (res.status, res.score)
        assert IDS[-1] in res.message, res.message
        with pytest.raises(VectorsError, match=IDS[-1].replace(".", r"\.")):
            g.prepare_batch()
    # the same file, whole, grades full marks (the damage is what failed)
    with Grader(ids=IDS) as g:
        ok = g.grade_file(str(ref_file))
    assert ok.status == "ok" and ok.score == ok.max_score


def test_the_cli_stops_with_the_vectors_error_and_writes_nothing(tmp_path, ref_file):
    bad = _without(tmp_path, "softmax.cross_entropy_backward")  # the group's last formula in the file
    out = tmp_path / "results.json"
    argv = [sys.executable, "-m", "checks.cli", "grade", str(ref_file), "--vectors", bad, "--json", str(out),
            "--group", "softmax", "--isolation", "require=none"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert "--vectors:" in r.stderr and "softmax.cross_entropy_backward" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert not out.exists()
    # and the whole file through the same command: exit 0, full marks
    good = [a if a != bad else data.PUBLIC_VECTORS for a in argv]
    r = subprocess.run(good, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.load(io.open(out, encoding="utf-8"))
    assert doc["score"] == sum(t["max_score"] for t in doc["tests"]), doc["score"]
