"""Recurrent nets beyond the per-formula oracles: the notes' gradient properties and conventions.

- RNN (notes 002 §3 "rnn 导致的梯度消失/爆炸: 最后层对输入层的导数, 是每一层雅克比矩阵连乘",
  001 A6.4 "∏ ∂h^(k)/∂h^(k−1)"): the product of step Jacobians is the Jacobian of h_T
  w.r.t. h_0, and its norm is at most (‖W1‖₂ · max f′)^T.
- LSTM (notes 001 A6.3): the four-term ∂C^(k)/∂C^(k−1) derived by SymPy equals the
  notes' expression and the reference; with f = 1, i = 0 (saturated gates)
  dC_T/dC_0 is the identity -- the constant error path; with the h-columns of W
  zero it is diag(f^(1) ⋯ f^(T)) exactly ("(f^(k) f^(k+1) … f^(T)) + other").
- GRU (notes 002 §1) vs torch.nn.GRUCell: they disagree in general; under the mapping
  z ← −(update weights) they agree exactly when r⊙(W_h h) = W_h(r⊙h).
- Bad input to the reference gives a clear ValueError.

Every Hypothesis test here is derandomized (deterministic).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference.gru as G
import reference.lstm as L
import reference.rnn as R
from checks.formulas.gru import KEYS, R_OPEN, torch_gru_cell
from checks.strategies import array
from checks.oracles.torchlib import N, T, torch

DET = settings(max_examples=40, derandomize=True, deadline=None, database=None)


def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# ============================================================== RNN: products of step Jacobians


@st.composite
def rnn_sequence(draw):
    t, n, h, d = (draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = draw(st.sampled_from([0.1, 0.5, 1.0, 3.0, 8.0]))  # contracting ... saturating weights
    return (draw(array((t, n, d), -3, 3)), draw(array((n, h), -1, 1)), draw(array((h, h), -s, s)),
            draw(array((h, d), -s, s)), draw(array((h,), -s, s)))


def _jacobian_product(x, h0, W1, W2, b2):
    """P[n] = J_T[n] ⋯ J_1[n] (numerator layout chains left) and the f′ of every step."""
    Tn, Nn, _ = x.shape
    K = 1
    h, _ = R.rnn_forward(x, h0, W1, W2, b2, np.zeros((K, W1.shape[0])), np.zeros(K))
    P = np.broadcast_to(np.eye(W1.shape[0]), (Nn,) + W1.shape).copy()
    prev = h0
    for t in range(Tn):
        P = R.rnn_step_jacobian(x[t], prev, W1, W2, b2) @ P
        prev = h[t]
    return P, 1.0 - h ** 2  # f′(z_t) = 1 − tanh² = 1 − h_t²


@DET
@given(rnn_sequence())
def test_rnn_jacobian_product_is_dhT_dh0(args):
    """Chaining rnn_step_jacobian gives ∂h_T/∂h_0 (autograd of the unrolled net)."""
    x, h0, W1, W2, b2 = args
    P, _ = _jacobian_product(*args)
    tc = torch()
    xt, W1t, W2t, b2t = T(x), T(W1), T(W2), T(b2)

    def hT(h):
        for t in range(x.shape[0]):
            h = tc.tanh(h @ W1t.T + xt[t] @ W2t.T + b2t)
        return h

    J = N(tc.autograd.functional.jacobian(hT, T(h0)))
    np.testing.assert_allclose(P, np.einsum("ninj->nij", J), rtol=1e-9, atol=1e-12)


@DET
@given(rnn_sequence())
def test_rnn_jacobian_product_norm_bound(args):
    """‖∏_t ∂h_t/∂h_{t−1}‖₂ ≤ ∏_t ‖W1‖₂ max_i f′_t ≤ (‖W1‖₂ · max f′)^T (notes 002 §3, 001 A6.4)."""
    x, h0, W1, W2, b2 = args
    P, fp = _jacobian_product(*args)
    w = np.linalg.norm(W1, 2)
    Tn = x.shape[0]
    for n in range(x.shape[1]):
        norm = np.linalg.norm(P[n], 2)
        per_step = np.prod([w * fp[t, n].max() for t in range(Tn)])
        assert norm <= per_step * (1 + 1e-9) + 1e-300
        assert per_step <= (w * fp[:, n].max()) ** Tn * (1 + 1e-9) + 1e-300
        assert norm <= w ** Tn * (1 + 1e-9) + 1e-300  # tanh′ <= 1


def test_rnn_jacobian_bound_is_attained_by_a_linear_regime():
    """The bound is tight: W1 = a·I, W2 = b2 = 0, h0 = 0 gives J_t = a·I (f′ = 1 at z = 0)."""
    a, Tn, H = 0.7, 4, 3
    x = np.random.default_rng(0).normal(size=(Tn, 2, 1))
    P, fp = _jacobian_product(x, np.zeros((2, H)), a * np.eye(H), np.zeros((H, 1)), np.zeros(H))
    assert np.all(fp == 1.0)
    np.testing.assert_allclose(np.linalg.norm(P[0], 2), a ** Tn, rtol=1e-12)


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


# ============================================================== GRU: the notes vs torch.nn.GRUCell


def _params(rng, H, D, scale=1.0):
    shapes = {"W": (H, H), "U": (H, D), "b": (H,)}
    return {k: rng.normal(scale=scale, size=shapes[k[0]]) for k in KEYS}


def _torch_gru(x, h, p):
    return N(torch_gru_cell(p, x.shape[1])(T(x), T(h)))


def _torch_gru_unmapped(x, h, p):
    """nn.GRUCell loaded naively: z ← (Uu, Wu, bu) as if z were the notes' u."""
    tc = torch()
    H, D = h.shape[1], x.shape[1]
    m = tc.nn.GRUCell(D, H)
    with tc.no_grad():
        m.weight_ih.copy_(T(np.concatenate([p["Ur"], p["Uu"], p["Uh"]])))
        m.weight_hh.copy_(T(np.concatenate([p["Wr"], p["Wu"], p["Wh"]])))
        m.bias_ih.copy_(T(np.concatenate([p["br"], p["bu"], p["bh"]])))
        m.bias_hh.zero_()
    return N(m(T(x), T(h)))


