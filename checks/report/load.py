"""Reading a batch's results: a ``--json-dir`` folder of results.json files, the batch CSV, or both.

Both forms are accepted as :mod:`checks.grader.report` writes them today and
in their extended form:

- results.json (Gradescope): ``score``, ``output`` (its "Submission:" and
  "Status:" lines), ``tests[name, score, max_score, status, output]``;
  ``extra_data`` ``{status, isolation, resources, vectors}``, extended with
  ``message`` and ``student``; per test ``extra_data`` ``{id, verdict,
  diagnosis, mistakes}`` when present, else the verdict is read from the
  head line of the test's feedback (``<id> vs <oracle>: <verdict>``) and is
  ``failed`` when it names none;
- the CSV: ``submission, status, total, max_total, <formula ids>..., message,
  file, isolation, vectors``; extended with the row key ``student`` and
  identity columns (name, sid, email...) before ``submission`` (they become
  ``Row.student``) and ``<id>:verdict`` columns.
  Without verdict columns a formula passed when it scored its column's
  highest score (> 0): a grade is all or nothing per formula.

When both a folder and the CSV of one batch are given, a submission's JSON
row (richer) is kept and the CSV fills in its identity; CSV rows without a
JSON file (not graded) are added. Any unreadable input is a
:class:`LoadError` naming the file.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re

from checks.core.verdicts import Status, Verdict
from checks.report.rows import FAILED, Row, TestRow

#: the CSV's own columns (everything else after ``submission`` is a formula's score or verdict)
CSV_COLUMNS = ("submission", "status", "total", "max_total", "message", "file", "isolation", "vectors", "resources")
VERDICT_SUFFIX = ":verdict"
#: a whole-submission status -> the verdict the grader gives each formula (checks.grader.grade._all_zero)
_STATUS_VERDICT = {Status.UNREADABLE: Verdict.ERROR, Status.SYNTAX_ERROR: Verdict.ERROR, Status.POLICY: Verdict.POLICY,
                   Status.IMPORT_ERROR: Verdict.ERROR, Status.IMPORT_TIMEOUT: Verdict.TIMEOUT,
                   Status.IMPORT_CRASHED: Verdict.CRASHED, Status.GRADER_ERROR: Verdict.NOT_GRADED}
_VERDICTS = sorted((v.value for v in Verdict), key=len, reverse=True)


class LoadError(Exception):
    """An input that is not a batch's results: one line naming the file."""


def _name(path: str) -> str:
    return " ".join(os.fspath(path).split()).encode("utf-8", "backslashreplace").decode("utf-8")


# --------------------------------------------------------------------------- results.json


_MD_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~&#+=.)-])")


def _md_plain(line: str) -> str:
    """A line of the Markdown feedback (checks.grader.report.md_escape) as its plain text."""
    return _MD_ESCAPED.sub(r"\1", line.replace("&nbsp;", " ")).strip()


def verdict_from_feedback(test_id: str, text: str) -> str:
    """The verdict the head line of a test's feedback names (``softmax.softmax vs torch: mismatch``), else FAILED."""
    lines = [_md_plain(ln) for ln in str(text or "").splitlines() if ln.strip() and not ln.lstrip().startswith("```")]
    head = lines[0] if lines else ""
    if not head.startswith(test_id):
        return FAILED
    for v in _VERDICTS:
        for sep in (f": {v}",):
            i = head.find(sep)
            if i >= 0 and (len(head) == i + len(sep) or head[i + len(sep)] in " (\n"):
                return v
    for s, v in _STATUS_VERDICT.items():
        if head.endswith(f": {s.value}"):
            return v.value
    return FAILED


