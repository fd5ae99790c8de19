"""LSTM beyond the per-formula oracles: the notes' gradient properties.

Notes 001 A6.3: the four-term ∂C^(k)/∂C^(k−1) derived by SymPy equals the notes' expression and the
reference; with f = 1, i = 0 (saturated gates) dC_T/dC_0 is the identity -- the constant error path;
with the h-columns of W zero it is diag(f^(1) ⋯ f^(T)) exactly ("(f^(k) f^(k+1) … f^(T)) + other").
Bad input to the reference gives a clear ValueError. Every Hypothesis test here is derandomized.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference.lstm as L
from checks.oracles.torchlib import N, T, torch
from checks.strategies import array
from tests.groups._regimes import assert_regime_drawn

DET = settings(max_examples=40, derandomize=True, deadline=None, database=None)  # deterministic


def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# ============================================================== LSTM: the notes' four terms (SymPy)


def _sympy_state_jacobian_vs_notes():
    """Scalar cell (H = D = 1): sympy.diff(C_t, C_prev) through h_prev = o_prev tanh(C_prev), and the
    notes' four terms written with the same symbols; both lambdified."""
    import sympy

    x, c, op = sympy.symbols("x c o_prev", real=True)
    W = sympy.symbols("Wi_h Wi_x Wf_h Wf_x Wg_h Wg_x Wo_h Wo_x", real=True)
    b = sympy.symbols("bi bf bg bo", real=True)
    sig = lambda a: 1 / (1 + sympy.exp(-a))  # noqa: E731
    h = op * sympy.tanh(c)
    a = [W[2 * k] * h + W[2 * k + 1] * x + b[k] for k in range(4)]
    i, f, g = sig(a[0]), sig(a[1]), sympy.tanh(a[2])
    C = f * c + i * g
    derived = sympy.diff(C, c)
    dsig = lambda s: s * (1 - s)  # noqa: E731   σ′ = σ(1 − σ)
    dtanh = lambda t: 1 - t ** 2  # noqa: E731   tanh′ = 1 − tanh²
    o_tanhp = op * dtanh(sympy.tanh(c))  # o^(k−1) tanh′(C^(k−1))
    notes = (c * dsig(f) * W[2] * o_tanhp     # C^(k−1) σ′(·) W_f o^(k−1) tanh′(C^(k−1))
             + g * dsig(i) * W[0] * o_tanhp   # + a^(k) σ′(·) W_i o^(k−1) tanh′(C^(k−1))   (a = C̃)
             + i * dtanh(g) * W[4] * o_tanhp  # + i^(k) tanh′(·) W_c o^(k−1) tanh′(C^(k−1))
             + f)                             # + f
    args = [x, c, op, *W, *b]
    return sympy.lambdify(args, derived, modules="numpy", cse=True), sympy.lambdify(args, notes, modules="numpy", cse=True)


def test_lstm_state_jacobian_sympy_equals_notes_four_terms_and_reference():
    derived, notes = _sympy_state_jacobian_vs_notes()
    rng = np.random.default_rng(2024)
    for _ in range(25):
        x, c = rng.uniform(-3, 3), rng.uniform(-3, 3)
        op = rng.uniform(0, 1)
        W, b = rng.uniform(-2, 2, size=8), rng.uniform(-2, 2, size=4)
        d, n4 = derived(x, c, op, *W, *b), notes(x, c, op, *W, *b)
        np.testing.assert_allclose(d, n4, rtol=1e-12, atol=1e-15)
        Wm = W.reshape(4, 2)  # rows i, f, g, o; columns [h, x]
        J = L.lstm_cell_state_jacobian(np.array([[x]]), np.array([[c]]), np.array([[op]]), Wm, b)
        np.testing.assert_allclose(J[0, 0, 0], d, rtol=1e-12, atol=1e-15)


def test_lstm_state_jacobian_differs_from_diag_f():
    """The three gate terms are not negligible in general: J ≠ diag(f) (what 'only the f path' would give)."""
    rng = np.random.default_rng(7)
    H, D = 3, 2
    x, c, op = rng.normal(size=(1, D)), rng.normal(size=(1, H)), rng.uniform(0.5, 1, size=(1, H))
    W, b = rng.normal(size=(4 * H, H + D)), rng.normal(size=4 * H)
    J = L.lstm_cell_state_jacobian(x, c, op, W, b)[0]
    f = _sig((W @ np.concatenate([op[0] * np.tanh(c[0]), x[0]]) + b)[H:2 * H])
    assert np.abs(J - np.diag(f)).max() > 1e-2


# ============================================================== LSTM: the constant error path