def test_gru_differs_from_torch_grucell_in_general():
    """Reset placement: the notes' W_h(r⊙h) vs torch's r⊙(W_hn h). Even with the update gate mapped
    (z = 1 − u) the cells differ once H >= 2 and r varies across units."""
    rng = np.random.default_rng(0)
    x, h, p = rng.normal(size=(3, 2)), rng.uniform(-1, 1, (3, 3)), _params(rng, 3, 2, scale=1.5)
    assert np.abs(G.gru_cell(x, h, p) - _torch_gru(x, h, p)).max() > 1e-2


def test_gru_update_gate_is_swapped_in_torch():
    """torch weights the OLD state by z (h' = (1 − z)n + z h), the notes the NEW one by u: loading u's
    weights into z unchanged is wrong even where the reset cannot matter (r ≡ 1) ..."""
    rng = np.random.default_rng(1)
    x, h, p = rng.normal(size=(3, 2)), rng.uniform(-1, 1, (3, 3)), _params(rng, 3, 2)
    p["Wr"], p["Ur"], p["br"] = np.zeros((3, 3)), np.zeros((3, 2)), np.full(3, R_OPEN)
    assert np.abs(G.gru_cell(x, h, p) - _torch_gru_unmapped(x, h, p)).max() > 1e-2
    # ... while z ← −(Uu, Wu, bu) gives z = σ(−a_u) = 1 − u and the cells agree
    np.testing.assert_allclose(G.gru_cell(x, h, p), _torch_gru(x, h, p), rtol=1e-12, atol=1e-14)
    a = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(_sig(-a), 1.0 - _sig(a), rtol=0, atol=1e-15)


@st.composite
def gru_agreeing(draw):
    """Parameters where r⊙(W_h h) = W_h(r⊙h): r ≡ 1 (reset saturated open), W_h = 0, W_h diagonal, or H = 1."""
    kind = draw(st.sampled_from(["reset-open", "Wh=0", "Wh-diagonal", "H=1"]))
    n, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = 1 if kind == "H=1" else draw(st.integers(1, 3))
    shapes = {"W": (h, h), "U": (h, d), "b": (h,)}
    p = {k: draw(array(shapes[k[0]], -3, 3)) for k in KEYS}
    if kind == "reset-open":
        p["Wr"], p["Ur"], p["br"] = np.zeros((h, h)), np.zeros((h, d)), np.full(h, R_OPEN)
    elif kind == "Wh=0":
        p["Wh"] = np.zeros((h, h))
    elif kind == "Wh-diagonal":
        p["Wh"] = np.diag(np.diag(p["Wh"]))
    return kind, draw(array((n, d), -3, 3)), draw(array((n, h), -1, 1)), p


