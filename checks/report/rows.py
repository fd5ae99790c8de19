"""One row model for the class report, whatever the results came from.

A batch's results reach the report in three forms: the grader's
:class:`~checks.grader.grade.SubmissionResult` objects (``formulacheck grade``
prints :func:`checks.report.summary.text_summary` of them), Gradescope
results.json files and the batch CSV (:mod:`checks.report.load`). Each is
converted to :class:`Row` / :class:`TestRow`; every statistic and renderer
reads only these.

A verdict is a :class:`~checks.core.verdicts.Verdict` value, or
:data:`FAILED` when the source says only that a formula failed (the CSV of
scores alone, a results.json whose feedback names no verdict).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.core.verdicts import Status, Verdict

#: a failed formula whose verdict the source does not tell
FAILED = "failed"
#: the display order of verdicts (charts, tables): passed first, the unknown "failed" last
VERDICT_ORDER: tuple[str, ...] = tuple(v.value for v in Verdict) + (FAILED,)
#: statuses whose formulas were run (per-formula statistics count them)
RAN = (Status.OK.value, Status.GRADER_ERROR.value)


@dataclass(frozen=True)
class TestRow:
    id: str
    verdict: str                     # a Verdict value or FAILED
    score: float | None = None
    max_score: float | None = None
    diagnosis: str = ""              # "Likely mistake: ..." (empty: none matched / unknown)
    mistakes: tuple[str, ...] = ()   # ids of the known mistakes that matched

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASSED.value

    @property
    def counted(self) -> bool:
        """Does this test count for its formula's pass rate (the check ran: not a harness failure)?"""
        return self.verdict != Verdict.NOT_GRADED.value


@dataclass
class Row:
    key: str                         # the batch's row key (CSV ``submission``, the JSON file's stem)
    name: str                        # the submission's display name (its file name)
    status: str = Status.OK.value
    message: str = ""
    score: float | None = None       # None: not graded (an interrupted batch)
    max_score: float | None = None
    tests: list[TestRow] = field(default_factory=list)
    vectors: str = ""
    isolation: str = ""
    student: dict[str, str] = field(default_factory=dict)
    source: str = ""                 # where it was read (a file path), for messages

    @property
    def ok(self) -> bool:
        return self.status == Status.OK.value

    @property
    def ran(self) -> bool:
        return self.status in RAN

    @property
    def scored(self) -> bool:
        return self.score is not None and self.status != Status.NOT_GRADED.value

    @property
    def who(self) -> str:
        """The student's name when known, else the submission's name."""
        s = self.student or {}
        for k in ("name", "full_name", "student_name", "Name"):
            if s.get(k):
                return str(s[k])
        return self.name


def _verdict(v) -> str:
    s = str(v)
    try:
        return Verdict(s).value
    except ValueError:
        return FAILED if s != Verdict.PASSED.value else s


def from_result(res) -> Row:
    """A :class:`Row` of a :class:`checks.grader.grade.SubmissionResult` (duck-typed: no grader import)."""
    status = str(res.status)
    graded = status != Status.NOT_GRADED.value
    tests = [TestRow(t.id, _verdict(t.verdict), float(t.score), float(t.max_score), str(getattr(t, "diagnosis", "") or ""),
                     tuple(str(m) for m in (getattr(t, "mistakes", ()) or ()))) for t in res.tests]
    return Row(key=res.name, name=res.name, status=status, message=str(res.message or ""),
               score=float(res.score) if graded else None, max_score=float(res.max_score) if graded else None,
               tests=tests, vectors=str(getattr(res, "vectors", "") or ""), isolation=str(getattr(res, "isolation", "") or ""),
               student={str(k): str(v) for k, v in (getattr(res, "student", None) or {}).items()},
               source=str(getattr(res, "path", "") or ""))


def to_rows(results) -> list[Row]:
    """Rows of a list mixing :class:`Row` and SubmissionResult-like objects."""
    out = []
    for r in results:
        out.append(r if isinstance(r, Row) else from_result(r))
    return out
