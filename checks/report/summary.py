"""``text_summary(results) -> str``: the class report in plain text.

``formulacheck grade`` prints it at the end of every batch; it takes the
grader's :class:`~checks.grader.grade.SubmissionResult` list as well as the
rows :mod:`checks.report.load` reads (numpy only: no matplotlib, no rich).
"""

from __future__ import annotations

from checks.report import stats as st
from checks.report.rows import Row, to_rows

BAR = "█"
WIDTH = 40          # the longest histogram bar, in characters
TOP = 10            # the mistakes listed
MAX_NOT_OK = 20     # the non-ok submissions listed


def _clip(s: str, n: int) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def text_summary(results, *, title: str = "Class summary") -> str:
    """A plain-text class summary of ``results`` (SubmissionResult objects or :class:`Row` s, mixed or not).

    Score distribution (quantiles and a text histogram), per-formula pass
    rate with the failing verdicts, the most common diagnosed mistakes,
    the submissions whose status is not ok. Empty input gives one line.
    """
    rows: list[Row] = to_rows(results)
    if not rows:
        return f"{title}: no submissions.\n"
    s = st.compute(rows)
    out = [f"{title}: {s.n} submission{'s' * (s.n != 1)}, {s.n - len(s.not_ok)} ok, {len(s.not_ok)} not ok; "
           f"{len(s.formulas)} formula{'s' * (len(s.formulas) != 1)}"
           + (f"; vectors sha256:{', '.join(v[:16] for v in s.vectors)}" if s.vectors else "")]
    out += ["", f"Scores (out of {st.num(s.max_score)}, {s.n_scored} scored submissions):"]
    if s.n_scored:
        q = s.quantiles()
        out.append("  " + "  ".join(f"{k} {st.num(v) if k != 'mean' else f'{v:.2f}'}" for k, v in q.items()))
        counts, edges = s.histogram()
        peak = max(int(counts.max()), 1)
        labels = s.bin_labels(edges)
        w = max(len(x) for x in labels)
        for lab, c in zip(labels, counts):
            out.append(f"  {lab:>{w}} | {BAR * round(WIDTH * int(c) / peak) if c else ''}{' ' if c else ''}{int(c)}")
    else:
        out.append("  (none scored)")
    out += ["", f"Per formula (over the {s.n_ran} submission{'s' * (s.n_ran != 1)} whose formulas ran):"]
    if s.formulas:
        w = max(len(f.id) for f in s.formulas)
        for f in sorted(s.formulas, key=lambda f: (f.rate if f.rate is not None else 2.0, f.id)):
            failing = ", ".join(f"{v} {c}" for v, c in f.ordered_verdicts() if v != st.PASSED)
            out.append(f"  {f.id:<{w}}  {st.pct(f.rate):>4}  {f.passed}/{f.n}" + (f"  ({failing})" if failing else ""))
    else:
        out.append("  (no formulas)")
    top = s.top_mistakes()[:TOP]
    out += ["", "Most common diagnosed mistakes:"]
    if top:
        for fid, m, c, ex in top:
            extra = f": {_clip(ex, 90)}" if ex and ex != m else ""
            out.append(f"  {c:>3} × {fid}: {_clip(st.mistake_label(fid, m), 60)}{extra}")
    else:
        out.append("  (none diagnosed)")
    out += ["", f"Submissions not ok ({len(s.not_ok)}):"]
    if s.not_ok:
        for r in s.not_ok[:MAX_NOT_OK]:
            who = f" ({_clip(r.who, 40)})" if r.who != r.name else ""
            out.append(f"  {_clip(r.name, 50)}{who}: {r.status}" + (f": {_clip(r.message, 100)}" if r.message else ""))
        if len(s.not_ok) > MAX_NOT_OK:
            out.append(f"  ... and {len(s.not_ok) - MAX_NOT_OK} more")
    else:
        out.append("  (none)")
    return "\n".join(out) + "\n"
