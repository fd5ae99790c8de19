"""Reading results in every accepted form; one row model from the grader's objects and from the files."""

from __future__ import annotations

import json

import pytest

from checks.core.verdicts import Status, Verdict
from checks.grader import report as grader_report
from checks.grader.grade import FormulaResult, SubmissionResult
from checks.report import html, load, stats
from checks.report.rows import FAILED, from_result
from checks.report.summary import text_summary

SHA = "ab" * 32
NO_SHIFT = "softmax.softmax:softmax_no_shift"
AXIS = "softmax.softmax:softmax_wrong_axis"


def _fr(fid, verdict, pts=1.0, mistakes=(), diagnosis=""):
    ok = verdict is Verdict.PASSED
    fb = f"{fid}: passed (10 inputs)" if ok else f"{fid} vs torch: {verdict}\n{fid.split('.')[1]}: values differ"
    if verdict is Verdict.NOT_IMPLEMENTED:
        fb = f"{fid}: not implemented (no function)"
    return FormulaResult(fid, pts if ok else 0.0, pts, verdict, "", fb, diagnosis, tuple(mistakes))


def batch() -> list[SubmissionResult]:
    """8 submissions: 3 make the no-shift mistake, 1 the wrong axis, 1 a failure nothing diagnoses, 1 a syntax error."""
    P, M, N = Verdict.PASSED, Verdict.MISMATCH, Verdict.NOT_IMPLEMENTED
    plan = [("a.py", P, P), ("b.py", M, P), ("c.py", M, P), ("d.py", M, N), ("e.py", M, P), ("f.py", P, N),
            ("g.py", Verdict.NONFINITE, P)]
    out = []
    for name, v1, v2 in plan:
        mk = {"b.py": (NO_SHIFT,), "c.py": (NO_SHIFT,), "d.py": (NO_SHIFT,), "e.py": (AXIS,)}.get(name, ())
        diag = {NO_SHIFT: "Likely mistake: exp without subtracting the max\nHint: overflow", AXIS: "Likely mistake: the "
                "batch axis\nHint: axis=-1"}.get(mk[0] if mk else "", "")
        r = SubmissionResult(name, "/x/" + name, tests=[_fr("softmax.softmax", v1, 2.0, mk, diag),
                                                         _fr("optim.adam_step", v2, 3.0)], vectors=SHA,
                             isolation="namespaces+seccomp", student={"name": "李雷" if name == "b.py" else "",
                                                                      "id": name[0]})
        out.append(r)
    bad = SubmissionResult("h.py", "/x/h.py", status=Status.SYNTAX_ERROR, message="line 2: invalid syntax", vectors=SHA,
                           tests=[FormulaResult("softmax.softmax", 0, 2.0, Verdict.ERROR, "", "softmax.softmax: syntax error\nline 2"),
                                  FormulaResult("optim.adam_step", 0, 3.0, Verdict.ERROR, "", "optim.adam_step: syntax error\nline 2")],
                           student={"name": "やまだ"})
    return out + [bad]


def _num(x):
    return int(x) if float(x).is_integer() else x


def old_results_json(r: SubmissionResult) -> dict:
    """results.json as checks/grader/report.py wrote it before the extension (plain-text output, no per-test extra_data)."""
    out = [f"Score: {_num(r.score)} / {_num(r.max_score)} ({sum(t.passed for t in r.tests)} of {len(r.tests)} formulas "
           f"passed)", f"Submission: {r.name}"]
    if r.status != "ok":
        out.append(f"Status: {r.status}: {r.message}")
    out.append(f"Graded against the vectors file sha256:{r.vectors}")
    return {"score": _num(r.score), "execution_time": 0.1, "output": "\n".join(out),
            "extra_data": {"status": str(r.status), "isolation": r.isolation, "resources": "", "vectors": r.vectors},
            "tests": [{"name": t.id, "score": _num(t.score), "max_score": _num(t.max_score),
                       "status": "passed" if t.passed else "failed", "output": t.feedback} for t in r.tests]}


