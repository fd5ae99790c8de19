"""The class report of a batch graded by the real CLI: numbers from the construction of the batch, not from the report."""

from __future__ import annotations

import json
import re

from checks.report import html, load, stats
from checks.report.rows import FAILED
from checks.report.summary import text_summary
from tests.report._batch import CJK_NAME, EXPECTED_NOT_OK, EXPECTED_PASSED, EXPECTED_RAN, KANA_NAME

REMOTE = re.compile(r"""(<script[^>]*\bsrc\s*=|<link[^>]*\bhref\s*=|<img[^>]*\bsrc\s*=|url\(\s*['"]?\s*)(https?:)?//""", re.I)


def _stats(paths):
    return stats.compute(load.load([str(p) for p in paths]))


def _check_numbers(s, *, verdicts_known: bool):
    assert s.n == 6 and s.n_ran == EXPECTED_RAN and s.n_scored == 6
    rates = {f.id: (f.passed, f.n) for f in s.formulas}
    assert len(rates) == 10  # the softmax and activations groups
    for fid, (passed, n) in rates.items():
        assert n == EXPECTED_RAN
        # every formula is passed by ref, 张伟 and axis except the ones the mutants broke; never by the template
        assert passed == EXPECTED_PASSED.get(fid, 3), fid
    soft = next(f for f in s.formulas if f.id == "softmax.softmax")
    assert soft.verdicts["passed"] == 1
    if verdicts_known:
        assert soft.verdicts["not implemented"] == 1
        assert sum(soft.verdicts.values()) == 4 and FAILED not in soft.verdicts
        assert not set(soft.verdicts) & {"raised an exception", "crashed", "timed out"}  # the mutants ran and were wrong
    assert {r.name: r.status for r in s.not_ok} == EXPECTED_NOT_OK
    full = max(s.scores)
    assert sorted(s.scores)[:3] == [0, 0, 0]  # template, broken, policy
    assert sorted(s.scores)[-1] == full and sum(s.scores == full) == 1  # only the reference has full marks


def test_json_csv_and_both_agree(real_batch):
    jd, csv = real_batch
    _check_numbers(_stats([jd]), verdicts_known=True)
    _check_numbers(_stats([csv]), verdicts_known=False)  # today's CSV: scores only
    both = _stats([jd, csv])
    _check_numbers(both, verdicts_known=True)
    assert {r.key for r in both.rows} == {"ref.py", CJK_NAME, "axis.py", "template.py", "broken.py", KANA_NAME}


def test_the_page_of_a_real_batch(real_batch):
    jd, csv = real_batch
    rows = load.load([str(jd), str(csv)])
    page = html.render(rows, title="DL 2025: homework 3")
    assert page.count("<svg") == 3 and page.count("</svg>") == 3
    assert 'id="chart-scores"' in page and 'id="chart-pass-rates"' in page and 'id="chart-verdicts"' in page
    assert "<script" not in page.lower() and not REMOTE.search(page)
    assert "<!DOCTYPE svg" not in page and "<?xml" not in page  # no external DTD reference
    # the verdicts table: softmax.softmax first (hardest), at 25 %
    body = page.split('id="verdicts"')[1]
    first = re.search(r"<tr><td><code>([^<]+)</code></td><td class=\"n\">([^<]+)</td>", body)
    assert first.groups() == ("softmax.softmax", "25%")
    assert "<code>activations.tanh_backward</code></td><td class=\"n\">50%" in body
    # the non-ok submissions, with their status and the kana name marked Japanese
    not_ok = page.split('id="not-ok"')[1]
    assert "Submissions not ok (2)" in not_ok
    assert "<td>broken.py</td>" in not_ok and "syntax error" in not_ok
    assert f'<span lang="ja">{KANA_NAME}</span>' in not_ok and "policy violation" in not_ok
    assert "ref.py" not in not_ok
    sha = json.loads(next(jd.glob("ref.json")).read_text())["extra_data"]["vectors"]
    assert f"sha256:{sha[:16]}" in page
    assert '"Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif' in page


def test_text_summary_of_a_real_batch(real_batch):
    jd, _ = real_batch
    text = text_summary(load.load([str(jd)]))
    assert "6 submissions, 4 ok, 2 not ok; 10 formulas" in text
    assert re.search(r"softmax\.softmax\s+25%\s+1/4", text)
    assert re.search(r"activations\.tanh_backward\s+50%\s+2/4", text)
    assert "broken.py: syntax error" in text and f"{KANA_NAME}: policy violation" in text
    hist = text.split("Scores")[1].split("Per formula")[0]
    assert re.search(r"^\s+0 \| █+ 3$", hist, re.M)  # template, broken, policy at 0
