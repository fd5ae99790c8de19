"""The vocabulary of outcomes: a :class:`Verdict` per formula check, a :class:`Status` per submission.

A verdict says what an implementation did on one formula; it reads the same
in ``formulacheck verify``, in pytest, in the grader's feedback and in the
audit's details. A status says what happened to a whole submission file
(graded, or why not). Both are ``StrEnum``: they print and serialise as
their value.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """The outcome of one formula's check (one oracle, or all of a formula's)."""

    PASSED = "passed"
    MISMATCH = "mismatch"
    WRONG_TYPE = "wrong shape or type"
    NONFINITE = "nan/inf"
    NOT_IMPLEMENTED = "not implemented"
    ERROR = "raised an exception"
    INPLACE = "modified its arguments"
    TIMEOUT = "timed out"
    CRASHED = "crashed"
    POLICY = "policy violation"
    PROPERTY = "property violated"
    #: the check itself could not run (a harness bug): never the student's fault, never a score
    NOT_GRADED = "not graded"


class Status(StrEnum):
    """The outcome of a whole submission."""

    OK = "ok"
    UNREADABLE = "unreadable"
    SYNTAX_ERROR = "syntax error"
    POLICY = "policy violation"
    IMPORT_ERROR = "import error"
    IMPORT_TIMEOUT = "import timed out"
    IMPORT_CRASHED = "import crashed"
    #: the grader failed on this submission (a harness bug): re-grade after the fix
    GRADER_ERROR = "grader error"
    #: the batch stopped (interrupted) before this submission was graded: no score, never 0
    NOT_GRADED = "not graded"


class CheckFailure(AssertionError):
    """A check failed with a verdict and a student-readable message."""

    def __init__(self, verdict: Verdict, message: str):
        super().__init__(message)
        self.verdict = Verdict(verdict)
        self.message = message


class HarnessError(Exception):
    """The reference, an oracle, a strategy or a comparison failed: a bug of ours, never a student's."""


def fail(verdict: Verdict, message: str) -> None:
    __tracebackhide__ = True
    raise CheckFailure(verdict, message)