def old_csv_text(results: list[SubmissionResult], ids: list[str]) -> str:
    """The batch CSV before the extension: submission, status, totals, points per formula, message, file, isolation, vectors."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission", "status", "total", "max_total", *ids, "message", "file", "isolation", "vectors"])
    for r in results:
        by_id = {t.id: t.score for t in r.tests}
        w.writerow([r.name, r.status, _num(r.score), _num(r.max_score), *[_num(by_id[i]) for i in ids], r.message, r.name,
                    r.isolation, r.vectors])
    return buf.getvalue()


def write_dir(tmp, results, form="extended"):
    """The results.json files of ``results``: ``extended`` by the real writer, ``current`` (the older form) by hand."""
    tmp.mkdir(parents=True, exist_ok=True)
    for r in results:
        d = grader_report.results_json(r) if form == "extended" else old_results_json(r)
        (tmp / (r.name[:-3] + ".json")).write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return tmp


def test_stats_of_the_batch_are_right():
    s = stats.compute([from_result(r) for r in batch()])
    soft, adam = s.formulas
    assert (soft.passed, soft.n) == (2, 7) and (adam.passed, adam.n) == (5, 7)
    assert soft.verdicts == {"passed": 2, "mismatch": 4, "nan/inf": 1}
    assert soft.mistakes == {NO_SHIFT: 3, AXIS: 1}
    assert s.top_mistakes()[0][:3] == ("softmax.softmax", NO_SHIFT, 3)
    assert [r.name for r in s.not_ok] == ["h.py"]
    # scores: a 5, b 3, c 3, d 0, e 3, f 2, g 3, h 0 (out of 5)
    counts, edges = s.histogram()
    assert list(counts) == [2, 0, 1, 4, 0, 1] and s.max_score == 5
    assert s.quantiles()["median"] == 3


def test_current_and_extended_json_and_the_objects_agree(tmp_path):
    res = batch()
    cur = stats.compute(load.load([str(write_dir(tmp_path / "cur", res, "current"))]))
    ext = stats.compute(load.load([str(write_dir(tmp_path / "ext", res, "extended"))]))
    obj = stats.compute([from_result(r) for r in res])
    for s in (cur, ext):
        assert [(f.id, f.passed, f.n, dict(f.verdicts)) for f in s.formulas] == \
               [(f.id, f.passed, f.n, dict(f.verdicts)) for f in obj.formulas]  # the current form's verdicts: from the feedback
        assert list(s.scores) == list(obj.scores) and s.vectors == [SHA]
        assert [(r.name, r.status, r.message) for r in s.not_ok] == [("h.py", "syntax error", "line 2: invalid syntax")]
    assert ext.formulas[0].mistakes == obj.formulas[0].mistakes and not cur.formulas[0].mistakes
    # text_summary takes the grader's objects and the loaded rows alike, and says the same
    assert text_summary(res) == text_summary(load.load([str(tmp_path / "ext")]))
    text = text_summary(res)
    assert "3 × softmax.softmax: softmax_no_shift: Likely mistake: exp without subtracting the max" in text
    assert "1 × softmax.softmax: softmax_wrong_axis" in text
    assert "h.py (やまだ): syntax error: line 2: invalid syntax" in text


def test_the_page_lists_mistakes_and_marks_names(tmp_path):
    rows = load.load([str(write_dir(tmp_path / "ext", batch(), "extended"))])
    page = html.render(rows)
    mistakes = page.split('id="mistakes"')[1].split("</section>")[0]
    assert (f'<tr><td><code>softmax.softmax</code></td><td class="id"><code title="{NO_SHIFT}">softmax_no_shift</code></td>'
            '<td class="n">3</td><td>Likely mistake: exp without subtracting the max</td></tr>') in mistakes
    assert f'<code title="{AXIS}">softmax_wrong_axis</code></td><td class="n">1</td>' in mistakes
    not_ok = page.split('id="not-ok"')[1]
    assert '<td><span lang="ja">やまだ</span></td>' in not_ok and "<td>h.py</td>" in not_ok


def test_extended_csv_identity_and_verdict_columns(tmp_path):
    p = tmp_path / "grades.csv"
    p.write_text("name,email,submission,status,total,max_total,softmax.softmax,softmax.softmax:verdict,optim.adam_step,"
                 "optim.adam_step:verdict,message,file,isolation,vectors\n"
                 f"李雷,l@x,b.py,ok,3,5,0,mismatch,3,passed,,b.py,uid,{SHA}\n"
                 f"Ann,a@x,a.py,ok,5,5,2,passed,3,passed,,a.py,uid,{SHA}\n"
                 f"Bo,b@x,d.py,ok,0,5,0,nan/inf,0,not implemented,,d.py,uid,{SHA}\n"
                 f"Cy,c@x,z.py,not graded,,,,,,,interrupted,z.py,uid,{SHA}\n", encoding="utf-8")
    rows = load.load([str(p)])
    assert [r.student.get("name") for r in rows] == ["李雷", "Ann", "Bo", "Cy"]
    s = stats.compute(rows)
    soft, adam = s.formulas
    assert soft.verdicts == {"mismatch": 1, "passed": 1, "nan/inf": 1} and (adam.passed, adam.n) == (2, 3)
    assert s.n_scored == 3 and [r.status for r in s.not_ok] == ["not graded"]
    assert "Cy" in html.render(rows).split('id="not-ok"')[1]


def test_the_grader_csv_with_identity_and_verdicts(tmp_path):
    """The real writer's CSV (identity-keyed, verdict columns) alone, and matched with its JSON folder."""
    res = batch()
    ids = ["softmax.softmax", "optim.adam_step"]
    p = tmp_path / "grades.csv"
    p.write_text(grader_report.csv_text(res, ids), encoding="utf-8")
    rows = load.load([str(p)])
    s = stats.compute(rows)
    assert s.formulas[0].verdicts == {"passed": 2, "mismatch": 4, "nan/inf": 1} and (s.formulas[1].passed, s.formulas[1].n) == (5, 7)
    assert rows[1].student.get("name") == "李雷" and rows[1].name == "b.py"
    both = load.load([str(write_dir(tmp_path / "j", res)), str(p)])
    assert len(both) == 8 and all(r.source.endswith(".json") for r in both)  # every CSV row matched its JSON file
    assert stats.compute(both).formulas[0].mistakes == {NO_SHIFT: 3, AXIS: 1}


