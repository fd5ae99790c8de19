"""Every correct implementation in tests/variants gets full marks.

A check that failed any of them would take points from a correct submission: each variant is judged
on every oracle of its formula (derandomized ``grade`` profile) and on the grader's own fixed cases
(``tests.judging.assert_full_marks``). The counterpart of ``tests/meta/test_mutants.py``, which proves the
same checks FAIL on realistic wrong implementations.
"""

from __future__ import annotations

import pytest

from checks import registry
from tests.judging import assert_full_marks
from tests.variants import all_variants, variant_modules

VARIANTS = all_variants()


def _id(v):
    return f"{v.formula}-{v.fn.__name__}"


# RuntimeWarning: some variants overflow on purpose (a naive sigmoid: exp -> inf -> 0 is still right)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("variant", [pytest.param(v, id=_id(v)) for v in VARIANTS])
def test_correct_variant_gets_full_marks(variant):
    assert_full_marks(variant.formula, variant.fn)


def test_variants_are_filed_by_group_under_unique_ids():
    """Each module's variants are of formulas of that group; no two share an id or a description."""
    ids = {f.id for f in registry.all_formulas()}
    problems = []
    for mod in variant_modules():
        group = mod.__name__.rsplit(".", 1)[1]
        for v in getattr(mod, "VARIANTS", []):
            if v.formula not in ids:
                problems.append(f"{mod.__name__}: {v.formula!r} is no formula id")
            elif registry.get(v.formula).group != group:
                problems.append(f"{mod.__name__}: {v.formula} belongs to group {registry.get(v.formula).group!r}")
    seen: dict[str, int] = {}
    for key in [_id(v) for v in VARIANTS] + [f"{v.formula}: {v.name}" for v in VARIANTS]:
        seen[key] = seen.get(key, 0) + 1
    problems += [f"{k!r} appears {n} times" for k, n in seen.items() if n > 1]
    assert VARIANTS and not problems, problems
