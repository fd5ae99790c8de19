"""Judging one formula on ALL its cases, and the feedback that says how big the bug is.

The grader (:func:`checks.grader.grade.judge_replies`), ``formulacheck
verify`` on a vectors file and the audit (:func:`checks.run.check.check_vectors`)
give every case's result to :func:`assess` and show :func:`render`: one
judgement, one text. Cases are judged smallest first (the vectors file's
order), so the first failure is the smallest failing input. Beyond it:

- **every wrong output**: for a formula with several outputs (dx, dW, db),
  which of them are wrong on some input and which are right on all;
- **the size of the bug**: shrinking (or a size ladder) stops just above
  the tolerance, so a catastrophic bug can look like rounding noise (a
  cross-entropy with ``log(p + 1e-16)`` shown at relative error 1.8e-9 on a
  tiny input, while it returns 36.8 instead of 10000.7 at z = -1e4). The
  feedback adds the smallest input whose relative error is LARGE (>
  :data:`LARGE`) when the smallest failing one is not, and the worst error
  over all cases; a failure whose errors all stay near the tolerance (<=
  :data:`NEAR` times it) is labelled a precision issue.

Relative error of one output here: max over elements of |got - expected| /
(|expected| + atol) (finite elements; a non-finite value where a finite one
was expected counts as infinite). numpy only.

The common case is a right result, so a value oracle with the default
comparison is first judged in bulk (:mod:`checks.core.bulk`): every case's
result is checked against its answer's types and shapes, and all float
leaves of all cases are compared in one numpy expression, with the very
elementwise test of :func:`~checks.core.compare.assert_array_close`'s
common path (ints and bools by equality). A case that passes it certainly
passes :func:`~checks.core.judge.verdict_of` (which records nothing for a
passing case); every other case (a failure before judging, a type the bulk
test does not handle, an element outside the common test, any exception)
is judged by ``verdict_of`` as before, in the same order: the assessment is
the same. The per-oracle data (answers' templates, the concatenated answers
and their bounds atol + rtol|e|) is computed once per oracle object and
reused by every submission judged against it. Custom comparisons and
property oracles of :mod:`checks.judges` that declare a prepared form (the
part that depends on the case alone, computed once per oracle) are judged
the same way: in bulk where they give elementwise bounds, else by their
check alone (see "prepared form" in :mod:`checks.core.bulk`); the rest by ``verdict_of``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checks.core import feedback
from checks.core.compare import assert_close
from checks.core.judge import conform_outputs, verdict_of
from checks.core.verdicts import CheckFailure, Verdict
from checks.core.bulk import _PLANS, _bulk_verdicts, _checked, _hooks, _plan_of  # noqa: F401  (tests use them here)
from checks.core.bulk import answer_classes

#: a relative error above this is a bug no tolerance discussion can explain
LARGE = 1e-3
#: every error within this many times the allowed error: "a precision issue"
NEAR = 100.0


@dataclass
class Assessment:
    verdict: Verdict
    oracle: Any = None                 # the failing oracle of the smallest failing case
    failure: CheckFailure | None = None
    index: int | None = None           # the smallest failing case
    actual: Any = feedback.MISSING
    expected: Any = feedback.MISSING
    failing: list[int] = field(default_factory=list)   # every failing case (any oracle), in order
    passing: list[int] = field(default_factory=list)   # cases every oracle accepted
    results: dict[int, Any] = field(default_factory=dict)  # case -> the result as read (MISSING: none)
    wrong_outputs: tuple[str, ...] = ()   # outputs wrong on some input (multi-output formulas)
    right_outputs: tuple[str, ...] = ()   # outputs right on every input
    errors: dict[int, tuple[float, float]] = field(default_factory=dict)  # failing case -> (relative error, x allowed)
    large: int | None = None           # the smallest case with a relative error > LARGE (when the smallest failing is not)

    @property
    def worst(self) -> tuple[int, float] | None:
        """(case, relative error) of the worst measured failing case."""
        if not self.errors:
            return None
        i = max(self.errors, key=lambda k: (self.errors[k][0], -k))
        return i, self.errors[i][0]

    @property
    def precision_issue(self) -> bool:
        """Every failing case measured, all within NEAR x the allowed error."""
        return bool(self.errors) and len(self.errors) == len(self.failing) and all(
            r <= NEAR for _, r in self.errors.values())


def _leaf_errors(actual: Any, expected: Any, atol: float, rtol: float) -> tuple[float, float]:
    """(relative error, ratio to the allowed error) over two conformed trees."""
    if isinstance(expected, dict):
        parts = [_leaf_errors(actual[k], expected[k], atol, rtol) for k in expected]
    elif isinstance(expected, (list, tuple)):
        parts = [_leaf_errors(a, e, atol, rtol) for a, e in zip(actual, expected)]
    elif isinstance(expected, (bool, int, np.integer)) and not isinstance(expected, np.ndarray):
        return (0.0, 0.0) if actual == expected else (math.inf, math.inf)
    else:
        a = np.asarray(actual, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        if a.shape != e.shape or a.size == 0:
            return (0.0, 0.0) if a.shape == e.shape else (math.inf, math.inf)
        with np.errstate(all="ignore"):
            fin = np.isfinite(e)
            d = np.abs(a - e)
            if fin.all():   # the same numbers without the where()s
                ae = np.abs(e)
            else:
                d = np.where(fin, d, np.where((a == e) | (np.isnan(a) & np.isnan(e)), 0.0, np.inf))
                ae = np.abs(np.where(fin, e, 0.0))
            d = np.where(np.isnan(d), np.inf, d)
            rel = float(np.max(d / (ae + max(atol, 1e-300))))
            ratio = float(np.max(d / (atol + rtol * ae + 1e-300)))
        return rel, ratio
    return (max((p[0] for p in parts), default=0.0), max((p[1] for p in parts), default=0.0))


def _measure(fv, oracle, actual: Any, expected: Any) -> tuple[float, float] | None:
    """(relative error, x allowed) of a value oracle's failing case; None where it cannot be measured."""
    if oracle.kind != "value" or fv.compare is not None or actual is feedback.MISSING:
        return None
    try:
        res = conform_outputs(fv, actual, expected)
    except CheckFailure:
        return None
    tol = oracle.tol or fv.tol
    try:
        return _leaf_errors(res, expected, tol.atol, tol.rtol)
    except (TypeError, ValueError, KeyError, IndexError):
        return None


