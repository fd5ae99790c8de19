"""Run: calling an implementation in this process (``formulacheck verify``, pytest, the audit).

The sandboxed equivalent for grading is :mod:`checks.grader.sandbox` with
the worker of :mod:`checks.worker`; both apply the same in-place rule
(:func:`checks.core.case.same`) and report with the same verdicts.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

import numpy as np

from checks.core.case import Case, same
from checks.core.judge import leaves
from checks.core.verdicts import CheckFailure, Verdict, fail
from checks.run.draw import Stop

Caller = Callable[[Case], Any]


def not_implemented(fn_name: str, why: str = "") -> CheckFailure:
    return CheckFailure(Verdict.NOT_IMPLEMENTED, f"{fn_name}: not implemented" + (f" ({why})" if why else ""))


def local_caller(fn: Callable | None, fn_name: str, *, fresh_outputs: bool = False) -> Caller:
    """Call ``fn`` on a copy of the case; detect in-place changes (and, if asked, aliased results)."""

    def call(case: Case) -> Any:
        if fn is None:
            raise Stop(not_implemented(fn_name, f"no function named {fn_name}"))
        c = case.copy()
        try:
            out = fn(*c.args, **c.kwargs)
        except NotImplementedError:
            raise Stop(not_implemented(fn_name, f"{fn_name} raises NotImplementedError")) from None
        except Exception as e:  # the implementation's own error
            tb = traceback.extract_tb(e.__traceback__)
            where = f" (line {tb[-1].lineno} of {tb[-1].filename})" if tb else ""
            fail(Verdict.ERROR, f"{fn_name} raised {type(e).__name__}: {e}{where}")
        arguments_unchanged(fn_name, case, c)
        if fresh_outputs:
            fresh(fn_name, c, out)
        return out

    return call


def arguments_unchanged(fn_name: str, original: Case, after: Case) -> None:
    __tracebackhide__ = True
    for i, (a, b) in enumerate(zip(original.args, after.args)):
        if not same(a, b):
            fail(Verdict.INPLACE, f"{fn_name} modified its argument #{i + 1} in place (the contract forbids it)")
    for k in original.kwargs:
        if not same(original.kwargs[k], after.kwargs.get(k)):
            fail(Verdict.INPLACE, f"{fn_name} modified its argument {k!r} in place (the contract forbids it)")


def fresh(fn_name: str, case: Case, out: Any) -> None:
    __tracebackhide__ = True
    ins = [a for a in leaves((case.args, case.kwargs)) if isinstance(a, np.ndarray)]
    for o in leaves(out):
        if isinstance(o, np.ndarray) and any(np.shares_memory(o, a) for a in ins):
            fail(Verdict.WRONG_TYPE, f"{fn_name} returned an array that shares memory with an argument; return new arrays")
