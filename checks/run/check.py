"""Check: one formula, one oracle, one implementation, on drawn inputs -> a :class:`CheckResult`.

The pipeline: draw (:mod:`checks.run.draw`) -> expect (:mod:`checks.run.expect`)
-> run (``call``: :mod:`checks.run.local` in process) -> judge
(:func:`checks.core.judge.verdict_of`) -> feedback
(:func:`checks.core.feedback.render`). ``formulacheck verify`` and pytest
use it; the grader runs the same judge and formatter on the inputs of a
vectors file (:mod:`checks.grader.grade`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from checks.core import feedback
from checks.core.judge import measured_verdict, verdict_of
from checks.core.verdicts import CheckFailure, HarnessError, Verdict  # noqa: F401  (HarnessError: callers catch it)
from checks.registry import Formula, Oracle
from checks.run import draw, profiles
from checks.run.expect import expected_for, strategy_for
from checks.run.local import Caller, local_caller  # noqa: F401  (the in-process runner, for callers)

#: the base seed of every check when set (pytest's --hypothesis-seed, the CLI's --seed)
GLOBAL_SEED: int | None = None


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


def seed_of(formula: Formula, oracle: Oracle, profile: str | None, seed: int | None = None) -> int:
    """The explicit seed of one check: the base seed, the formula, the strategy, the profile.

    Oracles drawing from the formula's own strategy share their inputs (as in the vectors file).
    """
    base = seed if seed is not None else (GLOBAL_SEED if GLOBAL_SEED is not None else draw.DEFAULT_SEED)
    return draw.seed_for(base, formula.id, strategy_key(oracle), profiles.resolve(profile))


def strategy_key(oracle: Oracle) -> str:
    """Which strategy an oracle draws from: its own (its name) or the formula's ("formula")."""
    return oracle.name if oracle.strategy is not None else "formula"


def check(formula: Formula, oracle: Oracle, call: Caller, *, profile: str | None = None, seed: int | None = None,
          max_examples: int | None = None, shrink: bool = True) -> CheckResult:
    """Run ``oracle``'s check of ``formula`` on the implementation behind ``call``.

    ``shrink=False`` reports the first failing input as drawn (faster: shrinking
    is most of a failing check's time). Raises :class:`HarnessError` when the
    reference, an oracle, a strategy or a comparison fails.
    """
    t0 = time.perf_counter()
    n = max_examples if max_examples is not None else profiles.examples(profile, formula.examples_scale)
    worst = [0.0]

    def test(case) -> None:
        expected = expected_for(formula, oracle, case)
        got = call(case)
        failure, err = measured_verdict(formula, oracle, case, got, expected)
        if failure is not None:
            failure.detail = got
            raise failure
        worst[0] = max(worst[0], err)

    tried, found, stop = draw.search(strategy_for(formula, oracle), test, n, seed_of(formula, oracle, profile, seed),
                                     profile, shrink)
    res = CheckResult(formula.id, oracle.name, Verdict.PASSED, examples=tried, worst=worst[0])
    if stop is not None:
        res.verdict, res.message = stop.failure.verdict, f"{formula.id}: {stop.failure.message}"
    elif found is not None:
        res.verdict = found.failure.verdict
        res.message = explain(formula, oracle, found.failure, found.case, found.detail,
                              feedback.MINIMAL if found.shrunk else feedback.FAILING)
        res.call = found.case.call_repr(formula.fn_name)
    res.seconds = time.perf_counter() - t0
    return res


def explain(formula: Formula, oracle: Oracle, failure: CheckFailure, case, got, found: str) -> str:
    """The feedback of a failure found in process (the expected answer is recomputed for the shown input)."""
    expected = feedback.MISSING
    if oracle.kind == "value":
        try:
            expected = expected_for(formula, oracle, case)
        except HarnessError:
            pass
    return feedback.render(formula, oracle, failure, case, found=found, expected=expected,
                           actual=feedback.MISSING if got is None and failure.verdict in _NO_RESULT else got)


#: verdicts raised before a result exists: no "Got"
_NO_RESULT = (Verdict.ERROR, Verdict.INPLACE, Verdict.NOT_IMPLEMENTED, Verdict.TIMEOUT, Verdict.CRASHED)


def check_vectors(fv, call: Caller) -> CheckResult:
    """Judge an in-process implementation on a vectors file's cases (one formula: every oracle).

    The same judgement and feedback as the grader (:func:`checks.core.assess.assess` and
    :func:`~checks.core.assess.render`, through :func:`checks.grader.grade.judge_replies`):
    cases smallest first, the first failure shown as the smallest failing input.
    """
    from checks.core import assess

    t0 = time.perf_counter()
    results: dict[int, tuple] = {}
    res = CheckResult(fv.id, "vectors", Verdict.PASSED, examples=len(fv.cases))
    needed = sorted({i for o in fv.oracles for i in o.cases})
    for i in needed:
        try:
            results[i] = (None, call(fv.cases[i]))
        except CheckFailure as f:
            results[i] = (f, feedback.MISSING)
        except draw.Stop as s:
            res.verdict, res.message = s.failure.verdict, f"{fv.id}: {s.failure.message}"
            res.seconds = time.perf_counter() - t0
            return res
    a = assess.assess(fv, results)
    if a.failure is not None:
        res.oracle, res.verdict = a.oracle.name, a.verdict
        res.message = assess.render(fv, a)
        d = assess.diagnosis_of(fv, a)
        if d is not None:
            res.message = f"{res.message}\n{d.text}"
        res.call = fv.cases[a.index].call_repr(fv.fn_name)
    res.seconds = time.perf_counter() - t0
    return res
