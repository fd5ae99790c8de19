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
