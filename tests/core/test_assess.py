"""checks.core.assess: every failing case, the wrong outputs, the size of the bug, on the public vectors."""

from __future__ import annotations

import numpy as np
import pytest

from checks import data
from checks.core import assess, vecfile
from checks.core.verdicts import Verdict


@pytest.fixture(scope="module")
def vectors():
    return vecfile.read(data.PUBLIC_VECTORS, ["softmax.softmax", "residual.residual_backward"]).formulas


def _answers(fv) -> dict[int, object]:
    """What a correct implementation returns on each case: a value oracle's answer (for a property
    oracle's cases, its stored reference result)."""
    out: dict[int, object] = {}
    for o in sorted(fv.oracles, key=lambda o: o.kind != "value"):
        for i, e in zip(o.cases, o.expected):
            out.setdefault(i, e)
    return out


def _results(answers: dict, change=None) -> dict:
    out = {}
    for i, e in answers.items():
        a = tuple(x.copy() for x in e) if isinstance(e, tuple) else np.array(e, copy=True)
        out[i] = (None, change(i, a) if change else a)
    return out


def test_right_answers_pass_with_every_case_passing(vectors):
    fv = vectors["softmax.softmax"]
    a = assess.assess(fv, _results(_answers(fv)))
    assert a.verdict is Verdict.PASSED and a.failure is None and not a.failing
    assert len(a.passing) == len(fv.cases)


def test_a_bug_near_the_tolerance_on_small_inputs_shows_where_it_is_large(vectors):
    fv = vectors["softmax.softmax"]
    ans = _answers(fv)
    order = sorted(ans)
    small, big = order[0], order[-1]

    def change(i, a):
        if i == small:
            return a * (1 + 3e-7)      # 3x the allowed rtol: fails, relative error ~3e-7
        if i == big:
            return a * 1.5             # relative error 0.5
        return a

    a = assess.assess(fv, _results(ans, change))
    assert a.index == small and a.failing == [small, big]
    assert a.errors[small][0] < assess.LARGE < a.errors[big][0]
    assert a.large == big and not a.precision_issue
    text = assess.render(fv, a)
    assert "Smallest failing input:" in text and "The error is large elsewhere: relative error 0.5" in text
    assert fv.cases[big].call_repr(fv.fn_name) in text
    assert "Failing inputs: 2 of" in text and "Worst relative error over the failing inputs: 0.5" in text


def test_errors_all_near_the_tolerance_are_a_precision_issue(vectors):
    fv = vectors["softmax.softmax"]
    a = assess.assess(fv, _results(_answers(fv), lambda i, x: x * (1 + 5e-7)))
    assert a.failing and a.large is None and a.precision_issue
    assert "A precision issue" in assess.render(fv, a)
    # ... and a large error everywhere is not one
    a = assess.assess(fv, _results(_answers(fv), lambda i, x: x * 2.0))
    assert not a.precision_issue and "A precision issue" not in assess.render(fv, a)


def test_only_the_wrong_outputs_are_named(vectors):
    fv = vectors["residual.residual_backward"]

    def change(i, out):
        dx, dW, db = out
        return dx, dW * 2.0 + 1.0, db   # dW wrong on every input, dx and db right

    a = assess.assess(fv, _results(_answers(fv), change))
    assert a.verdict is Verdict.MISMATCH
    assert a.wrong_outputs == ("dW",) and a.right_outputs == ("dx", "db")
    assert "Wrong outputs: dW; right on every input: dx, db" in assess.render(fv, a)


def test_a_result_that_was_never_read_is_a_failure_without_a_measure(vectors):
    from checks.core import feedback
    from checks.core.verdicts import CheckFailure

    fv = vectors["softmax.softmax"]
    res = _results(_answers(fv))
    first = min(res)
    res[first] = (CheckFailure(Verdict.ERROR, "softmax raised ValueError"), feedback.MISSING)
    a = assess.assess(fv, res)
    assert a.verdict is Verdict.ERROR and a.index == first and first not in a.errors
    assert "Got:" not in assess.render(fv, a)


# --------------------------------------------------------------------------
# the bulk test (assess.FAST) gives exactly the per-case assessment
# --------------------------------------------------------------------------

import math  # noqa: E402

from checks.core import feedback  # noqa: E402
from checks.core.case import Case  # noqa: E402
from checks.core.compare import Tol  # noqa: E402
from checks.core.verdicts import CheckFailure  # noqa: E402

