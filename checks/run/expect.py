"""Expect: what an oracle says a formula's result on one input must be."""

from __future__ import annotations

from typing import Any

from checks.core.case import Case
from checks.core.verdicts import HarnessError


def strategy_for(formula, oracle):
    """The oracle's input strategy (SymPy oracles draw small sizes), else the formula's."""
    try:
        return (oracle.strategy or formula.strategy)()
    except Exception as e:
        raise HarnessError(f"{formula.id}: the strategy of {oracle.name!r} failed: {type(e).__name__}: {e}") from e


def expected_for(formula, oracle, case: Case) -> Any:
    """The value oracle's answer, or (property oracles) the reference's result: the template of the types."""
    c = case.copy()
    try:
        if oracle.kind == "value":
            return oracle.fn(*c.args, **c.kwargs)
        return formula.reference(*c.args, **c.kwargs)
    except Exception as e:
        raise HarnessError(f"{formula.id}: oracle {oracle.name!r} failed on {case.call_repr(formula.fn_name)}: "
                           f"{type(e).__name__}: {e}") from e
