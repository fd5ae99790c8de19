"""Short twins (checks/run/short.py): rounded as specified, kept only when valid, met before their
source, shown by the feedback when the bug shows on them, and checked by ``vectors check`` like any case."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from checks import __version__, registry
from checks.core import gradfns, vecfile
from checks.core.case import Case
from checks.core.compare import Tol
from checks.mistakes import all_entries
from checks.registry import Formula, Oracle, Source
from checks.run import short, vectors
from checks.run.check import check_vectors, local_caller


def _mistake(formula: str, name: str):
    return next(m for m in all_entries() if m.formula == formula and m.name == name)


# ---------------------------------------------------------------- rounding


def test_truncate_toward_zero_to_few_significant_digits():
    assert short.truncate(0.7318293710293847, 1) == 0.7
    assert short.truncate(0.7318293710293847, 2) == 0.73
    assert short.truncate(-1.4602349e-105, 1) == -1e-105
    assert short.truncate(0.99999999, 1) == 0.9  # toward zero: a (0, 1) parameter never becomes 1.0
    assert short.truncate(-9995.443660983692, 2) == -9900.0
    # already at most KEEP (3) significant digits: kept (regime constants, dyadic ties)
    for v in (0.25, -1.6, 0.999, 1e-8, 40.0, 0.0, -0.0):
        assert short.truncate(v, 1) == v and str(short.truncate(v, 1)) == str(v)
    assert [short.sig_digits(v) for v in (0.25, 10000.0, 1e-8, 0.7318)] == [2, 1, 1, 4]


def test_a_twin_changes_floats_only():
    x = np.array([[-1.4602349e-105, 0.7318293710293847]])
    idx = np.array([3, 1], dtype=np.int64)
    mask = np.array([True, False])
    q = gradfns.QuadraticGrad(A=np.array([[2.123456789]]), b=np.array([-0.333333333333]))
    c = Case((x, idx, 7, True, [np.array(3.14159265), 0.123456789], q), {"mask": mask, "eps": 1e-05})
    t = short.twin_of(c, 1, flush=True)
    assert np.array_equal(t.args[0], [[0.0, 0.7]]) and t.args[0].dtype == np.float64  # flushed: 1e-105 << 0.73
    assert np.array_equal(short.twin_of(c, 1, flush=False).args[0], [[-1e-105, 0.7]])
    assert short.twin_of(c, 2, flush=False).args[0].tolist() == [[-1.4e-105, 0.73]]
    assert t.args[1] is idx and t.args[2] == 7 and t.args[3] is True and t.kwargs["mask"] is mask
    assert t.args[4][0].shape == () and float(t.args[4][0]) == 3.0 and t.args[4][1] == 0.1
    assert isinstance(t.args[5], gradfns.QuadraticGrad) and t.args[5].A.tolist() == [[2.0]] and t.args[5].b.tolist() == [-0.3]
    assert t.kwargs["eps"] == 1e-05
    assert x.tolist() == [[-1.4602349e-105, 0.7318293710293847]], "the source is not modified"
    # truncation never increases a magnitude: the twin's (size, magnitude) is at most the source's
    assert vecfile.size_of(t) <= vecfile.size_of(c) and vecfile.size_of(t)[0] == vecfile.size_of(c)[0]
    reprs = [k.call_repr("f") for k in short.candidates(c)]
    assert len(reprs) == len(set(reprs)) == 4 and c.call_repr("f") not in reprs
    assert short.candidates(Case((np.array([0.5, -2.0]), 3))) == [], "nothing long: no twin"


def test_max_digits_reads_numbers_not_names():
    assert short.max_digits("f(np.array([0.7, -1e-105], dtype=np.float64), {'W1': np.array([[0.25]])}, 10000.0)") == 2
    assert short.max_digits("f(np.array([[0.7318293710293847]]))") == 16


# ---------------------------------------------------------------- validity: invalid twins are dropped


def _entropy(p):
    """-sum p log p of a probability vector (the contract: p sums to 1)."""
    if abs(float(np.sum(p)) - 1.0) > 1e-12:
        raise ValueError(f"p must sum to 1, got {np.sum(p)!r}")
    return float(-np.sum(p * np.log(p)))


def _entropy_renormalised(p):
    p = p / p.sum()
    return float(-np.sum(p * np.log(p)))


def _formula(reference, oracle):
    return Formula(id="probe.entropy", source=Source("probe", "test"), reference=reference, strategy=lambda: None,
                   outputs=("h",), oracles=(Oracle("oracle", oracle),), tol=Tol())


def test_a_twin_that_breaks_a_constraint_the_oracles_see_is_dropped():
    p = np.array([1 / 3, 2 / 3])  # sums to 1; truncated: [0.3, 0.6] and [0.33, 0.66] do not
    st = short.Stats()
    fv = vectors.from_cases(_formula(_entropy, _entropy), [Case((p,))], short_twins=True, stats=st)
    assert len(fv.cases) == 1 and st.tried == 1 and st.kept == 0 and st.drops == {"error": 1}, st
    # the reference accepts the twin but disagrees with an oracle: dropped too
    st = short.Stats()
    fv = vectors.from_cases(_formula(_entropy_renormalised, _entropy_renormalised), [Case((p,))],
                            short_twins=True, stats=st)
    assert len(fv.cases) == 2 and st.kept == 1, "renormalised both ways: the twin is valid"
    ref = _formula(lambda p: float(-np.sum(p * np.log(p))), _entropy_renormalised)
    st = short.Stats()
    fv = vectors.from_cases(ref, [Case((p,))], short_twins=True, stats=st)
    assert len(fv.cases) == 1 and st.drops == {"disagree": 1}, st


def test_a_twin_that_breaks_a_strategy_constraint_is_dropped():
    # highway's strategy keeps every pre-activation x·WH_j + bH_j at least 1e-6 off relu's kink;
    # here it is -1.23e-5 and the truncated bH (-1.0) puts it exactly on the kink
    f = registry.get("residual.highway")
    case = Case((np.array([[1.0]]), np.array([[1.0]]), np.array([-1.0000123]), np.array([[0.5]]), np.array([0.25])))
    st = short.Stats()
    fv = vectors.from_cases(f, [case], short_twins=True, stats=st)
    assert len(fv.cases) == 1 and st.drops == {"constraint": 1}, st
    off = Case((np.array([[1.0]]), np.array([[1.0]]), np.array([-2.0000123]), np.array([[0.5]]), np.array([0.25])))
    st = short.Stats()
    fv = vectors.from_cases(f, [off], short_twins=True, stats=st)
    assert st.kept == 1 and fv.cases[0].args[2].tolist() == [-2.0]


# ---------------------------------------------------------------- order and feedback


def test_twins_come_before_their_source_and_sizes_stay_sorted(monkeypatch):
    monkeypatch.setattr(short, "SHARE", 1.0)  # every input with a long number gets a twin
    f = registry.get("activations.sigmoid")
    cases = [Case((np.array([0.96, -2.7182818284590455]),)), Case((np.array(0.5123456789),)),
             Case((np.array([1.0, -2.0]),))]
    fv = vectors.from_cases(f, cases, short_twins=True)
    calls = [c.call_repr("sigmoid") for c in fv.cases]
    # (size, magnitude) order; a twin's is at most its source's, and at equal (size, magnitude) a twin
    # comes first: [0.96, -2.0] (2, 2.0) before the drawn [1.0, -2.0] (2, 2.0) and its source (2, 2.72)
    assert calls == ["sigmoid(np.array(0.5, dtype=np.float64))", "sigmoid(np.array(0.5123456789, dtype=np.float64))",
                     "sigmoid(np.array([0.96, -2.0]))", "sigmoid(np.array([1.0, -2.0]))",
                     "sigmoid(np.array([0.96, -2.7182818284590455]))"], calls
    assert fv.sizes == sorted(fv.sizes)
    for ov in fv.oracles:  # the twins are judged by their source's oracles, with their own answers
        assert ov.cases == list(range(5)) and len(ov.expected) == 5
    assert fv.oracles[0].expected[0] == pytest.approx(1 / (1 + np.exp(-0.5)), rel=1e-15)
    monkeypatch.setattr(short, "SHARE", 0.1)
    assert len(vectors.from_cases(f, cases, short_twins=True).cases) == 4, "at least one twin, at most the share"


def test_the_feedback_shows_the_short_twin_when_the_bug_shows_on_it():
    m = _mistake("activations.relu_backward", "masks by dy > 0 instead of x > 0")
    f = registry.get(m.formula)
    case = Case((np.array(-0.7797196677755451), np.array(2.002279766460278)))
    call = local_caller(m.fn, f.fn_name)
    plain = check_vectors(vectors.from_cases(f, [case]), call)
    assert plain.call == case.call_repr(f.fn_name)
    fv = vectors.from_cases(f, [case], short_twins=True)
    res = check_vectors(fv, call)
    assert not res.passed and res.call == "relu_backward(np.array(-0.7, dtype=np.float64), np.array(2.0, dtype=np.float64))"
    assert f"Smallest failing input:\n    {res.call}" in res.message and "Failing inputs: 2 of 2" in res.message
    assert check_vectors(fv, local_caller(f.reference, f.fn_name)).passed


def test_formula_vectors_twins_the_smallest_inputs_within_the_share():
    f = registry.get("activations.relu_backward")
    st = short.Stats()
    fv = vectors.formula_vectors(f, 30, 20260611, "grade", stats=st)
    plain = vectors.formula_vectors(f, 30, 20260611, "grade", short_twins=False)
    drawn = {c.call_repr("f") for c in plain.cases}
    twins = [i for i, c in enumerate(fv.cases) if c.call_repr("f") not in drawn]
    assert len(fv.cases) == len(plain.cases) + st.kept and len(twins) == st.kept >= 1
    assert st.kept <= max(1, round(short.SHARE * len(plain.cases)))
    assert fv.sizes == sorted(fv.sizes)
    # the mistake's first failure: as short as the twins allow, never later than without twins
    m = _mistake(f.id, "masks by dy > 0 instead of x > 0")
    a = check_vectors(fv, local_caller(m.fn, f.fn_name))
    b = check_vectors(plain, local_caller(m.fn, f.fn_name))
    assert not a.passed and not b.passed
    assert vecfile.size_of(fv.cases[[c.call_repr(f.fn_name) for c in fv.cases].index(a.call)]) <= \
        vecfile.size_of(plain.cases[[c.call_repr(f.fn_name) for c in plain.cases].index(b.call)])


# ---------------------------------------------------------------- vectors check


@pytest.fixture
def twin_file(tmp_path):
    f = registry.get("activations.sigmoid")
    fv = vectors.from_cases(f, [Case((np.array([0.7318293710293847, -3.14159265]),))], ["torch", "sympy"],
                            short_twins=True)
    assert len(fv.cases) == 2 and fv.cases[0].args[0].tolist() == [0.7, -3.0]
    path = tmp_path / "twins.zip"
    vecfile.write(str(path), {"formulacheck": __version__, "profile": "given", "visibility": "hidden",
                              "seed": "hidden"}, [fv])
    return path, f


def test_vectors_check_recomputes_the_twins_answers(twin_file, tmp_path):
    path, f = twin_file
    rep = vectors.check(str(path), [f.id])
    assert rep.ok and rep.answers == 4 and rep.identical == 4, rep
    # a twin's stored answer, tampered: check names it
    doc = json.loads(zipfile.ZipFile(path).read(f"formulas/{f.id}.json"))
    bad = tmp_path / "bad.zip"
    v = vecfile.read(str(path))
    fv = v.formulas[f.id]
    fv.oracles[0].expected[0] = fv.oracles[0].expected[0] + 1e-3
    vecfile.write(str(bad), v.manifest, [fv])
    rep = vectors.check(str(bad), [f.id])
    assert not rep.ok and len(rep.wrong) == 1 and "case 0" in rep.wrong[0], rep.wrong
    assert doc["cases"][0]["size"] == 2
