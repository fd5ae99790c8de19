"""Grader outputs: the table, Gradescope's results.json, the batch CSV.

Every file is written by the grader only, atomically (a temporary file in the
same directory, then a rename), to the path the user gave: nothing is ever
derived from a submission's data except its file name.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile

from checks.grader.grade import SubmissionResult


def atomic_write(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".formulacheck-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _num(x: float):
    return int(x) if float(x).is_integer() else round(float(x), 6)


def summary_text(res: SubmissionResult) -> str:
    n_pass = sum(t.passed for t in res.tests)
    lines = [f"Score: {_num(res.score)} / {_num(res.max_score)} ({n_pass} of {len(res.tests)} formulas passed)"]
    if res.status != "ok":
        lines.append(f"Status: {res.status}: {res.message}")
    if res.output:
        lines += ["", "Your submission printed (captured, capped):", res.output]
    return "\n".join(lines)


def results_json(res: SubmissionResult) -> dict:
    """Gradescope's format: score, execution_time, output, tests[name, score, max_score, status, output]."""
    return {
        "score": _num(res.score),
        "execution_time": round(res.seconds, 3),
        "output": summary_text(res),
        "tests": [
            {
                "name": t.id,
                "score": _num(t.score),
                "max_score": _num(t.max_score),
                "status": "passed" if t.passed else "failed",
                "output": t.feedback,
            }
            for t in res.tests
        ],
    }


def write_json(path: str, res: SubmissionResult) -> None:
    atomic_write(path, json.dumps(results_json(res), ensure_ascii=False, indent=2) + "\n")


def csv_text(results: list[SubmissionResult], ids: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission", "status", "total", "max_total", *ids, "message"])
    for r in results:
        by_id = {t.id: t.score for t in r.tests}
        msg = " ".join(r.message.split())[:500]
        w.writerow([r.name, r.status, _num(r.score), _num(r.max_score), *[_num(by_id.get(i, 0.0)) for i in ids], msg])
    return buf.getvalue()


def write_csv(path: str, results: list[SubmissionResult], ids: list[str]) -> None:
    atomic_write(path, csv_text(results, ids))


def table(res: SubmissionResult):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"formulacheck grade: {res.name}")
    t.add_column("formula")
    t.add_column("points", justify="right")
    t.add_column("verdict")
    t.add_column("reason", overflow="fold")
    for x in res.tests:
        style = "green" if x.passed else ("yellow" if x.verdict == "not implemented" else "red")
        t.add_row(x.id, f"{_num(x.score)}/{_num(x.max_score)}", Text(x.verdict, style=style), Text(x.reason))
    return t


def batch_table(results: list[SubmissionResult]):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"formulacheck grade: {len(results)} submissions")
    for c, j in (("submission", "left"), ("status", "left"), ("total", "right"), ("message", "left")):
        t.add_column(c, justify=j, overflow="fold")
    for r in results:
        style = "green" if r.status == "ok" else "red"
        t.add_row(Text(r.name), Text(r.status, style=style), f"{_num(r.score)}/{_num(r.max_score)}", Text(r.message[:160]))
    return t
