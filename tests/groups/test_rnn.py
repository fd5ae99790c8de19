"""RNN beyond the per-formula oracles: the notes' gradient properties.

Notes 002 §3 "rnn 导致的梯度消失/爆炸: 最后层对输入层的导数, 是每一层雅克比矩阵连乘", 001 A6.4
"∏ ∂h^(k)/∂h^(k−1)": the product of step Jacobians is the Jacobian of h_T w.r.t. h_0, and its norm
is at most (‖W1‖₂ · max f′)^T. Bad input to the reference gives a clear ValueError.
Every Hypothesis test here is derandomized (deterministic). (LSTM: test_lstm.py, GRU: test_gru.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference.rnn as R
from checks.oracles.torchlib import N, T, torch
from checks.strategies import array
from tests.groups._regimes import assert_regime_drawn

DET = settings(max_examples=40, derandomize=True, deadline=None, database=None)  # deterministic


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


# ============================================================== clear errors on bad input


def test_reference_rejects_bad_shapes_clearly():
    x, h0 = np.zeros((2, 1, 3)), np.zeros((1, 2))
    with pytest.raises(ValueError, match=r"W1 must have shape \(2, 2\)"):
        R.rnn_forward(x, h0, np.zeros((3, 3)), np.zeros((2, 3)), np.zeros(2), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="labels must be integers"):
        R.rnn_bptt(x, np.full((2, 1), 5), h0, np.zeros((2, 2)), np.zeros((2, 3)), np.zeros(2), np.zeros((2, 2)), np.zeros(2))


# ============================================================== the strategies draw the hard regimes


@pytest.mark.parametrize(
    "formula_id, regime",
    [
        ("rnn.rnn_bptt", lambda c: c.args[0].shape[:2] == (1, 1) and c.args[2].shape[1] == 1),  # T = N = H = 1
        ("rnn.rnn_forward", lambda c: np.abs(c.args[1] @ c.args[2].T + c.args[0][0] @ c.args[3].T + c.args[4]).max() > 20),
    ],
)
def test_hard_regimes_are_drawn(formula_id, regime):
    """Size-1 axes and saturating pre-activations (|a| > 20: σ′, tanh′ < 1e-8) are drawn on purpose."""
    assert_regime_drawn(formula_id, regime)
