"""The grader's own fixed grading cases catch every mutant, and pass the reference.

``tests/test_mutants.py`` shows each wrong implementation fails a derandomized
check; but a grade is decided by the grader's fixed, seeded batch of cases
(``checks.grader.grade.prepare``), a different sample. Here every mutant is
judged on exactly those cases (in-process, as the worker would call it), so a
wrong implementation that a real grade would let through fails this test.
"""

from __future__ import annotations

import functools

import pytest

from checks import registry
from checks.compare import CheckFailure
from checks.engine import Abort, local_caller
from checks.grader.grade import _judge, prepare
from checks.grader.rubric import Rubric
from tests.mutants import all_mutants

MUTANTS = all_mutants()


@functools.cache
def _prepared(formula_id: str):
    p = prepare(registry.get(formula_id), Rubric(), "grade")
    assert p.error is None, p.error
    return p


def _first_failure(formula_id: str, fn) -> CheckFailure | None:
    p = _prepared(formula_id)
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


@pytest.mark.parametrize("mutant", [pytest.param(m, id=f"{m.formula}-{m.name}") for m in MUTANTS])
def test_grading_cases_catch_the_mutant(mutant):
    failure = _first_failure(mutant.formula, mutant.fn)
    assert failure is not None, f"the grader's fixed cases would give full marks to {mutant.name!r} ({mutant.formula})"


@pytest.mark.parametrize("formula", registry.all_formulas(), ids=lambda f: f.id)
def test_grading_cases_pass_the_reference(formula):
    failure = _first_failure(formula.id, formula.reference)
    assert failure is None, failure.message
