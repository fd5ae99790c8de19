"""GRU beyond the per-formula oracles: the notes (002 §1) vs torch.nn.GRUCell.

They disagree in general; under the mapping z ← −(update weights) they agree exactly when
r⊙(W_h h) = W_h(r⊙h). Bad input to the reference gives a clear ValueError.
Every Hypothesis test here is derandomized (deterministic).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference.gru as G
from checks.formulas.gru import KEYS, R_OPEN, torch_gru_cell
from checks.oracles.torchlib import N, T, torch
from checks.strategies import array
from tests.groups._regimes import assert_regime_drawn

DET = settings(max_examples=40, derandomize=True, deadline=None, database=None)  # deterministic


def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


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
    with pytest.raises(ValueError, match="missing key"):
        G.gru_cell(np.zeros((1, 1)), np.zeros((1, 1)), {"Wu": np.zeros((1, 1))})


# ============================================================== the strategies draw the hard regimes


@pytest.mark.parametrize(
    "formula_id, regime",
    [
        ("gru.gru_cell", lambda c: np.abs(c.args[1] @ c.args[2]["Wu"].T + c.args[0] @ c.args[2]["Uu"].T + c.args[2]["bu"]).max() > 20),
        ("gru.gru_cell_backward", lambda c: c.args[1].shape[1] >= 2),  # H >= 2: reset placement matters
    ],
)
def test_hard_regimes_are_drawn(formula_id, regime):
    """Size-1 axes and saturating pre-activations (|a| > 20: σ′, tanh′ < 1e-8) are drawn on purpose."""
    assert_regime_drawn(formula_id, regime)
