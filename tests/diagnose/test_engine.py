"""The diagnosis engine: generic relations, the text, the limits (short lists, budget, errors), no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import reference as R
from checks.diagnose import MAX_LISTED, Diagnosis, diagnose
from checks.diagnose.inprocess import judge_all
from checks.mistakes import Mistake
from tests.diagnose.conftest import public_vectors


def _diag(formula, fn, **kw):
    fv = public_vectors()[formula]
    actual, failing, passing = judge_all(fv, fn)
    assert failing, "the wrong implementation must fail"
    return diagnose(fv, actual, failing, passing, **kw)


def test_factor_two_and_sign_without_a_library_entry():
    d = _diag("activations.sigmoid_backward", lambda x, dy: 2 * R.sigmoid_backward(x, dy))
    assert d.ids == ("generic:factor-2",) and d.text.startswith("Likely mistake: dx is exactly twice")
    d = _diag("activations.tanh_backward", lambda x, dy: -R.tanh_backward(x, dy))
    assert d.ids == ("generic:sign",)


def test_factor_n_is_named_by_the_input_size():
    def dE_times_L(indices, dy, V):
        return R.embedding_backward(indices, dy, V) * np.shape(indices)[1]
    d = _diag("embedding.embedding_backward", dE_times_L)
    assert d.ids == ("generic:factor-N",) and "indices.shape[1]" in d.text


def test_transposed_output_even_with_the_wrong_shape():
    def dw_T(x, w, b, dy):
        dx, dw, db = R.conv1x1_backward(x, w, b, dy)
        return dx, dw.T.copy(), db
    d = _diag("conv.conv1x1_backward", dw_T)
    assert d.ids == ("generic:transposed",) and "dw is transposed" in d.text


def test_swapped_outputs():
    def swapped(x, WH, bH, WT, bT, dy):
        dx, dWH, dbH, dWT, dbT = R.highway_backward(x, WH, bH, WT, bT, dy)
        return dx, dWT, dbT, dWH, dbH
    d = _diag("residual.highway_backward", swapped)
    assert d.ids == ("generic:outputs-permuted",) and "dWH holds what belongs in dWT" in d.text


def test_permuted_gate_blocks():
    def gates_fi(x, h_prev, c_prev, W, b, dh, dc):
        dx, dh_prev, dc_prev, dW, db = R.lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc)
        H = h_prev.shape[1]
        perm = np.r_[H:2 * H, 0:H, 2 * H:4 * H]
        return dx, dh_prev, dc_prev, dW[perm], db[perm]
    d = _diag("lstm.lstm_cell_backward", gates_fi)
    assert d.ids == ("generic:blocks-permuted",) and "4 stacked blocks along axis 0" in d.text


def test_an_unrelated_bug_gets_no_diagnosis():
    assert _diag("activations.sigmoid", lambda x: R.sigmoid(x) + 1e-3 * np.sin(np.asarray(x))) is None


def _twins(k):
    out = []
    for j in range(k):
        def f(x, dy):
            return 3 * R.sigmoid_backward(x, dy)
        f.__name__ = f"triple_{j}"
        out.append(Mistake("activations.sigmoid_backward", f"triple {j}", f, f"dx is tripled ({j}).", "look at the factor."))
    return out


def test_one_match_two_matches_and_too_many():
    fv = public_vectors()["activations.sigmoid_backward"]
    actual, failing, passing = judge_all(fv, lambda x, dy: 3 * R.sigmoid_backward(x, dy))
    d = diagnose(fv, actual, failing, passing, mistakes=_twins(1))
    assert d == Diagnosis("Likely mistake: dx is tripled (0).\nHint: look at the factor.", ("activations.sigmoid_backward:triple_0",))
    d = diagnose(fv, actual, failing, passing, mistakes=_twins(2))
    assert d.text.startswith("Likely one of:\n- dx is tripled (0).\n  Hint: look at the factor.\n- dx is tripled (1).")
    assert diagnose(fv, actual, failing, passing, mistakes=_twins(MAX_LISTED + 1)) is None
    # the generic relation is the fallback when no entry matches
    assert diagnose(fv, actual, failing, passing, mistakes=[]).ids == ("generic:factor",)
    assert diagnose(fv, actual, failing, passing, mistakes=[], generic=False) is None


def test_a_mistake_that_raises_is_no_match_and_the_budget_is_kept():
    fv = public_vectors()["activations.sigmoid_backward"]
    actual, failing, passing = judge_all(fv, lambda x, dy: 3 * R.sigmoid_backward(x, dy))

    def boom(x, dy):
        raise ValueError("no")
    bad = Mistake("activations.sigmoid_backward", "boom", boom, "raises.", "none.")
    assert diagnose(fv, actual, failing, passing, mistakes=[bad], generic=False) is None
    assert diagnose(fv, actual, failing, passing, mistakes=_twins(1), budget=0.0) is None


def test_never_on_a_passing_formula_nor_without_results():
    fv = public_vectors()["activations.sigmoid_backward"]
    actual, failing, passing = judge_all(fv, lambda x, dy: 3 * R.sigmoid_backward(x, dy))
    assert diagnose(fv, actual, [], passing + failing) is None
    assert diagnose(fv, {}, failing, passing) is None


def test_diagnosis_imports_no_torch_sympy_or_hypothesis():
    code = r'''
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "sympy", "hypothesis"):
            raise ImportError(name + " is blocked")
sys.meta_path.insert(0, Block())
import reference as R
from checks.core.vecfile import read
from checks.data import PUBLIC_VECTORS
from checks.diagnose import diagnose
from checks.diagnose.inprocess import judge_all
from checks.mistakes import all_entries
assert len(all_entries()) >= 313
fv = read(PUBLIC_VECTORS, ["optim.adam_step"]).formulas["optim.adam_step"]
import checks.mistakes.optim as M
d = diagnose(fv, *judge_all(fv, M.adam_no_bias_correction))
print(d.ids)
assert not any(m.split(".")[0] in ("torch", "sympy", "hypothesis") for m in sys.modules)
'''
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "optim.adam_step:adam_no_bias_correction" in r.stdout
