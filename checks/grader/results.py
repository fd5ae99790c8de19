"""What grading gives: a :class:`SubmissionResult` per submission, a :class:`FormulaResult` per formula.

The one vocabulary of results.json, the CSV, the journal, the class report and the terminal
(split from :mod:`checks.grader.grade`, which re-exports both names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.core.verdicts import Status, Verdict


@dataclass
class FormulaResult:
    id: str
    score: float
    max_score: float
    verdict: Verdict
    reason: str = ""              # one line
    feedback: str = ""            # the full message: smallest failing input, expected, got
    diagnosis: str = ""           # "Likely mistake: ..." with its hint, when a known mistake matches (checks.diagnose)
    mistakes: tuple[str, ...] = ()  # the ids of the matching known mistakes (machine-readable; class report)

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED


@dataclass
class SubmissionResult:
    name: str
    path: str
    status: Status = Status.OK
    message: str = ""
    tests: list[FormulaResult] = field(default_factory=list)
    output: str = ""              # what the submission printed (capped)
    seconds: float = 0.0
    isolation: str = ""           # the isolation level it was graded at (checks.grader.isolation)
    resources: str = ""           # how its resources were limited: cgroup-v1 / cgroup-v2 / rlimit
    vectors: str = ""             # the SHA-256 of the vectors file it was graded against
    student: dict[str, str] = field(default_factory=dict)  # who (name, id, email... from an LMS export; checks.grader.batch)

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)
