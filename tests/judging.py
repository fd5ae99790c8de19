"""Judging an in-process implementation the two ways a grade is decided.

- ``check(..., profile="grade")``: every oracle of the formula, derandomized;
- the grader's own fixed, seeded batch of cases (``checks.grader.grade.prepare``),
  judged exactly as the grader judges a worker's result.
"""

from __future__ import annotations

import functools

from checks import registry
from checks.core.compare import CheckFailure
from checks.run.check import check, local_caller
from checks.run.draw import Stop as Abort
from checks.grader.grade import _judge, prepare
from checks.grader.rubric import Rubric


@functools.cache
def prepared(formula_id: str):
    p = prepare(registry.get(formula_id), Rubric(), "grade")
    assert p.error is None, p.error
    return p


def first_failure(formula_id: str, fn) -> CheckFailure | None:
    """The first failure of ``fn`` on the grader's fixed cases (None: full marks)."""
    p = prepared(formula_id)
    f = p.formula
    call = local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs)
    results = {}
    for oracle, idxs, expected in p.plan:
        for i, exp in zip(idxs, expected):
            if i not in results:
                try:
                    results[i] = ("ok", call(p.cases[i]))
                except CheckFailure as e:
                    results[i] = ("fail", e)
                except Abort as a:
                    return a.failure
            kind, val = results[i]
            if kind == "fail":
                return val
            fail = _judge(f, oracle, p.cases[i], val, exp)
            if fail is not None:
                return fail
    return None


def assert_full_marks(formula_id: str, fn) -> None:
    """``fn`` passes every oracle (grade profile) and the grader's fixed cases."""
    __tracebackhide__ = True
    f = registry.get(formula_id)
    for o in f.oracles:
        res = check(f, o, local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs), profile="grade")
        assert res.passed, res.message
    failure = first_failure(formula_id, fn)
    assert failure is None, failure.message