BULK_IDS = ["softmax.softmax", "softmax.cross_entropy", "residual.residual_backward", "rnn.rnn_bptt",
            "clip.clip_grad_norm", "clip.clip_grad_value", "init.fan_in_fan_out", "logistic.log_likelihood_grad"]


@pytest.fixture(scope="module")
def bulk():
    return vecfile.read(data.PUBLIC_VECTORS, BULK_IDS).formulas


def _copy_answer(e):
    if isinstance(e, np.ndarray):
        return e.copy()
    if isinstance(e, (list, tuple)):
        return type(e)(_copy_answer(x) for x in e)
    if isinstance(e, dict):
        return {k: _copy_answer(v) for k, v in e.items()}
    return e


def _right(fv) -> dict:
    return {i: (None, _copy_answer(e)) for i, e in _answers(fv).items()}


def _key(a: assess.Assessment) -> tuple:
    return (a.verdict, id(a.oracle), a.index, id(a.actual), id(a.expected),
            None if a.failure is None else (a.failure.verdict, a.failure.message),
            a.failing, a.passing, [(i, id(x)) for i, x in a.results.items()],
            a.wrong_outputs, a.right_outputs, a.errors, a.large)


def _both(fv, results) -> assess.Assessment:
    """Assess both ways; assert the two assessments (and their feedback) are identical."""
    new = assess.assess(fv, results, fast=True)
    old = assess.assess(fv, results, fast=False)
    assert _key(new) == _key(old)
    if old.failure is not None:
        assert assess.render(fv, new) == assess.render(fv, old)
    return new


def _judged_cases(monkeypatch, fv, results) -> list[tuple[str, int]]:
    """(oracle, case) of every verdict_of call the fast assessment makes."""
    calls = []
    real = assess.verdict_of

    def spy(formula, oracle, case, actual, expected):
        calls.append((oracle.name, next(j for j, c in enumerate(fv.cases) if c.args is case.args)))
        return real(formula, oracle, case, actual, expected)

    monkeypatch.setattr(assess, "verdict_of", spy)
    assess.assess(fv, results, fast=True)
    return calls


@pytest.mark.parametrize("fid", BULK_IDS)
def test_right_results_pass_in_bulk_without_a_judgement_per_case(bulk, fid, monkeypatch):
    fv = bulk[fid]
    a = _both(fv, _right(fv))
    assert a.verdict is Verdict.PASSED and not a.failing and len(a.passing) == len(fv.cases)
    bulk_oracles = {o.name for o in fv.oracles if o.kind == "value" and fv.compare is None}
    assert bulk_oracles
    # only the oracles the bulk test does not cover (property ones) are judged case by case
    assert not {name for name, _ in _judged_cases(monkeypatch, fv, _right(fv))} & bulk_oracles


