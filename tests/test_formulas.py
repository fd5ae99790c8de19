"""The formula checks: every registry entry x every oracle, on the implementation under test.

``pytest`` checks the reference; ``pytest --impl=my_submission.py`` checks a
submission the same way. A missing function, or one raising
NotImplementedError, fails only its own checks, as "not implemented".
"""

from __future__ import annotations

import pytest

from checks import registry
from checks.run.check import check, local_caller
from checks.run.impl import function_of

CASES = [pytest.param(f, o, id=f"{f.id}-{o.name}") for f in registry.all_formulas() for o in f.oracles]


@pytest.mark.parametrize("formula, oracle", CASES)
def test_formula(formula, oracle, impl):
    fn = function_of(impl, formula.fn_name)
    res = check(formula, oracle, local_caller(fn, formula.fn_name, fresh_outputs=formula.fresh_outputs))
    if not res.passed:
        pytest.fail(res.message, pytrace=False)