@DET
@given(gru_agreeing())
def test_gru_equals_torch_grucell_where_reset_placement_cannot_matter(case):
    """The mapping r ← (Ur, Wr, br), z ← −(Uu, Wu, bu), n ← (Uh, Wh, bh), bias_hh = 0 makes
    nn.GRUCell compute the notes' cell whenever r⊙(W_h h) = W_h(r⊙h)."""
    _, x, h, p = case
    np.testing.assert_allclose(G.gru_cell(x, h, p), _torch_gru(x, h, p), rtol=1e-10, atol=1e-13)


def test_gru_backward_matches_torch_grucell_with_reset_open():
    """Gradients too, mapped back (dUu = −∇weight_iz, ...), when r ≡ 1."""
    rng = np.random.default_rng(5)
    H, D = 3, 2
    x, h, p, dh = rng.normal(size=(2, D)), rng.uniform(-1, 1, (2, H)), _params(rng, H, D), rng.normal(size=(2, H))
    p["Wr"], p["Ur"], p["br"] = np.zeros((H, H)), np.zeros((H, D)), np.full(H, R_OPEN)
    m = torch_gru_cell(p, D)
    xt, ht = T(x, grad=True), T(h, grad=True)
    (m(xt, ht) * T(dh)).sum().backward()
    dx, dhp, dp = G.gru_cell_backward(x, h, p, dh)
    np.testing.assert_allclose(dx, N(xt.grad), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dhp, N(ht.grad), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dp["Wu"], -N(m.weight_hh.grad)[H:2 * H], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dp["Wh"], N(m.weight_hh.grad)[2 * H:], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dp["Uh"], N(m.weight_ih.grad)[2 * H:], rtol=1e-10, atol=1e-13)


# ============================================================== clear errors on bad input


def test_reference_rejects_bad_shapes_clearly():
    x, h0 = np.zeros((2, 1, 3)), np.zeros((1, 2))
    with pytest.raises(ValueError, match=r"W1 must have shape \(2, 2\)"):
        R.rnn_forward(x, h0, np.zeros((3, 3)), np.zeros((2, 3)), np.zeros(2), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="labels must be integers"):
        R.rnn_bptt(x, np.full((2, 1), 5), h0, np.zeros((2, 2)), np.zeros((2, 3)), np.zeros(2), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"W must have shape \(8, 5\)"):
        L.lstm_cell(np.zeros((1, 3)), np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((8, 4)), np.zeros(8))
    with pytest.raises(ValueError, match="missing key"):
        G.gru_cell(np.zeros((1, 1)), np.zeros((1, 1)), {"Wu": np.zeros((1, 1))})


# ============================================================== the strategies draw the hard regimes



@pytest.mark.parametrize(
    "formula_id, regime",
    [
        ("rnn.rnn_bptt", lambda c: c.args[0].shape[:2] == (1, 1) and c.args[2].shape[1] == 1),  # T = N = H = 1
        ("rnn.rnn_forward", lambda c: np.abs(c.args[1] @ c.args[2].T + c.args[0][0] @ c.args[3].T + c.args[4]).max() > 20),
        ("lstm.lstm_bptt", lambda c: c.args[0].shape[0] == 1 and c.args[1].shape == (1, 1)),
        ("lstm.lstm_cell", lambda c: np.abs(np.concatenate([c.args[1], c.args[0]], 1) @ c.args[3].T + c.args[4]).max() > 20),
        ("lstm.lstm_cell_state_jacobian", lambda c: c.args[1].shape[1] >= 2 and c.args[0].shape[0] >= 2),
        ("gru.gru_cell", lambda c: np.abs(c.args[1] @ c.args[2]["Wu"].T + c.args[0] @ c.args[2]["Uu"].T + c.args[2]["bu"]).max() > 20),
        ("gru.gru_cell_backward", lambda c: c.args[1].shape[1] >= 2),  # H >= 2: reset placement matters
    ],
)
def test_hard_regimes_are_drawn(formula_id, regime):
    """Size-1 axes and saturating pre-activations (|a| > 20: σ′, tanh′ < 1e-8) are drawn on purpose."""
    from checks import registry

    hits = []

    @settings(max_examples=100, derandomize=True, database=None, deadline=None)
    @given(registry.get(formula_id).strategy())
    def collect(case):
        hits.append(bool(regime(case)))

    collect()
    assert any(hits), f"{formula_id}: the regime never came up in {len(hits)} draws"