def _wrong_outputs(fv, oracle, actual: Any, expected: Any) -> set[str]:
    """The outputs of a multi-output result that are wrong on this case (value oracles, default comparison)."""
    tol = oracle.tol or fv.tol
    try:
        res = conform_outputs(fv, actual, expected)
    except CheckFailure:
        return set(fv.outputs)
    out = set()
    for a, e, name in zip(res, expected, fv.outputs):
        try:
            assert_close(a, e, tol, name, quiet=True)
        except CheckFailure:
            out.add(name)
        except Exception:
            return set()
    return out


# --------------------------------------------------------------------------
# the bulk test first (checks.core.bulk)
# --------------------------------------------------------------------------

#: judge value oracles of the default comparison in bulk first (False: one verdict_of per case, as before;
#: the benchmark and the tests compare the two)
FAST = True


def assess(fv, results: dict[int, tuple[CheckFailure | None, Any]], *, fast: bool | None = None) -> Assessment:
    """Judge every case of ``fv`` against every oracle.

    ``results[i]`` = (failure before judging: the call raised, timed out, the
    result could not be read...; or None, and the result). Raises
    :class:`~checks.core.verdicts.HarnessError` when a comparison itself fails.
    ``fast`` (default :data:`FAST`): the bulk test first; False judges every
    case with verdict_of (the same assessment, slower).
    """
    a = Assessment(Verdict.PASSED)
    failed: set[int] = set()
    multi = len(fv.outputs) > 1 and fv.compare is None
    wrong: set[str] = set()
    measured_any = False
    bulk = FAST if fast is None else fast
    # value oracles agreeing bit for bit on a case's answer: that case is judged once (checks.core.bulk)
    classes = answer_classes(fv) if bulk else {}
    judged: dict[tuple, CheckFailure | None] = {}
    for oracle in fv.oracles:
        pairs = list(zip(oracle.cases, oracle.expected))
        for i, _ in pairs:
            a.results.setdefault(i, results[i][1])
        cls = classes.get(id(oracle))
        known = _bulk_verdicts(fv, oracle, results) if bulk else None
        if known is not None:
            if cls is not None:
                judged.update(((i, cls[p]), None if v is True else v) for p, (i, v) in enumerate(zip(oracle.cases, known))
                              if v is not None)
            pairs = [(p, i, e, v) for p, ((i, e), v) in enumerate(zip(pairs, known)) if v is not True]
        else:
            pairs = [(p, i, e, None) for p, (i, e) in enumerate(pairs)]
        for p, i, exp, v in pairs:
            pre, actual = results[i]
            if pre is not None:
                failure = pre
            elif v is not None:
                failure = v
            elif cls is None:
                failure = verdict_of(fv, oracle, fv.cases[i], actual, exp)
            else:
                key = (i, cls[p])
                failure = judged[key] if key in judged else judged.setdefault(
                    key, verdict_of(fv, oracle, fv.cases[i], actual, exp))
            if failure is None:
                continue
            if a.failure is None:
                a.verdict, a.oracle, a.failure, a.index = failure.verdict, oracle, failure, i
                a.actual, a.expected = actual, exp
            if i not in failed:
                failed.add(i)
                m = _measure(fv, oracle, actual, exp) if pre is None else None
                if m is not None:
                    a.errors[i] = m
                    measured_any = True
            if multi and pre is None and oracle.kind == "value":
                wrong |= _wrong_outputs(fv, oracle, actual, exp)
    order = {i: k for k, i in enumerate(sorted(results))}
    a.failing = sorted(failed, key=order.get)
    a.passing = [i for i in sorted(results) if i not in failed]
    if multi and a.failure is not None and wrong:
        a.wrong_outputs = tuple(o for o in fv.outputs if o in wrong)
        a.right_outputs = tuple(o for o in fv.outputs if o not in wrong)
    if measured_any and a.index in a.errors and a.errors[a.index][0] <= LARGE:
        big = [i for i in a.failing if i in a.errors and a.errors[i][0] > LARGE]
        a.large = big[0] if big else None
    return a


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.3g}"


