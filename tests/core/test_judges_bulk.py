"""Prepared judges (checks/judges: prep + check, bounds) judged in bulk give the per-case assessment.

A result the bulk test vouches for must pass verdict_of; a result just past a judge's bound must
fail with the very message of the per-case path; a check never changes the prepared state (its
arrays are read-only), and judges still never write into the shared cases or answers.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from checks import data
from checks.core import assess, bulk, vecfile
from checks.core.case import Case
from checks.core.compare import Tol
from checks.core.verdicts import CheckFailure, Verdict

BOUNDED = ["norm.batchnorm_forward", "norm.layernorm_backward", "norm.batchnorm2d_backward",
           "norm.batchnorm_running_update", "optim.adam_step", "optim.nag_step", "activations.relu_backward",
           "activations.prelu_backward", "pool.maxpool2d_backward"]
CHECKED = ["attention.positional_encoding", "lstm.lstm_cell_state_jacobian", "hsoftmax.huffman_codes",
           "clip.clip_grad_norm", "norm.layernorm_forward", "norm.batchnorm_backward"]


@pytest.fixture(scope="module")
def vectors():
    return vecfile.read(data.PUBLIC_VECTORS, BOUNDED + CHECKED).formulas


@pytest.fixture(autouse=True)
def eager(monkeypatch):
    """The bulk test from an oracle's first use (a grader builds a prepared judge's plan on its second)."""
    monkeypatch.setattr(bulk, "LAZY", False)


def _answers(fv) -> dict:
    out: dict = {}
    for o in sorted(fv.oracles, key=lambda o: o.kind != "value"):
        for i, e in zip(o.cases, o.expected):
            out.setdefault(i, e)
    return out


def _cp(e):
    if isinstance(e, np.ndarray):
        return e.copy()
    if isinstance(e, (list, tuple)):
        return type(e)(_cp(x) for x in e)
    return e


def _key(a):
    return (a.verdict, id(a.oracle), a.index, None if a.failure is None else (a.failure.verdict, a.failure.message),
            a.failing, a.passing, a.errors, a.wrong_outputs, a.right_outputs, a.large,
            [(i, id(x)) for i, x in a.results.items()])


def _both(fv, results):
    new = assess.assess(fv, results, fast=True)
    old = assess.assess(fv, results, fast=False)
    assert _key(new) == _key(old)
    if old.failure is not None:
        assert assess.render(fv, new) == assess.render(fv, old)
    return new


def _hooked(fv, o):
    return assess._hooks(fv.compare if o.kind == "value" else o.fn) is not None


def _verdict_of_calls(monkeypatch, fv, results) -> list:
    calls = []
    real = assess.verdict_of

    def spy(formula, oracle, case, actual, expected):
        calls.append(oracle.name)
        return real(formula, oracle, case, actual, expected)

    monkeypatch.setattr(assess, "verdict_of", spy)
    assess.assess(fv, results, fast=True)
    monkeypatch.undo()
    return calls


@pytest.mark.parametrize("fid", BOUNDED + CHECKED)
def test_right_answers_need_no_verdict_of_for_prepared_judges(vectors, fid, monkeypatch):
    fv = vectors[fid]
    assert any(_hooked(fv, o) for o in fv.oracles)
    res = {i: (None, _cp(e)) for i, e in _answers(fv).items()}
    a = _both(fv, res)
    if fid != "hsoftmax.huffman_codes":   # its answers are templates (None slots): not a result
        assert a.verdict is Verdict.PASSED, a.failure
        hooked = {o.name for o in fv.oracles if _hooked(fv, o)}
        assert not set(_verdict_of_calls(monkeypatch, fv, res)) & hooked


def _bulk_plan(fv, o):
    return assess._plan_of(fv, o, assess._hooks(fv.compare))


@pytest.mark.parametrize("fid", BOUNDED)
def test_a_result_just_past_the_bound_fails_exactly_as_case_by_case(vectors, fid, monkeypatch):
    fv = vectors[fid]
    o = next(o for o in fv.oracles if o.kind == "value")
    plan = _bulk_plan(fv, o)
    p = next(p for p in range(len(plan.cases)) if plan.specs[p] is not None and plan.ends[p] > plan.starts[p]
             and (np.isfinite(plan.B[plan.starts[p]:plan.ends[p]]) & (plan.B[plan.starts[p]:plan.ends[p]] >= 0)).any())
    i = plan.cases[p]
    B = plan.B[plan.starts[p]:plan.ends[p]]
    E = plan.E[plan.starts[p]:plan.ends[p]]
    j = int(np.argmax(np.where(np.isfinite(B) & (B >= 0), np.abs(E) + B, -1.0)))   # an element with a finite bound
    assert np.isfinite(B[j]) and B[j] >= 0

    def result_with(v):
        ans = _cp(o.expected[p])
        leaves = [x for x in (ans if isinstance(ans, tuple) else (ans,))]
        k = j
        for x in leaves:
            if k < x.size:
                x.flat[k] = v
                break
            k -= x.size
        res = {c: (None, _cp(e)) for c, e in _answers(fv).items()}
        res[i] = (None, ans)
        return res

    a = float(E[j]) + float(B[j])
    while abs(a - E[j]) > B[j]:          # the last float within the bound
        a = float(np.nextafter(a, E[j]))
    inside = _both(fv, result_with(a))
    assert i not in inside.failing                               # vouched for, and verdict_of agrees
    while abs(a - E[j]) <= B[j]:        # the first float past it
        a = float(np.nextafter(a, np.inf))
    res = result_with(a)
    past = _both(fv, res)
    # the bound is the judge's own threshold: just past it fails, with verdict_of's very failure
    assert past.failing == [i] and past.verdict is Verdict.MISMATCH, past.failure
    bulk = assess._bulk_verdicts(fv, o, res)[p]
    per_case = assess.verdict_of(fv, o, fv.cases[i], res[i][1], o.expected[p])
    assert bulk is None or (isinstance(bulk, CheckFailure) and bulk.message == per_case.message)
    assert per_case.message == past.failure.message


@pytest.mark.parametrize("fid", BOUNDED + CHECKED)
@pytest.mark.parametrize("how", ["nan", "scaled", "float32", "tiny"])
def test_wrong_results_fail_exactly_as_case_by_case(vectors, fid, how):
    fv = vectors[fid]
    ans = _answers(fv)
    order = sorted(ans)
    k = order[len(order) // 2]

    def change(x):
        if isinstance(x, tuple):
            return (change(x[0]),) + tuple(x[1:])
        if isinstance(x, list) and x and isinstance(x[0], np.ndarray):
            return [change(x[0])] + x[1:]
        if not isinstance(x, np.ndarray):
            return None if how == "nan" else x
        y = x.astype(np.float32) if how == "float32" else x.copy()
        if how == "nan" and y.size:
            y.flat[0] = np.nan
        elif how == "scaled":
            y = y * 1.5 + 0.25
        elif how == "tiny" and y.size:
            y.flat[-1] += 1e-6 * (1 + abs(y.flat[-1]))
        return y

    res = {i: (None, _cp(e)) for i, e in ans.items()}
    res[k] = (None, change(_cp(ans[k])))
    _both(fv, res)


@pytest.mark.parametrize("fid", BOUNDED + CHECKED)
def test_checks_never_change_the_prepared_state(vectors, fid):
    fv = vectors[fid]
    for o in fv.oracles:
        hooks = assess._hooks(fv.compare if o.kind == "value" else o.fn)
        if hooks is None:
            continue
        plan = assess._plan_of(fv, o, hooks)
        arrays = []

        def walk(x, d=0):
            if isinstance(x, np.ndarray):
                arrays.append(x)
            elif d < 8 and isinstance(x, (tuple, list)):
                for v in x:
                    walk(v, d + 1)
            elif d < 8 and isinstance(x, dict):
                for v in x.values():
                    walk(v, d + 1)
            elif d < 8 and hasattr(x, "__dict__") and not callable(x):
                for v in vars(x).values():
                    walk(v, d + 1)

        for st in plan.states:
            walk(st)
        assert arrays and not any(x.flags.writeable for x in arrays)
        before = [x.copy() for x in arrays]
        ans = _answers(fv)
        for p, i in enumerate(plan.cases[:20]):
            for r in (_cp(ans[i]), None):
                assess._checked(fv, o, plan, p, r)
        assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(arrays, before))


def test_a_prepared_judge_gets_its_own_copies_and_a_failing_check_is_the_verdict():
    seen = []

    def prep(case, expected, tol, fn):
        case.args[0][:] = -1.0      # scribbles on what it gets: a copy
        return np.array([1.0, 2.0]), fn

    def check(st, actual):
        seen.append(1)
        if not np.array_equal(actual, st[0]):
            raise CheckFailure(Verdict.MISMATCH, f"{st[1]}: not [1, 2]")

    def compare(case, actual, expected, tol, fn):
        return check(prep(case, expected, tol, fn), actual)

    compare.prep, compare.check = prep, check
    e = np.array([1.0, 2.0])
    cases = [Case((np.array([float(i)]),)) for i in range(3)]
    o = vecfile.OracleVectors("torch", "value", None, cases=[0, 1, 2], expected=[e, e, e])
    fv = vecfile.FormulaVectors("made.up", "made_up", ("y",), Tol(), 1.0, cases=cases, oracles=[o],
                                compare=compare)
    res = {0: (None, e.copy()), 1: (None, e + 1.0), 2: (None, e.copy())}
    a = _both(fv, res)
    assert a.failing == [1] and a.failure.message == "made_up: not [1, 2]"
    assert all(np.array_equal(c.args[0], [float(i)]) for i, c in enumerate(cases))
    assert all(np.array_equal(x, e) for x in o.expected)


def test_a_check_that_writes_into_its_state_is_judged_by_verdict_of():
    def prep(case):
        return np.zeros(2)

    def check(st, result):
        st[:] = result          # read-only in the bulk path: ValueError -> verdict_of decides
        if result[0] != 1.0:
            raise CheckFailure(Verdict.PROPERTY, "y[0] must be 1")

    def prop(case, result):
        return check(prep(case), result)

    prop.prep, prop.check = prep, check
    e = np.array([1.0, 2.0])
    cases = [Case((np.array([0.0]),)), Case((np.array([1.0]),))]
    o = vecfile.OracleVectors("property:p", "property", None, fn=prop, cases=[0, 1], expected=[e, e])
    fv = vecfile.FormulaVectors("made.up", "made_up", ("y",), Tol(), 1.0, cases=cases, oracles=[o])
    a = _both(fv, {0: (None, e.copy()), 1: (None, np.array([3.0, 2.0]))})
    assert a.failing == [1] and a.failure.message == "y[0] must be 1"


def test_judges_are_still_functions_of_the_case_and_result():
    # the stored form (a partial of a module function) keeps the attributes assess looks for
    from checks.judges import normalization, optimizer
    f = normalization._backward_compare((0,))
    assert isinstance(f, functools.partial) and assess._hooks(f) is not None
    assert assess._hooks(optimizer.scaled_compare(("theta",), optimizer._scale_sgd)) is not None
    assert assess._hooks(lambda case, r: None) is None


def test_a_prepared_judges_plan_is_built_on_its_second_submission(monkeypatch):
    """One grade judges case by case (a plan costs more than that); from the second on, the bulk test
    judges, and every assessment is the same."""
    monkeypatch.setattr(bulk, "LAZY", True)
    fv = vecfile.read(data.PUBLIC_VECTORS, ["optim.adam_step"]).formulas["optim.adam_step"]  # oracles of its own
    hooked = {o.name for o in fv.oracles if _hooked(fv, o)}
    assert hooked
    res = {i: (None, _cp(e)) for i, e in _answers(fv).items()}
    calls = [_verdict_of_calls(monkeypatch, fv, res) for _ in range(3)]
    assert set(calls[0]) & hooked and len(calls[0]) >= len(fv.cases)   # the first: every case judged alone
    assert not set(calls[1]) & hooked and not set(calls[2]) & hooked    # then in bulk
    wrong = dict(res)
    i = next(iter(wrong))
    wrong[i] = (None, tuple(np.asarray(x) * 1.5 + 1.0 for x in wrong[i][1]))
    first = assess.assess(fv, wrong, fast=True)
    assert first.verdict is not Verdict.PASSED and _key(first) == _key(assess.assess(fv, wrong, fast=False))


# --------------------------------------------------------------------------
# value oracles agreeing bit for bit: each case judged once
# --------------------------------------------------------------------------

def _pairs(fv) -> int:
    return sum(len(o.cases) for o in fv.oracles if o.kind == "value")


def test_answer_classes_join_only_answers_equal_bit_for_bit():
    """Two answers of one case share a class iff they are equal bit for bit under one tolerance: one ulp,
    the sign of a zero, the dtype, a list for a tuple, another tolerance each make a class of their own."""
    import dataclasses

    fv = vecfile.read(data.PUBLIC_VECTORS, ["norm.batchnorm_backward"]).formulas["norm.batchnorm_backward"]
    classes = bulk.answer_classes(fv)
    values = [o for o in fv.oracles if o.kind == "value"]
    a, b = values[0], values[1]
    twins = [p for p, i in enumerate(a.cases) if i in b.cases
             and classes[id(a)][p] == classes[id(b)][b.cases.index(i)]]
    assert twins, "the public file's torch and torch.nn.functional answers agree on some cases"
    for p in twins:
        q = b.cases.index(a.cases[p])
        assert bulk._same(a.expected[p], b.expected[q])
    p = twins[0]
    e = a.expected[p]
    x = np.asarray(e[0])
    variants = {
        "one ulp": (np.nextafter(x, np.inf),) + tuple(e[1:]),
        "float32": (x.astype(np.float32),) + tuple(e[1:]),
        "a list": list(e),
        "negated": (-x,) + tuple(e[1:]),
    }
    # the sign of a zero, the bytes of a float
    assert not bulk._same(np.array([0.0, 1.0]), np.array([-0.0, 1.0])) and not bulk._same(0.0, -0.0)
    assert bulk._same(np.array([0.0, 1.0]), np.array([0.0, 1.0])) and bulk._same(float("nan"), float("nan"))
    for why, v in variants.items():
        other = dataclasses.replace(b, name="twin", cases=[a.cases[p]], expected=[v])
        f2 = dataclasses.replace(fv, oracles=[a, other])
        c = bulk.answer_classes(f2)
        assert c[id(other)][0] != c[id(a)][p], why
    same = dataclasses.replace(b, name="twin", cases=[a.cases[p]], expected=[_cp(e)])
    looser = dataclasses.replace(same, name="looser", tol=Tol(atol=1.0, rtol=1.0))
    c = bulk.answer_classes(dataclasses.replace(fv, oracles=[a, same, looser]))
    assert c[id(same)][0] == c[id(a)][p] and c[id(looser)][0] != c[id(a)][p]


@pytest.mark.parametrize("lazy", [True, False])
def test_a_case_is_judged_once_per_class_with_the_same_assessment(monkeypatch, lazy):
    """On its first submission (case by case) the formula's verdict_of calls are one per (case, class), fewer
    than its (case, value oracle) pairs; right and wrong results give the assessment of one verdict_of per
    pair (fast=False)."""
    monkeypatch.setattr(bulk, "LAZY", lazy)
    fid = "norm.batchnorm_backward"
    fv = vecfile.read(data.PUBLIC_VECTORS, [fid]).formulas[fid]   # oracles of its own: no plan yet
    classes = bulk.answer_classes(fv)
    distinct = len({(i, c) for o in fv.oracles if o.kind == "value" for i, c in zip(o.cases, classes[id(o)])})
    assert distinct < _pairs(fv)
    res = {i: (None, _cp(e)) for i, e in _answers(fv).items()}
    calls = _verdict_of_calls(monkeypatch, fv, res)
    values = {o.name for o in fv.oracles if o.kind == "value"}
    if lazy:
        assert len([c for c in calls if c in values]) == distinct
    assert _both(fv, res).verdict is Verdict.PASSED
    for k in (0, 1, len(res) // 2):
        wrong = dict(res)
        i = sorted(wrong)[k]
        wrong[i] = (None, tuple(np.asarray(x) * 1.5 + 1.0 for x in wrong[i][1]))
        a = _both(fv, wrong)
        assert a.verdict is not Verdict.PASSED and a.failing == [i]