def test_old_csv_infers_pass_from_the_points(tmp_path):
    p = tmp_path / "grades.csv"
    res = batch()
    p.write_text(old_csv_text(res, ["softmax.softmax", "optim.adam_step"]), encoding="utf-8")
    s = stats.compute(load.load([str(p)]))
    soft = s.formulas[0]
    assert (soft.passed, soft.n) == (2, 7) and soft.verdicts == {"passed": 2, FAILED: 5}
    assert [r.status for r in s.not_ok] == ["syntax error"]
    # with the JSON folder too, the rows are the JSON's (verdicts known), matched by key
    both = stats.compute(load.load([str(write_dir(tmp_path / "j", res, "current")), str(p)]))
    assert both.n == 8 and both.formulas[0].verdicts == {"passed": 2, "mismatch": 4, "nan/inf": 1}


@pytest.mark.parametrize("content, says", [
    ('{"score": 1, "tests": [', "corrupt JSON (line 1"),
    ('[1, 2]', "not a results.json"),
    ('{"score": 1, "tests": [{"score": 1}]}', "tests[0] has no name"),
    ('{"score": "x", "tests": []}', "score is 'x'"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_bad_json_names_the_file(tmp_path, content, says):
    d = tmp_path / "res"
    write_dir(d, batch()[:2])
    bad = d / "zz bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(load.LoadError) as e:
        load.load([str(d)])
    assert str(e.value).startswith(f"{bad}: ") and says in str(e.value)


def test_bad_inputs(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    (tmp_path / "n.csv").write_text("submission,status,total,max_total,softmax.softmax,message\na.py,ok,x,1,1,\n")
    (tmp_path / "r.txt").write_text("hi")
    for p, says in [("empty", "no results (.json files) in this folder"), ("x.csv", "not a formulacheck grades CSV"),
                    ("n.csv", "line 2: column total is 'x'"), ("r.txt", "not a results folder"), ("nope", "no such file")]:
        with pytest.raises(load.LoadError, match=None) as e:
            load.load([str(tmp_path / p)])
        assert str(e.value).startswith(str(tmp_path / p)) and says in str(e.value), str(e.value)


def test_verdict_from_feedback_reads_the_real_head_lines():
    assert load.verdict_from_feedback("softmax.softmax", "softmax.softmax vs torch: nan/inf\n...") == "nan/inf"
    assert load.verdict_from_feedback("a.b", "a.b vs torch: wrong shape or type\n") == "wrong shape or type"
    assert load.verdict_from_feedback("a.b", "a.b: not implemented (a.b raises NotImplementedError)") == "not implemented"
    assert load.verdict_from_feedback("a.b", "a.b: timed out\n") == "timed out"
    assert load.verdict_from_feedback("a.b", "a.b: import timed out\nafter 10 s") == "timed out"
    assert load.verdict_from_feedback("a.b", "a.b: syntax error\nline 1") == "raised an exception"
    assert load.verdict_from_feedback("a.b", "something else") == FAILED


def test_histogram_bins_of_whole_points_cover_every_score_once():
    import numpy as np

    for top, scores, labels in [(22, [0, 0, 1, 16, 17, 22], ["0-1", "2-3"]), (61, [0, 3, 4, 60, 61], ["0-3", "4-7"])]:
        s = stats.ClassStats([], np.array(scores, float), float(top), [], [], [])
        counts, edges = s.histogram()
        assert len(counts) <= stats.MAX_BINS and counts.sum() == len(scores)
        assert s.bin_labels(edges)[:2] == labels and s.bin_labels(edges)[-1].endswith(str(top))
        for x in scores:  # the bin a score is counted in is the one its label names
            i = int(np.searchsorted(edges, x) - 1)
            a, _, b = s.bin_labels(edges)[i].partition("-")
            assert int(a) <= x <= int(b or a)
    assert list(counts) == [2, 1] + [0] * 13 + [2]