def render(fv, a: Assessment, *, found: str = feedback.SMALLEST) -> str:
    """The feedback of a failed assessment: the smallest failing input, then how wide and how big the bug is."""
    text = feedback.render(fv, a.oracle, a.failure, fv.cases[a.index], found=found, expected=a.expected,
                           actual=a.actual)
    extra = []
    if a.wrong_outputs:
        right = f"; right on every input: {', '.join(a.right_outputs)}" if a.right_outputs else ""
        extra.append(f"Wrong outputs: {', '.join(a.wrong_outputs)}{right}")
    n = len(a.failing) + len(a.passing)
    if n > 1:
        extra.append(f"Failing inputs: {len(a.failing)} of {n}")
    if a.large is not None:
        i = a.large
        exp = _expected_of(fv, i)
        extra += [f"The error is large elsewhere: relative error {_fmt(a.errors[i][0])} on",
                  f"    {fv.cases[i].call_repr(fv.fn_name)}"]
        if exp is not feedback.MISSING:
            extra += ["Expected:", f"    {feedback.value_repr(exp)}"]
        if a.results.get(i, feedback.MISSING) is not feedback.MISSING:
            extra += ["Got:", f"    {feedback.value_repr(a.results[i])}"]
    w = a.worst
    if w is not None and len(a.failing) > 1:
        extra.append(f"Worst relative error over the failing inputs: {_fmt(w[1])}")
    if a.precision_issue:
        worst_ratio = max(r for _, r in a.errors.values())
        extra.append(f"A precision issue: every error stays within {_fmt(worst_ratio)}x the allowed error "
                     f"(look for a cancellation, an epsilon, or float32 arithmetic)")
    return text + ("\n" + "\n".join(extra) if extra else "")


def _expected_of(fv, i: int) -> Any:
    for o in fv.oracles:
        if o.kind == "value":
            for j, e in zip(o.cases, o.expected):
                if j == i:
                    return feedback.MISSING if feedback.is_template(e) else e
    return feedback.MISSING


def diagnosis_of(fv, a: Assessment):
    """The likely mistake behind a failed assessment (:mod:`checks.diagnose`: the library of known
    mistakes, trusted numpy code run on the same cases, and generic relations), or None.

    Feedback only: never a verdict or a score. Where the library is absent (the student kit has
    no near-solutions) or the diagnosis itself fails: None.
    """
    if a.failure is None:
        return None
    try:
        from checks.diagnose import diagnose
    except ImportError:
        return None
    actual = {i: x for i, x in a.results.items() if x is not feedback.MISSING}
    try:
        return diagnose(fv, actual, a.failing, a.passing)
    except Exception:
        return None
