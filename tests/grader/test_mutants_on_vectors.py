"""The grader's own fixed grading cases catch every mutant, and pass the reference.

``tests/meta/test_mutants.py`` shows each wrong implementation fails a seeded
check; but a grade is decided by the vectors file's cases (the package's
public file here), a different sample. Here every mutant is judged on exactly
those cases, with the grader's judge, order and feedback (in process, as the
worker would call it), so a wrong implementation that a real grade would let
through fails this test.
"""

from __future__ import annotations

import pytest

from checks import registry
from tests.judging import vectors_result
from tests.mutants import all_mutants

MUTANTS = all_mutants()


@pytest.mark.parametrize("mutant", [pytest.param(m, id=f"{m.formula}-{m.name}") for m in MUTANTS])
def test_grading_cases_catch_the_mutant(mutant):
    res = vectors_result(mutant.formula, mutant.fn)
    assert not res.passed, f"the public vectors would give full marks to {mutant.name!r} ({mutant.formula})"
    if res.verdict.value in ("mismatch", "nan/inf", "property violated", "wrong shape or type"):
        assert "Smallest failing input:" in res.message, res.message


@pytest.mark.parametrize("formula", registry.all_formulas(), ids=lambda f: f.id)
def test_grading_cases_pass_the_reference(formula):
    res = vectors_result(formula.id, formula.reference)
    assert res.passed, res.message
