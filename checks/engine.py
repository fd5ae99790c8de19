"""Running a formula's checks: one implementation, one oracle, generated cases.

``check(formula, oracle, call)`` draws cases with Hypothesis from the
oracle's (or the formula's) strategy, calls the implementation through
``call`` (in-process for ``pytest --impl``/verify, a sandboxed worker for the
grader), conforms the result to the contract's types, compares it with the
oracle and, on failure, returns the shrunk input as a copy-pastable call.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import Phase, given, settings, seed as hyp_seed
from hypothesis.errors import HypothesisException

from checks import profiles
from checks.case import Case, args_equal, py_repr
from checks.compare import CheckFailure, Tol, Verdict, assert_close, conform, fail, max_abs_error
from checks.registry import Formula, Oracle

Caller = Callable[[Case], Any]

#: the seed every check uses when set (pytest's --hypothesis-seed, CLI --seed)
GLOBAL_SEED: int | None = None


class Abort(BaseException):
    """Stops a Hypothesis run at once (no shrinking): the function is not there."""

    def __init__(self, failure: CheckFailure):
        super().__init__(failure.message)
        self.failure = failure


class HarnessError(Exception):
    """The reference, an oracle or a strategy itself failed: a bug of ours, never a student's."""


# --------------------------------------------------------------------------
# calling an implementation in-process
# --------------------------------------------------------------------------

def _leaves(x: Any):
    if isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _leaves(v)
    else:
        yield x


def not_implemented(fn_name: str) -> CheckFailure:
    return CheckFailure(Verdict.NOT_IMPLEMENTED, f"{fn_name}: not implemented")


def local_caller(fn: Callable | None, fn_name: str, *, fresh_outputs: bool = False) -> Caller:
    """Call ``fn`` in this process on a copy of the case; detect in-place changes."""

    def call(case: Case) -> Any:
        if fn is None:
            raise Abort(not_implemented(fn_name))
        c = case.copy()
        try:
            out = fn(*c.args, **c.kwargs)
        except NotImplementedError:
            raise Abort(not_implemented(fn_name)) from None
        except Exception as e:  # the implementation's own error
            tb = traceback.extract_tb(e.__traceback__)
            where = f" (line {tb[-1].lineno} of {tb[-1].filename})" if tb else ""
            fail(Verdict.ERROR, f"{fn_name} raised {type(e).__name__}: {e}{where}")
        check_arguments_unchanged(fn_name, case, c)
        if fresh_outputs:
            check_fresh(fn_name, c, out)
        return out

    return call


def check_arguments_unchanged(fn_name: str, original: Case, after: Case) -> None:
    __tracebackhide__ = True
    for i, (a, b) in enumerate(zip(original.args, after.args)):
        if not args_equal(a, b):
            fail(Verdict.INPLACE, f"{fn_name} modified its argument #{i + 1} in place (the contract forbids it)")
    for k in original.kwargs:
        if not args_equal(original.kwargs[k], after.kwargs.get(k)):
            fail(Verdict.INPLACE, f"{fn_name} modified its argument {k!r} in place (the contract forbids it)")


def check_fresh(fn_name: str, case: Case, out: Any) -> None:
    __tracebackhide__ = True
    ins = [a for a in _leaves((case.args, case.kwargs)) if isinstance(a, np.ndarray)]
    for o in _leaves(out):
        if isinstance(o, np.ndarray) and any(np.shares_memory(o, a) for a in ins):
            fail(Verdict.WRONG_TYPE, f"{fn_name} returned an array that shares memory with an argument; return new arrays")


# --------------------------------------------------------------------------
# one case
# --------------------------------------------------------------------------

def _nonfinite_check(actual: Any, template: Any, where: str) -> None:
    __tracebackhide__ = True
    if isinstance(template, dict):
        for k in template:
            _nonfinite_check(actual[k], template[k], f"{where}[{k!r}]")
    elif isinstance(template, (list, tuple)):
        for i, (a, t) in enumerate(zip(actual, template)):
            _nonfinite_check(a, t, f"{where}[{i}]")
    elif isinstance(template, (np.ndarray, float)):
        a = np.asarray(actual, dtype=np.float64)
        bad = ~np.isfinite(a) & np.isfinite(np.asarray(template, dtype=np.float64))
        if bad.any():
            i = tuple(int(j) for j in np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape))
            fail(Verdict.NONFINITE, f"{where}: {int(bad.sum())} non-finite value(s) (nan/inf); first at index {i}: {a[i]!r}")


def conform_outputs(formula: Formula, actual: Any, template: Any) -> Any:
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


def compare_outputs(formula: Formula, case: Case, actual: Any, expected: Any, tol: Tol) -> None:
    __tracebackhide__ = True
    if formula.compare is not None:
        formula.compare(case, actual, expected, tol, formula.fn_name)
        return
    if len(formula.outputs) == 1:
        assert_close(actual, expected, tol, f"{formula.fn_name} -> {formula.outputs[0]}")
    else:
        for a, e, o in zip(actual, expected, formula.outputs):
            assert_close(a, e, tol, f"{formula.fn_name} -> {o}")


def expected_for(formula: Formula, oracle: Oracle, case: Case) -> Any:
    """The oracle's answer (value oracles) or the reference's result (property oracles, as a template)."""
    c = case.copy()
    try:
        if oracle.kind == "value":
            return oracle.fn(*c.args, **c.kwargs)
        return formula.reference(*c.args, **c.kwargs)
    except Exception as e:
        raise HarnessError(f"{formula.id}: oracle {oracle.name!r} failed on {case.call_repr(formula.fn_name)}: {type(e).__name__}: {e}") from e


