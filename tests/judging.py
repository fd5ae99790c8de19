"""Judging an in-process implementation the two ways a grade is decided.

- ``check(..., profile="grade")``: every oracle of the formula, drawn with the pipeline's seeds;
- the package's public vectors file, judged exactly as the grader judges a worker's result
  (:func:`checks.run.check.check_vectors`: the same judge, order and feedback).
"""

from __future__ import annotations

import functools

from checks import registry
from checks.core.vecfile import read
from checks.data import PUBLIC_VECTORS
from checks.run.check import check, check_vectors, local_caller


@functools.cache
def public(formula_id: str):
    return read(PUBLIC_VECTORS, [formula_id]).formulas[formula_id]


def vectors_result(formula_id: str, fn):
    f = registry.get(formula_id)
    return check_vectors(public(formula_id), local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs))


def assert_full_marks(formula_id: str, fn) -> None:
    """``fn`` passes every oracle (grade profile) and the public grading vectors."""
    __tracebackhide__ = True
    f = registry.get(formula_id)
    for o in f.oracles:
        res = check(f, o, local_caller(fn, f.fn_name, fresh_outputs=f.fresh_outputs), profile="grade")
        assert res.passed, res.message
    res = vectors_result(formula_id, fn)
    assert res.passed, res.message
