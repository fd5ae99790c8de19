"""Realistic wrong implementations ("mutants"): the library of known mistakes, seen by the tests.

The one source of the mistakes is :mod:`checks.mistakes` (``checks/mistakes/<group>.py``: each
entry a trusted wrong implementation with a description and a hint, which the grader's diagnosis
uses). This package re-exports them under their old names: ``tests.mutants.<group>`` holds the
group's functions and its ``MUTANTS`` list, :func:`all_mutants` every entry. The generic tests
``tests/meta/test_mutants.py`` (the formula's seeded checks FAIL on each one) and
``tests/grader/test_mutants_on_vectors.py`` (the public grading vectors catch each one) prove every
library mistake is caught, while ``tests/test_formulas.py`` shows the reference passes.
"""

from __future__ import annotations

from checks.mistakes import Mistake, all_entries, groups

#: a mutant is a library entry (formula, name, fn, description, hint, oracle, verdict)
Mutant = Mistake


def group_mutants(group: str) -> list[Mistake]:
    """The entries of one group, in the library's order (a function listed per oracle it must fail)."""
    return [m for m in all_entries() if m.group == group]


def all_mutants() -> list[Mistake]:
    return list(all_entries())


__all__ = ["Mutant", "all_mutants", "group_mutants", "groups"]
