"""Judging one result: conform it to the contract's types, then compare it with the oracle's.

The one judge of formulacheck: ``formulacheck verify``, pytest, the grader
and the audit call :func:`verdict_of` (or :func:`judge`) with a formula
entry, one of its oracles, the input, the implementation's result and the
expected one. numpy only (plus the formula's own comparison or property,
which are numpy/scipy: :mod:`checks.judges`).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from checks.core.case import Case
from checks.core.compare import Tol, assert_close, conform, max_abs_error
from checks.core.verdicts import CheckFailure, HarnessError, Verdict, fail


def leaves(x: Any):
    if isinstance(x, dict):
        for v in x.values():
            yield from leaves(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from leaves(v)
    else:
        yield x


_ATOMIC = frozenset((type(None), bool, int, float, str))


def _copy(x: Any) -> Any:
    """A deep copy of the plain data of a case or an answer (arrays, containers, scalars); others by deepcopy."""
    t = type(x)
    if t is np.ndarray:
        return x.copy()
    if t in _ATOMIC or isinstance(x, np.generic):
        return x
    if t is tuple:
        return tuple([v.copy() if type(v) is np.ndarray else _copy(v) for v in x])
    if t is list:
        return [v.copy() if type(v) is np.ndarray else _copy(v) for v in x]
    if t is dict:
        return {k: _copy(v) for k, v in x.items()}
    return copy.deepcopy(x)


def is_template(expected: Any) -> bool:
    """True where the expected answer only fixes a structure (None leaves: any optimal
    Huffman code, any tie-break): the feedback then shows no "Expected"."""
    return any(leaf is None for leaf in leaves(expected))


def check_finite(actual: Any, template: Any, where: str) -> None:
    __tracebackhide__ = True
    if isinstance(template, dict):
        for k in template:
            check_finite(actual[k], template[k], f"{where}[{k!r}]")
    elif isinstance(template, (list, tuple)):
        for i, (a, t) in enumerate(zip(actual, template)):
            check_finite(a, t, f"{where}[{i}]")
    elif isinstance(template, (np.ndarray, float)):
        a = np.asarray(actual, dtype=np.float64)
        bad = ~np.isfinite(a) & np.isfinite(np.asarray(template, dtype=np.float64))
        if bad.any():
            i = tuple(int(j) for j in np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape))
            fail(Verdict.NONFINITE, f"{where}: {int(bad.sum())} non-finite value(s) (nan/inf); first at index {i}: {a[i]!r}")


def conform_outputs(formula, actual: Any, template: Any) -> Any:
    """Conform a whole result; multi-output formulas name each output."""
    __tracebackhide__ = True
    fn = formula.fn_name
    if len(formula.outputs) == 1:
        return conform(actual, template, f"{fn} -> {formula.outputs[0]}")
    if not isinstance(actual, (tuple, list)):
        fail(Verdict.WRONG_TYPE, f"{fn}: expected {len(formula.outputs)} results {formula.outputs}, got {type(actual).__name__}")
    if len(actual) != len(formula.outputs):
        fail(Verdict.WRONG_TYPE, f"{fn}: expected {len(formula.outputs)} results {formula.outputs}, got {len(actual)}")
    return tuple(conform(a, t, f"{fn} -> {o}") for a, t, o in zip(actual, template, formula.outputs))


def compare_outputs(formula, case, actual: Any, expected: Any, tol: Tol) -> None:
    __tracebackhide__ = True
    if formula.compare is not None:
        formula.compare(case, actual, expected, tol, formula.fn_name)
        return
    if len(formula.outputs) == 1:
        assert_close(actual, expected, tol, f"{formula.fn_name} -> {formula.outputs[0]}")
    else:
        for a, e, o in zip(actual, expected, formula.outputs):
            assert_close(a, e, tol, f"{formula.fn_name} -> {o}")


def judge(formula, oracle, case, actual: Any, expected: Any, measure: bool = False) -> float:
    """Raise :class:`CheckFailure` unless ``actual`` passes ``oracle``; with ``measure``, return the worst abs error.

    ``expected`` is the value oracle's answer, or (property oracles) the
    reference's result, used as the template of the result's types.
    """
    __tracebackhide__ = True
    res = conform_outputs(formula, actual, expected)
    if oracle.kind == "value":
        compare_outputs(formula, case, res, expected, oracle.tol or formula.tol)
        if formula.compare is not None or not measure:
            return 0.0
        err = max_abs_error(res, expected)
        return err if math.isfinite(err) else 0.0
    check_finite(res, expected, formula.fn_name)
    oracle.fn(case, res)
    return 0.0


def verdict_of(formula, oracle, case, actual: Any, expected: Any) -> CheckFailure | None:
    """:func:`judge` as a value: the failure, or None when the result passes.

    The formula's own comparison and property oracles get copies (the same
    input and answer serve many implementations). A comparison that crashes
    on a result whose every leaf was conformed to the contract's types is a
    bug of ours (:class:`HarnessError`); one that crashes on a free-form
    result (a template with None leaves) is the result's fault: wrong type.
    """
    return measured_verdict(formula, oracle, case, actual, expected, measure=False)[0]


def measured_verdict(formula, oracle, case, actual: Any, expected: Any, measure: bool = True) -> tuple[CheckFailure | None, float]:
    """:func:`verdict_of` and, with ``measure``, the worst absolute error of a passing result (one judgement)."""
    if formula.compare is not None or oracle.kind != "value":
        case, expected = Case(_copy(case.args), _copy(case.kwargs)), _copy(expected)
    try:
        return None, judge(formula, oracle, case, actual, expected, measure=measure)
    except CheckFailure as f:
        return f, 0.0
    except RecursionError:
        return CheckFailure(Verdict.WRONG_TYPE, f"{formula.fn_name}: the result is nested too deeply to compare"), 0.0
    except Exception as e:
        if is_template(expected):
            return CheckFailure(Verdict.WRONG_TYPE, f"{formula.fn_name}: the result could not be compared: {type(e).__name__}: {e}"), 0.0
        raise HarnessError(f"{formula.id} vs {oracle.name}: the comparison failed: {type(e).__name__}: {e}") from e
