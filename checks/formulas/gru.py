"""gru.* -- the GRU cell in the notes' convention and its backward pass (notes 002 §1).

The notes put the reset gate BEFORE the matmul, h̃ = tanh(W_h (r∘h) + U_h x + b_h),
and weight the NEW state by u: h_new = (1 − u)∘h + u∘h̃. torch.nn.GRUCell resets
after the matmul, n = tanh(W_in x + b_in + r∘(W_hn h + b_hn)), and weights the
OLD state by z: h' = (1 − z)∘n + z∘h. Under z's weights = −(u's weights) (so
z = σ(−a_u) = 1 − u) the two agree exactly when the reset placement cannot
matter: r ≡ 1 (reset gate saturated open) -- and, for the forward value,
also when W_h = 0. The "torch:nn.GRUCell" oracles draw only those regimes
(tests/test_recurrent_extra.py shows they disagree otherwise); the rebuild
in torch ops with autograd and SymPy (H = 1) check the general case.
"""

from __future__ import annotations

import numpy as np

import reference.gru as ref
from checks.oracles import sym
from checks.core.compare import Tol
from checks.formulas.rnn import REGIMES, regime, weights
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch

KEYS = ("Wu", "Wr", "Wh", "Uu", "Ur", "Uh", "bu", "br", "bh")

#: σ(R_OPEN) == 1.0 exactly in float64 (e^{-40} ≈ 4e-18 < 2^-53): a reset gate held open
R_OPEN = 40.0

# ---------------------------------------------------------------- strategies


@st.composite
def params(draw, h, d, reg, torch_regime=None):
    """The dict p. ``torch_regime``: "reset-open" (Wr = Ur = 0, br = 40, so r == 1) or "Wh=0"."""
    shapes = {"W": (h, h), "U": (h, d), "b": (h,)}
    p = {k: draw(weights(shapes[k[0]], reg)) for k in KEYS}
    if torch_regime == "reset-open":
        p["Wr"], p["Ur"], p["br"] = np.zeros((h, h)), np.zeros((h, d)), np.full(h, R_OPEN)
    elif torch_regime == "Wh=0":
        p["Wh"] = np.zeros((h, h))
    return p


@st.composite
def gru_case(draw, backward=False, h_max=3, d_max=3, regimes=tuple(REGIMES), h=None, torch_regimes=None):
    """(x, h_prev, p[, dh]); N, H, D from 1; weights in a drawn regime."""
    n = draw(st.integers(1, 3))
    h = h if h is not None else draw(st.integers(1, h_max))
    d = draw(st.integers(1, d_max))
    reg = draw(regime(regimes))
    tr = draw(st.sampled_from(torch_regimes)) if torch_regimes else None
    args = (draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)), draw(params(h, d, reg, tr)))
    if backward:
        args += (draw(array((n, h), -2.0, 2.0)),)
    return Case(args)


# ---------------------------------------------------------------- torch oracles


def _cell(x, h, q):
    """The notes' GRU in torch ops (reset before the matmul, new state weighted by u)."""
    tc = torch()
    u = tc.sigmoid(h @ q["Wu"].T + x @ q["Uu"].T + q["bu"])
    r = tc.sigmoid(h @ q["Wr"].T + x @ q["Ur"].T + q["br"])
    ht = tc.tanh((r * h) @ q["Wh"].T + x @ q["Uh"].T + q["bh"])
    return (1 - u) * h + u * ht


def _t_cell(x, h_prev, p):
    return N(_cell(T(x), T(h_prev), {k: T(p[k]) for k in KEYS}))


def _t_cell_backward(x, h_prev, p, dh):
    xt, ht = T(x, grad=True), T(h_prev, grad=True)
    q = {k: T(p[k], grad=True) for k in KEYS}
    (_cell(xt, ht, q) * T(dh)).sum().backward()
    return N(xt.grad), N(ht.grad), {k: N(q[k].grad) for k in KEYS}


def torch_gru_cell(p, D):
    """nn.GRUCell (rows r, z, n) loaded from the notes' p: r ← (Ur, Wr, br); z ← −(Uu, Wu, bu), so
    z = 1 − u; n ← (Uh, Wh, bh); bias_hh = 0. Equal to the notes' cell when r ≡ 1 or Wh = 0."""
    tc = torch()
    H = np.shape(p["Wu"])[0]
    m = tc.nn.GRUCell(D, H)
    with tc.no_grad():
        m.weight_ih.copy_(T(np.concatenate([p["Ur"], -np.asarray(p["Uu"]), p["Uh"]])))
        m.weight_hh.copy_(T(np.concatenate([p["Wr"], -np.asarray(p["Wu"]), p["Wh"]])))
        m.bias_ih.copy_(T(np.concatenate([p["br"], -np.asarray(p["bu"]), p["bh"]])))
        m.bias_hh.zero_()
    return m


def _t_nn_cell(x, h_prev, p):
    return N(torch_gru_cell(p, np.shape(x)[1])(T(x), T(h_prev)))


def _t_nn_cell_backward(x, h_prev, p, dh):
    H = np.shape(h_prev)[1]
    m = torch_gru_cell(p, np.shape(x)[1])
    xt, ht = T(x, grad=True), T(h_prev, grad=True)
    (m(xt, ht) * T(dh)).sum().backward()
    gi, gh, gb = N(m.weight_ih.grad), N(m.weight_hh.grad), N(m.bias_ih.grad)
    r, z, n = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    dp = {"Wr": gh[r], "Ur": gi[r], "br": gb[r], "Wu": -gh[z], "Uu": -gi[z], "bu": -gb[z],
          "Wh": gh[n], "Uh": gi[n], "bh": gb[n]}
    return N(xt.grad), N(ht.grad), dp