def _middle(fv) -> int:
    """A case near the middle whose answer has a float leaf far from 0 (scaling it changes it)."""
    ans = _answers(fv)
    order = sorted(ans)
    for i in order[len(order) // 2:]:
        if any(isinstance(x, (np.ndarray, float)) and np.any(np.abs(np.asarray(x, dtype=float)) > 1e-3)
               for x in _leaves(ans[i])):
            return i
    return order[len(order) // 2]


def _scaled(x, f):
    if isinstance(x, np.ndarray):
        return x * f
    if isinstance(x, float):
        return x * f
    if isinstance(x, (list, tuple)):
        return type(x)(_scaled(v, f) for v in x)
    if isinstance(x, dict):
        return {k: _scaled(v, f) for k, v in x.items()}
    return x


def _first_array(x, change):
    """``x`` with its first array leaf replaced by change(leaf)."""
    done = []

    def go(v):
        if isinstance(v, np.ndarray) and not done:
            done.append(1)
            return change(v)
        if isinstance(v, (list, tuple)):
            return type(v)(go(u) for u in v)
        if isinstance(v, dict):
            return {k: go(u) for k, u in v.items()}
        return v

    out = go(x)
    assert done, "no array leaf"
    return out


def _nan_at_0(v):
    v = v.copy()
    v.flat[0] = np.nan
    return v


def _inf_at_0(v):
    v = v.copy()
    v.flat[0] = np.inf
    return v


WRONG = {
    "scaled x1.5": lambda x: _scaled(x, 1.5),
    "3x the rtol": lambda x: _scaled(x, 1 + 3e-7),
    "nan": lambda x: _first_array(x, _nan_at_0),
    "inf where finite": lambda x: _first_array(x, _inf_at_0),
    "float32": lambda x: _first_array(x, lambda v: v.astype(np.float32)),
    "wrong shape": lambda x: _first_array(x, lambda v: v.reshape(-1, 1)),
    "a list": lambda x: _first_array(x, lambda v: v.tolist()),
    "None": lambda x: None,
    "a string": lambda x: "oops",
}


ARRAY_HOWS = ("nan", "inf where finite", "float32", "wrong shape", "a list")
SCALAR_IDS = ("softmax.cross_entropy",)   # no array in their results: the array changes do not apply


@pytest.mark.parametrize("fid,how", [(f, h) for f in BULK_IDS if f != "init.fan_in_fan_out" for h in WRONG
                                     if not (f in SCALAR_IDS and h in ARRAY_HOWS)])
def test_a_wrong_result_in_the_middle_fails_exactly_as_case_by_case(bulk, fid, how):
    fv = bulk[fid]
    k = _middle(fv)
    res = _right(fv)
    has_array = any(isinstance(x, np.ndarray) for x in _leaves(res[k][1]))
    assert has_array != (fid in SCALAR_IDS)
    res[k] = (None, WRONG[how](res[k][1]))
    a = _both(fv, res)
    assert a.verdict is not Verdict.PASSED and k in a.failing, how
    assert a.failing == [k] and a.index == k and len(a.passing) == len(fv.cases) - 1


def test_only_the_cases_the_bulk_test_rejects_are_judged_one_by_one(bulk, monkeypatch):
    fv = bulk["softmax.softmax"]
    k = _middle(fv)
    res = _right(fv)
    res[k] = (None, res[k][1] * 1.5)
    value = {o.name for o in fv.oracles if o.kind == "value"}
    assert [c for c in _judged_cases(monkeypatch, fv, res) if c[0] in value] == \
        [(o.name, k) for o in fv.oracles if o.kind == "value" and k in o.cases]


def _leaves(x):
    from checks.core.judge import leaves
    return list(leaves(x))


def test_failures_before_judging_and_several_wrong_cases(bulk):
    fv = bulk["residual.residual_backward"]
    order = sorted(_answers(fv))
    res = _right(fv)
    res[order[3]] = (CheckFailure(Verdict.ERROR, "residual_backward raised ValueError"), feedback.MISSING)
    res[order[10]] = (None, (res[order[10]][1][0], res[order[10]][1][1] + 1.0, res[order[10]][1][2]))
    res[order[-1]] = (None, res[order[-1]][1][:2])                      # two results of three
    res[order[20]] = (None, list(res[order[20]][1]))                    # a list: accepted
    a = _both(fv, res)
    assert a.failing == [order[3], order[10], order[-1]] and a.verdict is Verdict.ERROR
    assert a.wrong_outputs == ("dx", "dW", "db")   # a missing result makes every output wrong


def test_integer_results(bulk):
    fv = bulk["init.fan_in_fan_out"]
    k = _middle(fv)
    res = _right(fv)
    fi, fo = res[k][1]
    res[k] = (None, (np.int64(fi), fo))        # a numpy int is an int: passes
    assert _both(fv, res).verdict is Verdict.PASSED
    for wrong in ((fi + 1, fo), (float(fi), fo), (True, fo), (fi,)):
        res[k] = (None, wrong)
        a = _both(fv, res)
        assert a.failing == [k] and a.verdict in (Verdict.MISMATCH, Verdict.WRONG_TYPE)


def test_scalar_results(bulk):
    fv = bulk["softmax.cross_entropy"]
    k = _middle(fv)
    res = _right(fv)
    e = res[k][1]
    for ok in (np.float64(e), np.array(e), np.float32(e) if float(np.float32(e)) == e else np.float64(e)):
        res[k] = (None, ok)
        assert _both(fv, res).verdict is Verdict.PASSED
    for wrong in (e * 1.5, np.array([e]), float("nan"), float("inf"), True, str(e)):
        res[k] = (None, wrong)
        a = _both(fv, res)
        assert a.failing == [k], wrong


def test_dict_results(bulk):
    fv = bulk["rnn.rnn_bptt"]
    k = _middle(fv)
    res = _right(fv)
    g = res[k][1]
    key = next(iter(g))
    res[k] = (None, {**g, "extra": 1})                  # extra keys are allowed
    assert _both(fv, res).verdict is Verdict.PASSED
    res[k] = (None, {kk: v for kk, v in g.items() if kk != key})
    assert _both(fv, res).failing == [k]
    res[k] = (None, {**g, key: g[key] + 1.0})
    assert _both(fv, res).failing == [k]


# a formula made up for the boundary cases: one output, exact tolerances (0.25 + 0.25 |e|)

def _fv(answers: list, tol=Tol(rtol=0.25, atol=0.25), outputs=("y",)) -> vecfile.FormulaVectors:
    cases = [Case((np.array([float(i)]),)) for i in range(len(answers))]
    o = vecfile.OracleVectors("torch", "value", None, cases=list(range(len(answers))), expected=list(answers))
    return vecfile.FormulaVectors("made.up", "made_up", outputs, tol, 1.0, cases=cases, oracles=[o])


def _run(fv, actual: list) -> assess.Assessment:
    return _both(fv, {i: (None, a) for i, a in enumerate(actual)})


def _just_past(a: float, e: float, tol: Tol) -> float:
    """The first float beyond ``a`` (away from ``e``) whose difference from ``e`` exceeds the tolerance."""
    away = math.copysign(np.inf, a - e) if a != e else np.inf
    while abs(a - e) <= tol.atol + tol.rtol * abs(e):
        a = float(np.nextafter(a, away))
    return a


def test_the_tolerance_boundary_exactly_and_just_past():
    e = np.array([1.0, -2.0, 0.0])
    at = np.array([1.5, -2.75, 0.25])             # |a - e| == 0.25 + 0.25 |e| exactly
    tol = Tol(rtol=0.25, atol=0.25)
    fv = _fv([e, e, e], tol)
    assert _run(fv, [e.copy(), at, e.copy()]).verdict is Verdict.PASSED
    for j in range(3):
        past = at.copy()
        past[j] = _just_past(at[j], e[j], tol)
        assert past[j] == np.nextafter(at[j], math.copysign(np.inf, at[j] - e[j]))   # the next float
        a = _run(fv, [e.copy(), past, e.copy()])
        assert a.verdict is Verdict.MISMATCH and a.failing == [1], j
    # atol alone (rtol 0) and rtol alone (atol 0), and the formulas' own tolerance
    for tol, e, a in ((Tol(rtol=0.0, atol=0.5), 1.0, 1.5), (Tol(rtol=0.5, atol=0.0), 4.0, 2.0),
                      (Tol(), 0.3, 0.3 + 1e-9 + 1e-7 * 0.3), (Tol(), -7.1, -7.1 - 1e-9 - 1e-7 * 7.1)):
        fv = _fv([np.array([e]), e], tol)
        while abs(a - e) > tol.atol + tol.rtol * abs(e):   # the last float within the tolerance
            a = float(np.nextafter(a, e))
        assert _run(fv, [np.array([a]), a]).verdict is Verdict.PASSED, (tol, e, a)
        b = _just_past(a, e, tol)
        res = _run(fv, [np.array([b]), b])
        assert res.verdict is Verdict.MISMATCH and res.failing == [0, 1], (tol, e, b)


def test_non_finite_answers():
    inf, nan = np.inf, np.nan
    e = np.array([1.0, inf, -inf, nan])
    fv = _fv([e, np.array([2.0])])
    two = np.array([2.0])
    assert _run(fv, [e.copy(), two]).verdict is Verdict.PASSED                # inf where inf, nan where nan
    for wrong in ([1.0, inf, inf, nan], [1.0, nan, -inf, nan], [1.0, inf, -inf, 0.0], [nan, inf, -inf, nan]):
        a = _run(fv, [np.array(wrong), two])
        assert a.verdict is not Verdict.PASSED and a.failing == [0], wrong
    # with rtol > 0 the common test accepts a finite value where inf is expected (the per-case rule, kept)
    _run(fv, [np.array([1.0, 5.0, -inf, nan]), two])
    fv0 = _fv([e], Tol(rtol=0.0, atol=0.25))
    assert _run(fv0, [e.copy()]).verdict is Verdict.PASSED
    assert _run(fv0, [np.array([1.0, 5.0, -inf, nan])]).verdict is Verdict.MISMATCH


def test_other_leaf_kinds():
    # int and bool arrays (compared as float64), 0-d arrays, bools, nested containers, a template (None leaf)
    ints = np.array([1, 2, 3])
    fv = _fv([ints, ints])
    assert _run(fv, [ints.copy(), ints.copy()]).verdict is Verdict.PASSED
    assert _run(fv, [ints.copy(), ints.astype(np.int32)]).failing == [1]
    assert _run(fv, [ints.copy(), ints + 7]).failing == [1]
    zero_d = np.array(2.0)
    fv = _fv([zero_d, zero_d, zero_d])
    assert _run(fv, [2.0, np.float64(2.0), np.array(2.0)]).verdict is Verdict.PASSED
    assert _run(fv, [2.0, 2, np.array(3.0)]).failing == [1, 2]
    fv = _fv([(True, [1, 2], {"a": np.zeros(2)})] * 3)
    good = (True, [1, 2], {"a": np.zeros(2)})
    assert _run(fv, [good, (np.bool_(True), np.array([1, 2]), {"a": np.zeros(2), "b": 1}), good]).verdict \
        is Verdict.PASSED
    assert _run(fv, [good, (False, [1, 2], {"a": np.zeros(2)}), (True, [1, 3], {"a": np.zeros(2)})]).failing == [1, 2]
    assert _run(fv, [good, (1, [1, 2], {"a": np.zeros(2)}), good]).failing == [1]
    fv = _fv([[None, 1.0], [None, 1.0]])       # a template: the default comparison cannot compare it either way
    assert _run(fv, [["x", 1.0], [0, 2.0]]).failing == [0, 1]


def test_an_ndarray_subclass_and_an_empty_array():
    class Sub(np.ndarray):
        pass

    e = np.arange(4.0)
    fv = _fv([e, np.zeros((0, 3))])
    assert _run(fv, [e.copy().view(Sub), np.zeros((0, 3))]).verdict is Verdict.PASSED
    assert _run(fv, [(e + 1).view(Sub), np.zeros((3, 0))]).failing == [0, 1]


def test_a_replaced_answer_or_tolerance_is_seen():
    e = np.array([1.0, 2.0])
    fv = _fv([e, e])
    assert _run(fv, [e.copy(), e.copy()]).verdict is Verdict.PASSED
    fv.oracles[0].expected[1] = e + 10.0                # the plan is per oracle object: rebuilt
    assert _run(fv, [e.copy(), e.copy()]).failing == [1]
    assert _run(fv, [e.copy(), e + 10.0]).verdict is Verdict.PASSED
    fv.oracles[0].tol = Tol(rtol=0.0, atol=20.0)
    assert _run(fv, [e.copy(), e.copy()]).verdict is Verdict.PASSED


def test_custom_comparisons_and_properties_still_get_copies():
    e = np.array([1.0, 2.0])
    seen = []

    def compare(case, actual, expected, tol, fn):     # a judge that scribbles on what it gets
        seen.append("compare")
        case.args[0][:] = -1.0
        expected[:] = 99.0
        if not np.array_equal(actual, [1.0, 2.0]):
            raise CheckFailure(Verdict.MISMATCH, f"{fn}: not [1, 2]")

    def prop(case, result):
        seen.append("property")
        case.args[0][:] = -2.0

    fv = _fv([e, e])
    fv.compare = compare
    fv.oracles.append(vecfile.OracleVectors("property:p", "property", None, fn=prop, cases=[0, 1],
                                            expected=[e, e]))
    inputs = [c.args[0].copy() for c in fv.cases]
    for fast in (True, False):
        a = assess.assess(fv, {0: (None, e.copy()), 1: (None, e + 1.0)}, fast=fast)
        assert a.failing == [1] and a.verdict is Verdict.MISMATCH
    assert seen.count("compare") == 4 and seen.count("property") == 4
    assert all(np.array_equal(c.args[0], x) for c, x in zip(fv.cases, inputs))
    assert all(np.array_equal(x, [1.0, 2.0]) for o in fv.oracles for x in o.expected)


def test_the_plans_of_dead_oracles_are_dropped():
    import gc

    e = np.array([1.0, 2.0])
    fv = _fv([e])
    _run(fv, [e.copy()])
    dead = id(fv.oracles[0])
    assert dead in assess._PLANS
    del fv
    gc.collect()
    other = _fv([e])
    _run(other, [e.copy()])
    assert id(other.oracles[0]) in assess._PLANS
    assert all(entry[0]() is not None for entry in assess._PLANS.values())
