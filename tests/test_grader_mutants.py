"""The grader's own fixed grading cases catch every mutant, and pass the reference.

``tests/test_mutants.py`` shows each wrong implementation fails a derandomized
check; but a grade is decided by the grader's fixed, seeded batch of cases
(``checks.grader.grade.prepare``), a different sample. Here every mutant is
judged on exactly those cases (in-process, as the worker would call it), so a
wrong implementation that a real grade would let through fails this test.
"""

from __future__ import annotations

import pytest

from checks import registry
from tests.judging import first_failure
from tests.mutants import all_mutants

MUTANTS = all_mutants()


@pytest.mark.parametrize("mutant", [pytest.param(m, id=f"{m.formula}-{m.name}") for m in MUTANTS])
def test_grading_cases_catch_the_mutant(mutant):
    failure = first_failure(mutant.formula, mutant.fn)
    assert failure is not None, f"the grader's fixed cases would give full marks to {mutant.name!r} ({mutant.formula})"


@pytest.mark.parametrize("formula", registry.all_formulas(), ids=lambda f: f.id)
def test_grading_cases_pass_the_reference(formula):
    failure = first_failure(formula.id, formula.reference)
    assert failure is None, failure.message
