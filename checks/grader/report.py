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
import re
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


#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text cell of the class CSV: UTF-8-safe, and never a formula (a leading ``'`` quotes one).

    Names, folders, file names and messages come from students (a file called
    ``=HYPERLINK("http://x","ok").py``): Excel, LibreOffice and Google Sheets would evaluate
    such a cell when the instructor opens the CSV. Points and totals are numbers, written as is.
    """
    text = _clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


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


# --------------------------------------------------------------------------
# results.json (Gradescope's autograder specification)
# --------------------------------------------------------------------------

#: the format of every "output" of results.json. The feedback is prose lines
#: ("softmax.softmax vs torch: mismatch", "Expected:") and code lines indented
#: by four spaces (the failing call, the expected and returned values, all
#: copy-pastable Python). Gradescope's "text" and "simple_format" render the
#: text as HTML paragraphs whose whitespace is not guaranteed to survive;
#: Markdown ("md") has one construct whose content is kept byte for byte, the
#: fenced code block: the code lines go into ```python blocks (monospace,
#: indentation and long arrays intact), the prose is escaped so that nothing
#: a submission printed or raised (``*``, ``_``, ``<script>``, ``#``...)
#: becomes markup or HTML. What the submission printed is fenced too.
OUTPUT_FORMAT = "md"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LEADING = re.compile(r"^(\s*)([#+=>-]|\d+[.)])")


def md_escape(line: str) -> str:
    """One prose line as Markdown that renders as exactly this text (leading spaces kept as &nbsp;)."""
    line = _clean(line)
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    body = _MD_SPECIAL.sub(r"\\\1", body)
    body = _MD_LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), body)
    return "&nbsp;" * indent + body


def md_fence(text: str, lang: str = "") -> str:
    """``text`` in a fenced code block (a fence longer than any run of backticks inside)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{_clean(text)}\n{fence}"


def feedback_md(text: str) -> str:
    """The feedback (:func:`checks.core.feedback.render`) as Markdown: code lines fenced, prose escaped."""
    blocks: list[str] = []
    prose: list[str] = []
    code: list[str] = []

    def flush_prose():
        if prose:
            blocks.append("  \n".join(md_escape(x) for x in prose))  # hard line breaks
            prose.clear()

    def flush_code():
        if code:
            blocks.append(md_fence("\n".join(code), "python"))
            code.clear()

    for line in text.splitlines():
        if line.startswith("    "):
            flush_prose()
            code.append(line[4:])
        elif not line.strip():
            flush_prose()
            flush_code()
        else:
            flush_code()
            prose.append(line)
    flush_prose()
    flush_code()
    return "\n\n".join(blocks)


def summary_text(res: SubmissionResult) -> str:
    """The top-level output as plain text (what the terminal shows)."""
    n_pass = sum(t.passed for t in res.tests)
    lines = [f"Score: {_num(res.score)} / {_num(res.max_score)} ({n_pass} of {len(res.tests)} formulas passed)",
             f"Submission: {_clean(res.name)}"]
    if res.status != "ok":
        lines.append(f"Status: {res.status}: {res.message}")
    elif res.message:
        lines.append(_clean(res.message))
    if res.vectors:
        lines.append(f"Graded against the vectors file sha256:{res.vectors}")
    if res.output:
        lines += ["", "Your submission printed (captured, capped):", res.output]
    return "\n".join(lines)


def summary_md(res: SubmissionResult) -> str:
    """The top-level output as Markdown: the score, the facts (names, status) and the printed output fenced."""
    n_pass = sum(t.passed for t in res.tests)
    facts = [f"Submission: {_clean(res.name)}"]
    who = res.student.get("name") or ""
    if who:
        facts.append(f"Student: {_clean(who)}")
    if res.status != "ok":
        facts.append(f"Status: {res.status}: {res.message}")
    elif res.message:
        facts.append(_clean(res.message))
    if res.vectors:
        facts.append(f"Graded against the vectors file sha256:{res.vectors}")
    parts = [f"**Score: {_num(res.score)} / {_num(res.max_score)}** ({n_pass} of {len(res.tests)} formulas passed)",
             md_fence("\n".join(facts), "text")]
    if res.output:
        parts += [md_escape("Your submission printed (captured, capped):"), md_fence(res.output, "text")]
    return "\n\n".join(parts)


def test_output(t) -> str:
    """One test's feedback with its diagnosis (a known mistake that matches), as plain text."""
    d = getattr(t, "diagnosis", "")
    return t.feedback + (f"\n\n{d}" if d and d not in t.feedback else "")  # the grader's feedback holds it already