def judge(formula: Formula, oracle: Oracle, case: Case, actual: Any, expected: Any) -> float:
    """Judge an implementation's result against one oracle's; return the worst abs error."""
    __tracebackhide__ = True
    res = conform_outputs(formula, actual, expected)
    if oracle.kind == "value":
        compare_outputs(formula, case, res, expected, oracle.tol or formula.tol)
        return max_abs_error(res, expected) if formula.compare is None else 0.0
    _nonfinite_check(res, expected, formula.fn_name)
    oracle.fn(case, res)
    return 0.0


def run_case(formula: Formula, oracle: Oracle, call: Caller, case: Case) -> float:
    __tracebackhide__ = True
    expected = expected_for(formula, oracle, case)
    actual = call(case)
    return judge(formula, oracle, case, actual, expected)


# --------------------------------------------------------------------------
# a whole check
# --------------------------------------------------------------------------

@dataclass
class CheckResult:
    formula: str
    oracle: str
    verdict: Verdict
    examples: int = 0
    worst: float = 0.0
    seconds: float = 0.0
    message: str = ""
    call: str | None = None  # the minimal failing input, as a call

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED


def strategy_for(formula: Formula, oracle: Oracle):
    return (oracle.strategy or formula.strategy)()


def shows_expected(expected: Any) -> bool:
    """False where the oracle's answer is a structure-only template (None leaves:
    any optimal Huffman code, any tie-break): the failure message says what was expected."""
    return not any(leaf is None for leaf in _leaves(expected))


def expected_repr(x: Any, limit: int = 600) -> str:
    s = py_repr(x)
    return s if len(s) <= limit else s[:limit] + " ...(truncated)"


def failure_message(formula: Formula, oracle: Oracle, failure: CheckFailure, case: Case | None,
                    shrunk: bool = True) -> tuple[str, str | None]:
    lines = [f"{formula.id} vs {oracle.name}: {failure.verdict.value}", failure.message]
    call = None
    if case is not None and failure.verdict is not Verdict.NOT_IMPLEMENTED:
        call = case.call_repr(formula.fn_name)
        lines += ["Minimal failing input:" if shrunk else "Failing input (not shrunk):", f"    {call}"]
        if oracle.kind == "value":
            try:
                exp = expected_for(formula, oracle, case)
            except HarnessError:
                exp = None
            if exp is not None and shows_expected(exp):
                lines += ["Expected:", f"    {expected_repr(exp)}"]
    return "\n".join(lines), call


def check(
    formula: Formula,
    oracle: Oracle,
    call: Caller,
    *,
    profile: str | None = None,
    seed: int | None = None,
    max_examples: int | None = None,
    shrink: bool = True,
) -> CheckResult:
    """Run ``oracle``'s check of ``formula`` on the implementation behind ``call``.

    ``shrink=False`` reports the first failing input as drawn (faster: shrinking is
    most of a failing check's time), e.g. where only the verdict matters.
    """
    t0 = time.perf_counter()
    st = strategy_for(formula, oracle)
    s = profiles.make_settings(profile, scale=formula.examples_scale, max_examples=max_examples)
    if not shrink:
        s = settings(s, phases=[Phase.explicit, Phase.reuse, Phase.generate])
    stats = {"n": 0, "worst": 0.0, "case": None}

    def body(case: Case) -> None:
        stats["n"] += 1
        stats["case"] = case
        err = run_case(formula, oracle, call, case)
        if math.isfinite(err):
            stats["worst"] = max(stats["worst"], err)

    test = given(st)(body)
    test = s(test)
    sd = seed if seed is not None else GLOBAL_SEED
    if sd is not None:
        test = hyp_seed(sd)(test)
    res = CheckResult(formula.id, oracle.name, Verdict.PASSED)
    try:
        test()
    except Abort as a:
        res.verdict, res.message = a.failure.verdict, f"{formula.id}: {a.failure.message}"
    except CheckFailure as f:
        res.verdict = f.verdict
        res.message, res.call = failure_message(formula, oracle, f, stats["case"], shrink)
    except HarnessError:
        raise
    except HypothesisException as e:  # flaky failures and the like: report, never crash
        inner = _first_check_failure(e)
        if inner is None:
            raise HarnessError(f"{formula.id} vs {oracle.name}: Hypothesis failed: {type(e).__name__}: {e}") from e
        res.verdict = inner.verdict
        res.message, res.call = failure_message(formula, oracle, inner, stats["case"], shrink)
    except Exception as e:
        raise HarnessError(f"{formula.id} vs {oracle.name}: {type(e).__name__}: {e}") from e
    res.examples = stats["n"]
    res.worst = stats["worst"]
    res.seconds = time.perf_counter() - t0
    return res


def _first_check_failure(e: BaseException) -> CheckFailure | None:
    if isinstance(e, CheckFailure):
        return e
    for sub in getattr(e, "exceptions", ()) or ():
        r = _first_check_failure(sub)
        if r is not None:
            return r
    for nxt in (e.__cause__, e.__context__):
        if nxt is not None and nxt is not e:
            r = _first_check_failure(nxt)
            if r is not None:
                return r
    return None
