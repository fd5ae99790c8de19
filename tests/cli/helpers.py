"""Shared by the CLI tests: the one-line error check and a stand-in grader (no sandbox, no vectors file)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
SUBS = ROOT / "tests" / "submissions"


def one_error_line(capsys, prog: str) -> str:
    """Exit 2's contract: exactly one line on stderr, ``<prog>: error: ...``, no traceback anywhere."""
    cap = capsys.readouterr()
    lines = cap.err.splitlines()
    assert len(lines) == 1, cap.err
    assert lines[0].startswith(f"{prog}: error: "), cap.err
    assert "Traceback" not in cap.err + cap.out
    return lines[0]


class FakeGrader:
    """What ``formulacheck grade`` asks of a Grader, without workers: every file gets 1/1 (or raises)."""

    made = 0
    fail = False
    isolation = "none"
    resources = "rlimit"
    prepare_seconds = 0.0
    sha256 = "0" * 64
    formulas = [SimpleNamespace(id="activations.sigmoid")]
    n_formulas = 1

    def __init__(self, rubric, **kw):
        type(self).made += 1
        self.jobs = kw.get("jobs", 1)
        self.on_prepare = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def prepare_batch(self):
        return []

    def open_vectors(self):
        pass

    def _ensure(self):
        pass

    def grade_file(self, path):
        from checks.core.verdicts import Verdict
        from checks.grader.grade import FormulaResult, SubmissionResult

        if self.fail:
            raise RuntimeError("simulated grader bug")
        return SubmissionResult(os.path.basename(path), path,
                                tests=[FormulaResult("activations.sigmoid", 1.0, 1.0, Verdict.PASSED)])

    def _all_zero(self, name, path, status, message, verdict):
        from checks.core.verdicts import Status
        from checks.grader.grade import SubmissionResult

        return SubmissionResult(name, path, status=Status(status), message=message)


def fake_grader(monkeypatch, fail: bool = False) -> type[FakeGrader]:
    from checks.cli import grade

    cls = type("Fake", (FakeGrader,), {"made": 0, "fail": fail})
    monkeypatch.setattr(grade, "_batch_grader_class", lambda: cls)
    return cls
