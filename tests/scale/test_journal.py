"""The journal (checks.scale.journal) and the result records (checks.scale.records), with the local grader."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from checks.core.verdicts import Status, Verdict
from checks.grader.grade import FormulaResult, Grader, SubmissionResult
from checks.grader.rubric import Limits, Rubric
from checks.scale import journal as jm
from checks.scale.records import RecordError, from_record, to_record
from tests.scale.helpers import IDS, assert_same, comparable, write_batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return write_batch(tmp_path_factory.mktemp("subs"))


@pytest.fixture(scope="module")
def grader():
    with Grader(ids=IDS, jobs=1) as g:
        yield g


@pytest.fixture(scope="module")
def uninterrupted(grader, batch):
    return grader.grade_many(batch)


class Stop(Exception):
    pass


def _journal(path, rubric=None, ids=IDS):
    return jm.open_journal(str(path), vectors=None, rubric=rubric, ids=ids)


# ---------------------------------------------------------------- records


def test_record_round_trip_is_exact(uninterrupted):
    statuses = {r.status for r in uninterrupted}
    assert {Status.OK, Status.SYNTAX_ERROR, Status.IMPORT_ERROR} <= statuses  # the batch has several kinds
    assert len({r.score for r in uninterrupted}) >= 4
    for r in uninterrupted:
        rec = json.loads(json.dumps(to_record(r)))  # through JSON text
        back = from_record(rec)
        assert back == r
        assert type(back.status) is Status and all(type(t.verdict) is Verdict for t in back.tests)


def test_record_keeps_tuples_floats_and_student():
    r = SubmissionResult("a.py", "/x/a.py", status=Status.POLICY, message="m", seconds=0.1 + 0.2,
                         student={"id": "42", "name": "Zoë"},
                         tests=[FormulaResult("f.g", 1 / 3, 2.0, Verdict.MISMATCH, "r", "fb", "d", ("m1", "m2"))])
    back = from_record(json.loads(json.dumps(to_record(r))))
    assert back == r and back.tests[0].mistakes == ("m1", "m2") and back.tests[0].score == 1 / 3


def test_record_refuses_other_formats():
    rec = to_record(SubmissionResult("a.py", "a.py"))
    with pytest.raises(RecordError, match="format"):
        from_record({**rec, "record": 99})
    with pytest.raises(RecordError, match="unknown fields"):
        from_record({**rec, "bogus": 1})
    bad = dict(rec)
    del bad["status"]
    with pytest.raises(RecordError, match="missing fields"):
        from_record(bad)
    with pytest.raises(RecordError, match="malformed"):
        from_record({**rec, "status": "not a status"})


# ---------------------------------------------------------------- keys


def test_config_hash_depends_on_what_changes_a_grade():
    base = jm.config_hash(Rubric(), IDS)
    assert jm.config_hash(Rubric(), list(IDS)) == base
    assert jm.config_hash(replace(Rubric(), source="elsewhere/rubric.toml"), IDS) == base  # the file's name: no
    assert jm.config_hash(replace(Rubric(), limits=replace(Limits(), timeout=3.0)), IDS) != base
    assert jm.config_hash(replace(Rubric(), points={"softmax.softmax": 5}), IDS) != base
    assert jm.config_hash(Rubric(), IDS[:2]) != base
    assert jm.config_hash(Rubric(), IDS, shrink=True) != base


# ---------------------------------------------------------------- the file


def test_resume_grades_only_what_is_missing(tmp_path, grader, batch, uninterrupted):
    jpath = tmp_path / "j.jsonl"
    seen = []

    def stop_after_3(r):
        seen.append(r.name)
        if len(seen) == 3:
            raise Stop

    with _journal(jpath) as j, pytest.raises(Stop):
        jm.run_with_journal(batch, grader.grade_many, j, on_done=stop_after_3)
    lines = jpath.read_bytes().splitlines()
    assert len(lines) == 3 and oct(os.stat(jpath).st_mode & 0o777) == "0o600"
    graded = []

    def grade_fn(paths, on_done):
        graded.extend(paths)
        return grader.grade_many(paths, on_done)

    with _journal(jpath) as j:
        assert len(j.records) == 3
        done = []
        got = jm.run_with_journal(batch, grade_fn, j, on_done=done.append)
        assert j.appended == len(batch) - 3
    assert sorted(graded) == sorted(set(batch) - {p for p in batch if os.path.basename(p) in seen[:3]})
    assert sorted(r.name for r in done) == sorted(r.name for r in uninterrupted)  # each reported once
    assert_same(got, uninterrupted)
    # a third run grades nothing
    with _journal(jpath) as j:
        again = jm.run_with_journal(batch, lambda p, cb: pytest.fail(f"graded {p}"), j)
    assert_same(again, uninterrupted)


def test_other_config_or_changed_file_is_graded_again(tmp_path, grader, batch, uninterrupted):
    jpath = tmp_path / "j.jsonl"
    with _journal(jpath) as j:
        jm.run_with_journal(batch[:2], grader.grade_many, j)
    other = replace(Rubric(), points={"softmax.softmax": 7})
    with _journal(jpath, rubric=other) as j:
        assert j.records == {} and j.other == 2
    d = tmp_path / "copy"
    d.mkdir()
    moved = d / os.path.basename(batch[0])            # same bytes and name elsewhere: reused, new path
    moved.write_bytes(open(batch[0], "rb").read())
    renamed = d / "renamed.py"                        # same bytes, another name: graded again
    renamed.write_bytes(open(batch[0], "rb").read())
    with _journal(jpath) as j:
        graded = []
        got = jm.run_with_journal([str(moved), str(renamed)], lambda p, cb: graded.extend(p) or grader.grade_many(p, cb), j)
    assert graded == [str(renamed)]
    assert got[0].path == str(moved) and got[0].name == os.path.basename(batch[0])
    assert got[1].name == "renamed.py" and got[1].score == uninterrupted[0].score


def test_torn_line_is_ignored_and_never_continued(tmp_path, grader, batch, uninterrupted):
    jpath = tmp_path / "j.jsonl"
    with _journal(jpath) as j:
        jm.run_with_journal(batch[:2], grader.grade_many, j)
    full = jpath.read_bytes()
    jpath.write_bytes(full[: len(full) - 40])  # the second record cut mid-write
    with _journal(jpath) as j:
        assert len(j.records) == 1 and j.torn == 1
        got = jm.run_with_journal(batch[:2], grader.grade_many, j)
        assert j.appended == 1
    assert_same(got, uninterrupted[:2])
    with _journal(jpath) as j:  # the new record was written on a line of its own
        assert len(j.records) == 2 and j.torn == 1


def test_not_grades_are_not_recorded(tmp_path, batch):
    jpath = tmp_path / "j.jsonl"
    raw = jm.read_raw(batch[0])
    with _journal(jpath) as j:
        for st in (Status.GRADER_ERROR, Status.NOT_GRADED):
            assert not j.append(raw, SubmissionResult(raw.name, raw.path, status=st))
        assert not j.append(jm.read_raw(str(tmp_path / "missing.py")), SubmissionResult("missing.py", "x"))
    assert jpath.read_bytes() == b""


def test_bad_journals_are_one_line_errors(tmp_path):
    with pytest.raises(jm.JournalError, match="is a directory"):
        _journal(tmp_path)
    notj = tmp_path / "notes.txt"
    notj.write_text("hello\n")
    with pytest.raises(jm.JournalError, match="not a formulacheck journal"):
        _journal(notj)
    jpath = tmp_path / "j.jsonl"
    with _journal(jpath):
        with pytest.raises(jm.JournalError, match="another grading batch is using it"):
            _journal(jpath)
    with _journal(jpath):  # the lock went with the first
        pass
