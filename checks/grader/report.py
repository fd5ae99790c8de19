"""Grader outputs: the table, Gradescope's results.json, the batch CSV.

Every file is written by the grader only, atomically (a temporary file in the
same directory, then a rename), to the path the user gave: nothing is ever
derived from a submission's data except its file name.

Names: a submission's file name can be any bytes (not UTF-8, 255 bytes long,
control characters). :func:`checks.grader.source.display_name` escapes it
readably (``SubmissionResult.name``, the CSV's ``file`` column, the
"Submission:" line of results.json); :func:`unique_keys` derives from it the
batch's row keys (the CSV's ``submission`` column and the JSON file names
``<key without .py>.json``): printable, at most :data:`MAX_KEY_BYTES` bytes,
unique (also case-insensitively), the escaped name itself whenever possible.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile

from checks.grader.grade import SubmissionResult

#: the longest row key / JSON file stem + ".py", in UTF-8 bytes (file names may have 255)
MAX_KEY_BYTES = 200
from checks.core.verdicts import Status  # noqa: E402

#: the status of a submission a batch did not grade (the batch was interrupted)
NOT_GRADED = Status.NOT_GRADED


def _clean(text: str) -> str:
    """``text`` encodable as UTF-8 (a lone surrogate becomes a visible escape)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _hash8(text: str) -> str:
    return hashlib.sha256(_clean(text).encode("utf-8")).hexdigest()[:8]


def _split_py(key: str) -> tuple[str, str]:
    return (key[:-3], key[-3:]) if len(key) > 3 and key[-3:].lower() == ".py" else (key, "")


def _truncate(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def json_stem(key: str) -> str:
    """The JSON file name (without .json) of the row key ``key``."""
    return _split_py(key)[0] or "_"


def unique_keys(names: list[str], tiebreak: list[str] | None = None) -> list[str]:
    """One key per display name: printable, <= MAX_KEY_BYTES, unique, deterministic.

    A name that fits stays as it is. A longer one keeps its beginning, then
    ``~`` and 8 hex digits of the SHA-256 of the whole name (``.py`` kept).
    Names whose JSON files would clash (the same stem, ignoring case: ``a.py``
    and ``a.PY``) all get that suffix; ``tiebreak`` (e.g. the full paths)
    separates identical names; a clash left after that (never in practice)
    gets ``-2``, ``-3``... in input order.
    """
    tiebreak = tiebreak or [""] * len(names)

    def with_suffix(name: str, salt: str) -> str:
        stem, ext = _split_py(_clean(name))
        suffix = "~" + _hash8(name + ("\0" + salt if salt else ""))
        room = MAX_KEY_BYTES - len(ext.encode()) - len(suffix)
        return _truncate(stem, room) + suffix + ext

    keys = []
    for n in names:
        n = _clean(n) or "_"
        keys.append(n if len(n.encode("utf-8")) <= MAX_KEY_BYTES else with_suffix(n, ""))

    def clashes(ks: list[str]) -> set[int]:
        seen: dict[str, list[int]] = {}
        for i, k in enumerate(ks):
            seen.setdefault(json_stem(k).casefold(), []).append(i)
        return {i for v in seen.values() if len(v) > 1 for i in v}

    for i in clashes(keys):
        keys[i] = with_suffix(names[i], "")
    same = clashes(keys)  # identical names (from different directories)
    for i in same:
        keys[i] = with_suffix(names[i], tiebreak[i])
    left = clashes(keys)
    if left:
        used = {json_stem(k).casefold() for k in keys}
        for i in sorted(left)[1:]:
            stem, ext = _split_py(keys[i])
            for n in range(2, len(keys) + 3):
                cand = _truncate(stem, MAX_KEY_BYTES - len(ext) - 8) + f"-{n}" + ext
                if json_stem(cand).casefold() not in used:
                    used.add(json_stem(cand).casefold())
                    keys[i] = cand
                    break
    return keys


def atomic_write(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".formulacheck-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
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
    lines = [f"Score: {_num(res.score)} / {_num(res.max_score)} ({n_pass} of {len(res.tests)} formulas passed)",
             f"Submission: {_clean(res.name)}"]
    if res.status != "ok":
        lines.append(f"Status: {res.status}: {res.message}")
    if res.vectors:
        lines.append(f"Graded against the vectors file sha256:{res.vectors}")
    if res.output:
        lines += ["", "Your submission printed (captured, capped):", res.output]
    return "\n".join(lines)


def results_json(res: SubmissionResult) -> dict:
    """Gradescope's format: score, execution_time, output, tests[name, score, max_score, status, output]."""
    return {
        "score": _num(res.score),
        "execution_time": round(res.seconds, 3),
        "output": summary_text(res),
        "extra_data": {"status": str(res.status), "isolation": res.isolation, "resources": res.resources,
                       "vectors": res.vectors},
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


def csv_text(results: list[SubmissionResult], ids: list[str], keys: list[str] | None = None) -> str:
    """``submission`` (the row key), status, totals, one column per formula id, message, ``file`` (the name).

    ``keys``: the rows' keys (default: :func:`unique_keys` of the names). A
    result with status :data:`NOT_GRADED` has empty score cells, never 0.
    """
    keys = keys if keys is not None else unique_keys([r.name for r in results])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission", "status", "total", "max_total", *ids, "message", "file", "isolation", "vectors"])
    for key, r in zip(keys, results):
        msg = _clean(" ".join(r.message.split())[:500])
        if r.status == NOT_GRADED:
            w.writerow([key, r.status, "", "", *[""] * len(ids), msg, _clean(r.name), r.isolation, r.vectors])
            continue
        by_id = {t.id: t.score for t in r.tests}
        w.writerow([key, r.status, _num(r.score), _num(r.max_score), *[_num(by_id.get(i, 0.0)) for i in ids], msg,
                    _clean(r.name), r.isolation, r.vectors])
    return buf.getvalue()


def write_csv(path: str, results: list[SubmissionResult], ids: list[str], keys: list[str] | None = None) -> None:
    atomic_write(path, csv_text(results, ids, keys))


def table(res: SubmissionResult):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(f"formulacheck grade: {_clean(res.name)}"))
    t.add_column("formula")
    t.add_column("points", justify="right")
    t.add_column("verdict")
    t.add_column("reason", overflow="fold")
    for x in res.tests:
        style = "green" if x.passed else ("yellow" if x.verdict == "not implemented" else "red")
        t.add_row(x.id, f"{_num(x.score)}/{_num(x.max_score)}", Text(x.verdict, style=style), Text(_clean(x.reason)))
    return t


def batch_table(results: list[SubmissionResult]):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(f"formulacheck grade: {len(results)} submissions"))
    for c, j in (("submission", "left"), ("status", "left"), ("total", "right"), ("message", "left")):
        t.add_column(c, justify=j, overflow="fold")
    for r in results:
        style = "green" if r.status == "ok" else "red"
        total = "" if r.status == NOT_GRADED else f"{_num(r.score)}/{_num(r.max_score)}"
        t.add_row(Text(_clean(r.name)), Text(r.status, style=style), total, Text(_clean(r.message[:160])))
    return t