@st.composite
def lstm_sequence(draw, saturate=True, h_free=False):
    t, n, h, d = (draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    W = draw(array((4 * h, h + d), -2, 2))
    b = draw(array((4 * h,), -2, 2))
    if saturate:
        # |W·[h, x]| <= 2 (H + D) <= 12 with |h|, |x| <= 1: f's pre-activation >= 48, so f == 1.0
        # exactly in float64, σ′_f == 0, and i = σ(<= −48) < 1e-20.
        b[h:2 * h], b[:h] = 60.0, -60.0
    if h_free:
        W[:, :h] = 0.0
    return (draw(array((t, n, d), -1, 1)), draw(array((n, h), -3, 3)), draw(array((n, h), 0, 1)), W, b)


def _state_jacobian_chain(x, c0, o0, W, b):
    """∏_k ∂C^(k)/∂C^(k−1) along a trajectory (each o^(k−1) from the step before), and the f's."""
    H = c0.shape[1]
    P = np.broadcast_to(np.eye(H), (c0.shape[0], H, H)).copy()
    c, o, fs = c0, o0, []
    for t in range(x.shape[0]):
        P = L.lstm_cell_state_jacobian(x[t], c, o, W, b) @ P
        h = o * np.tanh(c)
        a = np.concatenate([h, x[t]], axis=1) @ W.T + b
        fs.append(_sig(a[:, H:2 * H]))
        o = _sig(a[:, 3 * H:])
        _, c = L.lstm_cell(x[t], h, c, W, b)
    return P, np.stack(fs), c


@DET
@given(lstm_sequence(saturate=True))
def test_lstm_saturated_gates_give_the_identity(args):
    """f = 1, i = 0: dC_T/dC_0 = I for every T (notes 001 A6.3: "遗忘门会保持 1 ... 长期记忆")."""
    x, c0, o0, W, b = args
    P, fs, cT = _state_jacobian_chain(x, c0, o0, W, b)
    assert np.all(fs == 1.0)
    np.testing.assert_allclose(P, np.broadcast_to(np.eye(c0.shape[1]), P.shape), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cT, c0, rtol=0, atol=1e-12)  # the cell state is carried unchanged


@DET
@given(lstm_sequence(saturate=False, h_free=True))
def test_lstm_without_h_paths_is_the_product_of_forget_gates(args):
    """W's h-columns zero: dC_T/dC_0 = diag(f^(1) ⋯ f^(T)) exactly -- the notes' "+ other" vanishes --
    and it is the full derivative (torch autograd of the unrolled C_T w.r.t. C_0)."""
    x, c0, o0, W, b = args
    P, fs, _ = _state_jacobian_chain(x, c0, o0, W, b)
    prod_f = fs.prod(axis=0)
    np.testing.assert_allclose(P, np.stack([np.diag(r) for r in prod_f]), rtol=1e-12, atol=1e-15)
    tc = torch()
    H = c0.shape[1]
    xt, Wt, bt = T(x), T(W), T(b)

    def cT(c):
        h = T(o0) * tc.tanh(c)
        for t in range(x.shape[0]):
            a = tc.cat([h, xt[t]], dim=1) @ Wt.T + bt
            i, f, g, o = a.split(H, dim=1)
            c = tc.sigmoid(f) * c + tc.sigmoid(i) * tc.tanh(g)
            h = tc.sigmoid(o) * tc.tanh(c)
        return c

    J = N(tc.autograd.functional.jacobian(cT, T(c0)))
    np.testing.assert_allclose(P, np.einsum("ninj->nij", J), rtol=1e-9, atol=1e-14)


def test_lstm_unsaturated_chain_is_not_the_identity():
    """Without saturation the product decays (the property above is not vacuous)."""
    rng = np.random.default_rng(3)
    x, c0, o0 = rng.uniform(-1, 1, (4, 1, 2)), rng.uniform(-1, 1, (1, 2)), rng.uniform(0, 1, (1, 2))
    W, b = rng.uniform(-1, 1, (8, 4)), np.zeros(8)
    P, _, _ = _state_jacobian_chain(x, c0, o0, W, b)
    assert np.abs(P[0] - np.eye(2)).max() > 0.3


# ============================================================== clear errors on bad input


def test_reference_rejects_bad_shapes_clearly():
    with pytest.raises(ValueError, match=r"W must have shape \(8, 5\)"):
        L.lstm_cell(np.zeros((1, 3)), np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((8, 4)), np.zeros(8))


# ============================================================== the strategies draw the hard regimes


@pytest.mark.parametrize(
    "formula_id, regime",
    [
        ("lstm.lstm_bptt", lambda c: c.args[0].shape[0] == 1 and c.args[1].shape == (1, 1)),
        ("lstm.lstm_cell", lambda c: np.abs(np.concatenate([c.args[1], c.args[0]], 1) @ c.args[3].T + c.args[4]).max() > 20),
        ("lstm.lstm_cell_state_jacobian", lambda c: c.args[1].shape[1] >= 2 and c.args[0].shape[0] >= 2),
    ],
)
def test_hard_regimes_are_drawn(formula_id, regime):
    """Size-1 axes and saturating pre-activations (|a| > 20: σ′, tanh′ < 1e-8) are drawn on purpose."""
    assert_regime_drawn(formula_id, regime)