def results_json(res: SubmissionResult, visibility=None) -> dict:
    """Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

    ``visibility``: the rubric's :class:`checks.grader.rubric.Visibility`
    (default: every test visible, the autograder's stdout hidden). Each
    test's ``extra_data`` is the machine-readable verdict; the top level's
    says how the submission was graded and whose it is.
    """
    from checks.grader.rubric import Visibility

    vis = visibility or Visibility()
    return {
        "score": _num(res.score),
        "execution_time": round(res.seconds, 3),
        "output": summary_md(res),
        "output_format": OUTPUT_FORMAT,
        "test_output_format": OUTPUT_FORMAT,
        "visibility": vis.default,
        "stdout_visibility": vis.stdout,
        "extra_data": {"status": str(res.status), "message": _clean(res.message), "isolation": res.isolation,
                       "resources": res.resources, "vectors": res.vectors,
                       "student": {k: _clean(str(v)) for k, v in res.student.items()}},
        "tests": [
            {
                "name": t.id,
                "score": _num(t.score),
                "max_score": _num(t.max_score),
                "status": "passed" if t.passed else "failed",
                "output": feedback_md(test_output(t)),
                "output_format": OUTPUT_FORMAT,
                "visibility": vis.of(t.id),
                "extra_data": {"id": t.id, "verdict": str(t.verdict), "diagnosis": _clean(t.diagnosis),
                               "mistakes": list(t.mistakes)},
            }
            for t in res.tests
        ],
    }


def write_json(path: str, res: SubmissionResult, visibility=None) -> None:
    atomic_write(path, json.dumps(results_json(res, visibility), ensure_ascii=False, indent=2) + "\n")


# --------------------------------------------------------------------------
# the batch CSV
# --------------------------------------------------------------------------

def verdict_column(formula_id: str) -> str:
    """The CSV column of a formula's verdict (next to ``formula_id``, its points)."""
    return f"{formula_id}:verdict"


def csv_text(results: list[SubmissionResult], ids: list[str], keys: list[str] | None = None,
             where: list[str] | None = None) -> str:
    """One row per submission, one column per fact (spreadsheets and ``pandas.read_csv`` read it as is).

    Columns: ``student`` (the row key: the student's id, else name, else
    folder; a plain file's name), the identity columns some row knows
    (:data:`checks.grader.batch.IDENTITY_FIELDS`: name, sid, email...),
    ``submission`` (what was graded: ``where``, default the key), status,
    total, max_total, ``<id>`` (points) per formula, ``<id>:verdict`` per
    formula, message, ``file`` (the escaped file name), isolation, vectors.
    Text cells that a spreadsheet would read as a formula are quoted (:func:`_cell`).
    A result with status :data:`NOT_GRADED` has empty score and verdict cells, never 0.
    """
    from checks.grader.batch import IDENTITY_FIELDS

    keys = keys if keys is not None else unique_keys([r.name for r in results])
    where = where if where is not None else keys
    known = [f for f in IDENTITY_FIELDS if any(r.student.get(f) for r in results)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", *known, "submission", "status", "total", "max_total", *ids,
                *[verdict_column(i) for i in ids], "message", "file", "isolation", "vectors"])
    for key, loc, r in zip(keys, where, results):
        msg = _cell(" ".join(r.message.split())[:500])
        who = [_cell(" ".join(str(r.student.get(f, "")).split())) for f in known]
        head = [_cell(key), *who, _cell(loc), r.status]
        tail = [msg, _cell(r.name), r.isolation, r.vectors]
        if r.status == NOT_GRADED:
            w.writerow([*head, "", "", *[""] * (2 * len(ids)), *tail])
            continue
        by_id = {t.id: t for t in r.tests}
        w.writerow([*head, _num(r.score), _num(r.max_score),
                    *[_num(by_id[i].score) if i in by_id else 0 for i in ids],
                    *[str(by_id[i].verdict) if i in by_id else "" for i in ids], *tail])
    return buf.getvalue()


def write_csv(path: str, results: list[SubmissionResult], ids: list[str], keys: list[str] | None = None,
              where: list[str] | None = None) -> None:
    atomic_write(path, csv_text(results, ids, keys, where))


# --------------------------------------------------------------------------
# the terminal
# --------------------------------------------------------------------------

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
    for c, j in (("student", "left"), ("status", "left"), ("total", "right"), ("message", "left")):
        t.add_column(c, justify=j, overflow="fold")
    for r in results:
        style = "green" if r.status == "ok" else "red"
        total = "" if r.status == NOT_GRADED else f"{_num(r.score)}/{_num(r.max_score)}"
        who = r.student.get("student") or r.name
        t.add_row(Text(_clean(who)), Text(r.status, style=style), total, Text(_clean(r.message[:160])))
    return t


def failed_feedback(res: SubmissionResult) -> list[tuple[str, str]]:
    """(formula id, its full feedback and diagnosis) of every formula that did not pass, in order."""
    return [(t.id, test_output(t)) for t in res.tests if not t.passed]