# ---------------------------------------------------------------- SymPy oracles (H = 1)


def _sym_scalar_cell(d):
    """Symbols and the notes' scalar GRU (002 §1)."""
    import sympy

    xs = sym.symbols("x", d)
    h = sympy.Symbol("h", real=True)
    P = {k: (sympy.Symbol(k, real=True) if k[0] != "U" else sym.symbols(k + "_", d)) for k in KEYS}
    sig = lambda a: 1 / (1 + sympy.exp(-a))  # noqa: E731
    ux = lambda k: sum(P[k][j] * xs[j] for j in range(d))  # noqa: E731
    u = sig(P["Wu"] * h + ux("Uu") + P["bu"])
    r = sig(P["Wr"] * h + ux("Ur") + P["br"])
    ht = sympy.tanh(P["Wh"] * (r * h) + ux("Uh") + P["bh"])
    flat = [v for k in KEYS for v in (P[k] if isinstance(P[k], list) else [P[k]])]
    return xs, h, flat, (1 - u) * h + u * ht


def _flat(p):
    return [v for k in KEYS for v in np.asarray(p[k]).reshape(-1)]


@sym.derivation
def _sym_cell(d):
    xs, h, flat, hn = _sym_scalar_cell(d)
    return sym.lambdify([*xs, h, *flat], hn)


@sym.derivation
def _sym_cell_backward(d):
    import sympy

    xs, h, flat, hn = _sym_scalar_cell(d)
    dh = sympy.Symbol("dh", real=True)
    wrt = [*xs, h, *flat]
    return sym.lambdify([*wrt, dh], [sympy.diff(dh * hn, v) for v in wrt])


def _col(v, n):
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))


def _s_cell(x, h_prev, p):
    n, d = x.shape
    return _col(_sym_cell(d)(*x.T, h_prev[:, 0], *_flat(p)), n)[:, None].copy()


def _s_cell_backward(x, h_prev, p, dh):
    n, d = x.shape
    g = [_col(v, n) for v in _sym_cell_backward(d)(*x.T, h_prev[:, 0], *_flat(p), dh[:, 0])]
    dx, dhp, rest = np.stack(g[:d], axis=1), g[d][:, None].copy(), g[d + 1:]
    dp, i = {}, 0
    for k in KEYS:
        shape = np.shape(p[k])
        size = int(np.prod(shape))
        dp[k] = np.array([v.sum() for v in rest[i:i + size]]).reshape(shape)  # parameters: sum over the batch
        i += size
    return dx, dhp, dp


_SYM = ("moderate", "small")

# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-10)
_SRC = ("002", "§1 LSTM/GRU (GRU)")

register(Formula(
    id="gru.gru_cell",
    source=Source(*_SRC, "h̃ = tanh(W_h (r∘h) + U_h x + b_h), h = (1 − u)∘h_{t-1} + u∘h̃",
                  "$$\\mathbf{h}^{(t)} = (1 - \\mathbf{u}^{(t)}) \\circ \\mathbf{h}^{(t-1)} + \\mathbf{u}^{(t)} "
                  "\\circ \\tilde{\\mathbf{h}}^{(t)}$$"),
    reference=ref.gru_cell,
    strategy=gru_case,
    outputs=("h_new",),
    oracles=(
        Oracle("torch", _t_cell, description="the notes' cell rebuilt in torch ops"),
        Oracle("torch:nn.GRUCell", _t_nn_cell, strategy=lambda: gru_case(torch_regimes=("reset-open", "Wh=0")),
               description="nn.GRUCell with z = 1 − u (negated update weights), where reset placement cannot matter"),
        Oracle("sympy", _s_cell, strategy=lambda: gru_case(h=1, d_max=2, regimes=_SYM),
               description="the notes' scalar GRU (H = 1) lambdified"),
    ),
    points=1, tol=_TOL,
    summary="the notes' convention: reset before the matmul, new state weighted by u",
))

register(Formula(
    id="gru.gru_cell_backward",
    source=Source(*_SRC, "backward of u = σ(W_u h + U_u x + b_u), r = σ(…), h̃ = tanh(W_h (r∘h) + …), h = (1−u)∘h + u∘h̃",
                  "$$\\tilde{\\mathbf{h}}^{(t)} = \\tanh \\left(\\mathbf{W}_h (\\mathbf{r}^{(t)} \\circ "
                  "\\mathbf{h}^{(t-1)}) + \\mathbf{U}_h \\mathbf{x}^{(t)} + \\mathbf{b}_h \\right)$$"),
    reference=ref.gru_cell_backward,
    strategy=lambda: gru_case(backward=True),
    outputs=("dx", "dh_prev", "dp"),
    oracles=(
        Oracle("torch", _t_cell_backward, description="autograd of Σ dh⊙h_new through the rebuilt cell"),
        Oracle("torch:nn.GRUCell", _t_nn_cell_backward,
               strategy=lambda: gru_case(backward=True, torch_regimes=("reset-open",)),
               description="autograd through nn.GRUCell (z = 1 − u, r ≡ 1), gradients mapped back"),
        Oracle("sympy", _s_cell_backward, strategy=lambda: gru_case(backward=True, h=1, d_max=2, regimes=_SYM),
               description="sympy.diff of dh·h_new, scalar GRU (H = 1)"),
    ),
    points=2, tol=_TOL,
    summary="(dx, dh_prev, dp) with dp a dict of the keys of p",
))