def _number(x, path: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise LoadError(f"{_name(path)}: {what} is {x!r}, not a number: not a formulacheck results.json")
    return float(x)


def _line_value(text: str, prefix: str) -> str:
    for ln in str(text or "").splitlines():
        if ln.startswith(prefix):
            return ln[len(prefix):].strip()
    return ""


def row_from_json(data, path: str) -> Row:
    """A :class:`Row` of one parsed results.json (``path`` names it in errors and gives the row key)."""
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise LoadError(f"{_name(path)}: not a results.json (Gradescope format: an object with a 'tests' list)")
    extra = data.get("extra_data") if isinstance(data.get("extra_data"), dict) else {}
    output = data.get("output") if isinstance(data.get("output"), str) else ""
    status = str(extra.get("status") or "")
    status_line = _line_value(output, "Status: ")
    if not status:
        status = next((s.value for s in sorted(Status, key=lambda s: -len(s.value))
                       if status_line.startswith(s.value + ":")), Status.OK.value)
    message = extra.get("message")
    if not isinstance(message, str):
        message = status_line[len(status) + 1:].strip() if status_line.startswith(status + ":") else ""
    tests = []
    for i, t in enumerate(data["tests"]):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise LoadError(f"{_name(path)}: tests[{i}] has no name: not a formulacheck results.json")
        te = t.get("extra_data") if isinstance(t.get("extra_data"), dict) else {}
        tid = str(te.get("id") or t["name"])
        score = _number(t.get("score", 0), path, f"tests[{i}].score")
        mx = _number(t.get("max_score", 0), path, f"tests[{i}].max_score")
        verdict = str(te.get("verdict") or "")
        if verdict not in {v.value for v in Verdict}:
            verdict = (Verdict.PASSED.value if t.get("status") == "passed"
                       else verdict_from_feedback(tid, t.get("output", "")))
        if verdict == Verdict.PASSED.value and t.get("status") == "failed":
            verdict = FAILED
        mistakes = te.get("mistakes") if isinstance(te.get("mistakes"), (list, tuple)) else ()
        tests.append(TestRow(tid, verdict, score, mx, str(te.get("diagnosis") or ""), tuple(str(m) for m in mistakes)))
    score = _number(data.get("score", sum(t.score for t in tests)), path, "score")
    stem = os.path.splitext(os.path.basename(path))[0]
    student = extra.get("student") if isinstance(extra.get("student"), dict) else {}
    return Row(key=stem, name=_line_value(output, "Submission: ") or stem, status=status, message=message,
               score=score, max_score=sum(t.max_score or 0.0 for t in tests), tests=tests,
               vectors=str(extra.get("vectors") or "") or _line_value(output, "Graded against the vectors file sha256:"),
               isolation=str(extra.get("isolation") or ""),
               student={str(k): str(v) for k, v in student.items() if v not in (None, "")}, source=path)


def read_json(path: str) -> Row:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise LoadError(f"{_name(path)}: cannot read it: {e.strerror or e}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise LoadError(f"{_name(path)}: not UTF-8 (byte {e.start}): not a results.json") from None
    except json.JSONDecodeError as e:
        raise LoadError(f"{_name(path)}: corrupt JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise LoadError(f"{_name(path)}: corrupt JSON (nested too deeply)") from None
    return row_from_json(data, path)


# --------------------------------------------------------------------------- the CSV


def _csv_number(x: str, path: str, line: int, col: str) -> float | None:
    x = (x or "").strip()
    if not x:
        return None
    try:
        v = float(x)
    except ValueError:
        raise LoadError(f"{_name(path)}: line {line}: column {col} is {x!r}, not a number") from None
    if not math.isfinite(v):
        raise LoadError(f"{_name(path)}: line {line}: column {col} is {x!r}, not a number")
    return v


def read_csv(path: str) -> list[Row]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            table = list(csv.reader(fh))
    except OSError as e:
        raise LoadError(f"{_name(path)}: cannot read it: {e.strerror or e}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise LoadError(f"{_name(path)}: not a readable CSV ({e})") from None
    if not table or "submission" not in table[0] or "status" not in table[0]:
        raise LoadError(f"{_name(path)}: not a formulacheck grades CSV (no 'submission' and 'status' columns)")
    head = table[0]
    at = head.index("submission")
    # the row key: ``student`` (first, the identity-keyed CSV) else ``submission`` (the CSV of scores)
    key_col = "student" if "student" in head[:at] else "submission"
    identity = [c if c != key_col else "" for c in head[:at]]
    verdict_cols = {c[: -len(VERDICT_SUFFIX)]: j for j, c in enumerate(head) if c.endswith(VERDICT_SUFFIX) and j > at}
    score_cols = [(c, j) for j, c in enumerate(head) if j > at and c not in CSV_COLUMNS and not c.endswith(VERDICT_SUFFIX)]
    ids = [c for c, _ in score_cols] + [i for i in verdict_cols if i not in {c for c, _ in score_cols}]
    col = {c: j for j, c in enumerate(head)}
    raw = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(head) - len(cells))
        raw.append((n, cells))
    # the points of a formula: the column's highest score (all-or-nothing grading)
    points = {}
    for c, j in score_cols:
        vals = [_csv_number(cells[j], path, n, c) for n, cells in raw]
        points[c] = max((v for v in vals if v is not None), default=0.0)
    rows = []
    for n, cells in raw:
        get = lambda c: cells[col[c]] if c in col else ""  # noqa: E731
        status = get("status").strip() or Status.OK.value
        total = _csv_number(get("total"), path, n, "total")
        graded = status != Status.NOT_GRADED.value and total is not None
        tests = []
        if graded:
            scores = {c: _csv_number(cells[j], path, n, c) for c, j in score_cols}
            for fid in ids:
                sc = scores.get(fid)
                v = cells[verdict_cols[fid]].strip() if fid in verdict_cols else ""
                if v not in {x.value for x in Verdict}:
                    if status in {s.value for s in _STATUS_VERDICT} and status not in (Status.GRADER_ERROR.value,):
                        v = _STATUS_VERDICT[Status(status)].value
                    elif sc is not None and points.get(fid, 0.0) > 0:
                        v = Verdict.PASSED.value if sc >= points[fid] else FAILED
                    else:
                        v = FAILED
                tests.append(TestRow(fid, v, sc, points.get(fid)))
        key = get(key_col)
        rows.append(Row(key=key, name=get("file") or get("submission") or key, status=status, message=get("message"),
                        score=total if graded else None,
                        max_score=_csv_number(get("max_total"), path, n, "max_total") if graded else None,
                        tests=tests, vectors=get("vectors"), isolation=get("isolation"),
                        student={c: cells[j] for j, c in enumerate(identity) if c and cells[j].strip()},
                        source=f"{path}:{n}"))
    return rows


# --------------------------------------------------------------------------- inputs


def _stem(key: str) -> str:
    from checks.grader.report import json_stem

    return json_stem(key).casefold()


def load(paths: list[str]) -> list[Row]:
    """The rows of ``paths`` (folders of results.json files, .json files, .csv files); at least one row."""
    json_rows: list[Row] = []
    csv_rows: list[Row] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs
                           if f.lower().endswith(".json") and not f.startswith("."))
            if not found:
                raise LoadError(f"{_name(p)}: no results (.json files) in this folder; give a `formulacheck grade "
                                f"--json-dir` folder or the --out CSV")
            json_rows += [read_json(f) for f in found]
        elif not os.path.exists(p):
            raise LoadError(f"{_name(p)}: no such file or folder")
        elif p.lower().endswith(".csv"):
            csv_rows += read_csv(p)
        elif p.lower().endswith(".json"):
            json_rows.append(read_json(p))
        else:
            raise LoadError(f"{_name(p)}: not a results folder, a .json or a .csv file")
    if not csv_rows:
        rows = json_rows
    else:
        by_stem: dict[str, list[Row]] = {}
        for r in json_rows:
            by_stem.setdefault(r.key.casefold(), []).append(r)
        rows = []
        for c in csv_rows:
            match = by_stem.get(_stem(c.key))
            if match:
                r = match.pop(0)
                r.student = r.student or c.student
                r.key = c.key
                rows.append(r)
            else:
                rows.append(c)
        rows += [r for rs in by_stem.values() for r in rs]  # JSON files the CSV has no row for
    if not rows:
        raise LoadError(f"{_name(paths[0]) if paths else 'RESULTS'}: no submissions in it (an empty CSV?)")
    return rows
