"""lstm.* -- the LSTM cell, its backward pass, the cell-state Jacobian, BPTT (notes 001 A6.3, 002 §1).

The contract's W (4H, H+D) multiplies [h_prev, x] (h first), row blocks
i, f, g, o -- torch's gate order. torch.nn.LSTMCell / torch.nn.LSTM take
weight_hh = W[:, :H], weight_ih = W[:, H:], bias_ih = b, bias_hh = 0.

Oracles: the torch library modules, a rebuild in torch ops with autograd,
torch.autograd.functional.jacobian for the state Jacobian, the notes' four
terms of ∂C^(k)/∂C^(k−1) written out, and SymPy for the scalar (H = 1) cell
derived from the notes' equations.
"""

from __future__ import annotations

import numpy as np

import reference.lstm as ref
from checks.oracles import sym
from checks.core.compare import Tol, assert_array_close
from checks.formulas.rnn import REGIMES, regime, weights
from checks.registry import Formula, Oracle, Source, register
from checks.strategies import Case, array, st
from checks.oracles.torchlib import N, T, torch

# ---------------------------------------------------------------- strategies


@st.composite
def cell_case(draw, backward=False, h_max=3, d_max=3, regimes=tuple(REGIMES), h=None):
    """(x, h_prev, c_prev, W, b[, dh, dc]); N, H, D from 1; weights in a drawn regime."""
    n = draw(st.integers(1, 3))
    h = h if h is not None else draw(st.integers(1, h_max))
    d = draw(st.integers(1, d_max))
    reg = draw(regime(regimes))
    args = (draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)), draw(array((n, h), -3.0, 3.0)),
            draw(weights((4 * h, h + d), reg)), draw(weights((4 * h,), reg)))
    if backward:
        args += (draw(array((n, h), -2.0, 2.0)), draw(array((n, h), -2.0, 2.0)))
    return Case(args)


@st.composite
def state_jacobian_case(draw, h_max=3, d_max=3, regimes=tuple(REGIMES), h=None):
    """(x, c_prev, o_prev, W, b); o_prev in [0, 1] (an output gate)."""
    n = draw(st.integers(1, 3))
    h = h if h is not None else draw(st.integers(1, h_max))
    d = draw(st.integers(1, d_max))
    reg = draw(regime(regimes))
    return Case((draw(array((n, d), -3.0, 3.0)), draw(array((n, h), -3.0, 3.0)), draw(array((n, h), 0.0, 1.0)),
                 draw(weights((4 * h, h + d), reg)), draw(weights((4 * h,), reg))))


@st.composite
def bptt_case(draw):
    """(x, h0, c0, W, b, dh): T, N, H, D from 1; random upstream gradients on every h_t."""
    t, n, h, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    reg = draw(regime())
    return Case((draw(array((t, n, d), -3.0, 3.0)), draw(array((n, h), -1.0, 1.0)), draw(array((n, h), -3.0, 3.0)),
                 draw(weights((4 * h, h + d), reg)), draw(weights((4 * h,), reg)), draw(array((t, n, h), -2.0, 2.0))))


# ---------------------------------------------------------------- torch oracles


def _load(m, W, b, suffix=""):
    """Copy the contract's W, b into an nn.LSTM/LSTMCell: weight_hh = W[:, :H], weight_ih = W[:, H:]."""
    tc = torch()
    H = np.shape(W)[0] // 4
    with tc.no_grad():
        getattr(m, "weight_hh" + suffix).copy_(T(np.asarray(W)[:, :H]))
        getattr(m, "weight_ih" + suffix).copy_(T(np.asarray(W)[:, H:]))
        getattr(m, "bias_ih" + suffix).copy_(T(b))
        getattr(m, "bias_hh" + suffix).zero_()
    return m


def _nn_cell(x, h_prev, c_prev, W, b):
    H, D = np.shape(h_prev)[1], np.shape(x)[1]
    m = _load(torch().nn.LSTMCell(D, H), W, b)
    ts = [T(a, grad=True) for a in (x, h_prev, c_prev)]
    h, c = m(ts[0], (ts[1], ts[2]))
    return m, ts, h, c


def _t_nn_cell(x, h_prev, c_prev, W, b):
    _, _, h, c = _nn_cell(x, h_prev, c_prev, W, b)
    return N(h), N(c)


def _t_nn_cell_backward(x, h_prev, c_prev, W, b, dh, dc):
    m, (xt, ht, ct), h, c = _nn_cell(x, h_prev, c_prev, W, b)
    ((h * T(dh)).sum() + (c * T(dc)).sum()).backward()
    dW = np.concatenate([N(m.weight_hh.grad), N(m.weight_ih.grad)], axis=1)
    return N(xt.grad), N(ht.grad), N(ct.grad), dW, N(m.bias_ih.grad)


def _cell(x, h, c, W, b):
    """The notes' cell in torch ops: a = [h, x] Wᵀ + b, gates i, f, g, o."""
    tc = torch()
    a = tc.cat([h, x], dim=1) @ W.T + b
    i, f, g, o = a.chunk(4, dim=1)
    cn = tc.sigmoid(f) * c + tc.sigmoid(i) * tc.tanh(g)
    return tc.sigmoid(o) * tc.tanh(cn), cn


def _t_cell(x, h_prev, c_prev, W, b):
    h, c = _cell(*(T(a) for a in (x, h_prev, c_prev, W, b)))
    return N(h), N(c)


def _t_cell_backward(x, h_prev, c_prev, W, b, dh, dc):
    ts = [T(a, grad=True) for a in (x, h_prev, c_prev, W, b)]
    h, c = _cell(*ts)
    ((h * T(dh)).sum() + (c * T(dc)).sum()).backward()
    return tuple(N(t.grad) for t in ts)


def _t_state_jacobian(x, c_prev, o_prev, W, b):
    """torch.autograd.functional.jacobian of c_t w.r.t. c_prev, h_prev = o_prev * tanh(c_prev)."""
    tc = torch()
    xt, ot, Wt, bt = T(x), T(o_prev), T(W), T(b)

    def c_of(cp):
        return _cell(xt, ot * tc.tanh(cp), cp, Wt, bt)[1]

    J = tc.autograd.functional.jacobian(c_of, T(c_prev))
    return np.ascontiguousarray(np.einsum("ninj->nij", N(J)))


def _notes_four_terms(x, c_prev, o_prev, W, b):
    """The notes' ∂C^(k)/∂C^(k−1), one sample at a time, as four explicit matrix terms (001 A6.3):
    C^(k−1) σ′ W_f o^(k−1) tanh′(C^(k−1)) + a^(k) σ′ W_i o tanh′ + i^(k) tanh′ W_c o tanh′ + f."""
    H = c_prev.shape[1]
    sig = lambda a: 0.5 * (1.0 + np.tanh(0.5 * a))  # noqa: E731  (σ without overflow)
    out = []
    for n in range(c_prev.shape[0]):
        cp, op = c_prev[n], o_prev[n]
        hp = op * np.tanh(cp)
        a = W @ np.concatenate([hp, x[n]]) + b
        ai, af, ag = a[:H], a[H:2 * H], a[2 * H:3 * H]
        i, f, g = sig(ai), sig(af), np.tanh(ag)
        Wi, Wf, Wc = W[:H, :H], W[H:2 * H, :H], W[2 * H:3 * H, :H]
        dh_dc = np.diag(op * (1.0 - np.tanh(cp) ** 2))          # ∂h^(k−1)/∂C^(k−1) = o tanh′(C)
        t1 = np.diag(cp * f * (1.0 - f)) @ Wf @ dh_dc  # via the forget gate
        t2 = np.diag(g * i * (1.0 - i)) @ Wi @ dh_dc               # via the input gate (a^(k) = C̃)
        t3 = np.diag(i * (1.0 - g ** 2)) @ Wc @ dh_dc              # via the candidate C̃
        out.append(t1 + t2 + t3 + np.diag(f))                       # + f: the constant error path
    return np.stack(out)


def _prop_four_terms(case, J):
    """The result equals the notes' four-term ∂C^(k)/∂C^(k−1) (a property: the notes' own formula)."""
    assert_array_close(np.asarray(J, dtype=np.float64), _notes_four_terms(*case.copy().args), _TOL,
                       "lstm_cell_state_jacobian -> J (vs the notes' four terms)")


def _t_nn_bptt(x, h0, c0, W, b, dh):
    """Autograd of Σ dh ⊙ out through torch.nn.LSTM (one layer, sequence-first)."""
    H, D = np.shape(h0)[1], np.shape(x)[2]
    m = _load(torch().nn.LSTM(D, H), W, b, "_l0")
    xt, ht, ct = T(x, grad=True), T(np.asarray(h0)[None], grad=True), T(np.asarray(c0)[None], grad=True)
    out, _ = m(xt, (ht, ct))
    (out * T(dh)).sum().backward()
    dW = np.concatenate([N(m.weight_hh_l0.grad), N(m.weight_ih_l0.grad)], axis=1)
    return {"x": N(xt.grad), "h0": N(ht.grad[0]), "c0": N(ct.grad[0]), "W": dW, "b": N(m.bias_ih_l0.grad)}


def _t_bptt(x, h0, c0, W, b, dh):
    """Autograd of L = Σ_t Σ dh[t] ⊙ h_t through the rebuilt cell, unrolled."""
    ts = {k: T(v, grad=True) for k, v in dict(x=x, h0=h0, c0=c0, W=W, b=b).items()}
    h, c, L = ts["h0"], ts["c0"], 0
    for t in range(ts["x"].shape[0]):
        h, c = _cell(ts["x"][t], h, c, ts["W"], ts["b"])
        L = L + (h * T(dh[t])).sum()
    L.backward()
    return {k: N(v.grad) for k, v in ts.items()}


# ---------------------------------------------------------------- SymPy oracles (H = 1)


def _sym_scalar_cell(d):
    """Symbols and the notes' scalar cell: f = σ(W_f·[h, x] + b_f), … , C = f C_prev + i C̃, h = o tanh(C)."""
    import sympy

    xs = sym.symbols("x", d)
    h, c = sympy.symbols("h c", real=True)
    Ws = [sym.symbols(f"W{k}_", 1 + d) for k in range(4)]  # rows i, f, g, o of W (4, 1 + D)
    bs = sym.symbols("b", 4)
    sig = lambda a: 1 / (1 + sympy.exp(-a))  # noqa: E731
    a = [Ws[k][0] * h + sum(Ws[k][1 + j] * xs[j] for j in range(d)) + bs[k] for k in range(4)]
    i, f, g, o = sig(a[0]), sig(a[1]), sympy.tanh(a[2]), sig(a[3])
    c_t = f * c + i * g
    h_t = o * sympy.tanh(c_t)
    return xs, h, c, [w for row in Ws for w in row], bs, h_t, c_t


@sym.derivation
def _sym_cell(d):
    xs, h, c, Wf, bs, h_t, c_t = _sym_scalar_cell(d)
    return sym.lambdify([*xs, h, c, *Wf, *bs], [h_t, c_t])


@sym.derivation
def _sym_cell_backward(d):
    import sympy

    xs, h, c, Wf, bs, h_t, c_t = _sym_scalar_cell(d)
    dh, dc = sympy.symbols("dh dc", real=True)
    L = dh * h_t + dc * c_t
    wrt = [*xs, h, c, *Wf, *bs]
    return sym.lambdify([*wrt, dh, dc], [sympy.diff(L, v) for v in wrt])


@sym.derivation
def _sym_state_jacobian(d):
    import sympy

    xs, h, c, Wf, bs, _, c_t = _sym_scalar_cell(d)
    o_prev = sympy.Symbol("o_prev", real=True)
    c_t = c_t.subs(h, o_prev * sympy.tanh(c))  # h_prev = o_prev tanh(C_prev), o_prev fixed
    return sym.lambdify([*xs, c, o_prev, *Wf, *bs], sympy.diff(c_t, c))


def _col(v, n):
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))


def _s_cell(x, h_prev, c_prev, W, b):
    n, d = x.shape
    h, c = _sym_cell(d)(*x.T, h_prev[:, 0], c_prev[:, 0], *W.reshape(-1), *b)
    return _col(h, n)[:, None].copy(), _col(c, n)[:, None].copy()


def _s_cell_backward(x, h_prev, c_prev, W, b, dh, dc):
    n, d = x.shape
    g = [_col(v, n) for v in _sym_cell_backward(d)(*x.T, h_prev[:, 0], c_prev[:, 0], *W.reshape(-1), *b,
                                                      dh[:, 0], dc[:, 0])]
    dx = np.stack(g[:d], axis=1)
    dW = np.array([v.sum() for v in g[d + 2:d + 2 + W.size]]).reshape(W.shape)  # parameters: sum over the batch
    db = np.array([v.sum() for v in g[d + 2 + W.size:]])
    return dx, g[d][:, None].copy(), g[d + 1][:, None].copy(), dW, db


def _s_state_jacobian(x, c_prev, o_prev, W, b):
    n, d = x.shape
    J = _sym_state_jacobian(d)(*x.T, c_prev[:, 0], o_prev[:, 0], *W.reshape(-1), *b)
    return _col(J, n).reshape(n, 1, 1).copy()


_SYM = ("moderate", "small")

# ---------------------------------------------------------------- entries

_TOL = Tol(rtol=1e-7, atol=1e-10)
_SRC_CELL = ("C_t = f_t * C_{t-1} + i_t * C̃_t, h_t = o_t * tanh(C_t); gates σ(W·[h_{t-1}, x_t] + b)",
             "$$C_{t}=f_{t} * C_{t-1}+i_{t} * \\widetilde{C}_{t}$$")

register(Formula(
    id="lstm.lstm_cell",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度 (and 002 §1 LSTM/GRU)", *_SRC_CELL),
    reference=ref.lstm_cell,
    strategy=cell_case,
    outputs=("h", "c"),
    oracles=(
        Oracle("torch:nn.LSTMCell", _t_nn_cell,
               description="nn.LSTMCell, weight_hh = W[:, :H], weight_ih = W[:, H:], bias_ih = b, bias_hh = 0"),
        Oracle("torch", _t_cell, description="rebuilt in torch ops, gates i, f, g, o"),
        Oracle("sympy", _s_cell, strategy=lambda: cell_case(h=1, d_max=2, regimes=_SYM),
               description="the notes' scalar cell (H = 1) lambdified"),
    ),
    points=1, tol=_TOL,
    summary="W (4H, H+D) multiplies [h_prev, x]; gate blocks i, f, g, o",
))

register(Formula(
    id="lstm.lstm_cell_backward",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度",
                  "∂L_t/∂W = ∂L_t/∂h_t · ∂h_t/∂C_t · … · Π ∂C_k/∂C_{k-1} · ∂C_1/∂W",
                  "$$\\frac{\\partial L_{t}}{\\partial W}=\\frac{\\partial L_{t}}{\\partial h_{t}} * "
                  "\\frac{\\partial h_{t}}{\\partial C_{t}} * \\ldots"),
    reference=ref.lstm_cell_backward,
    strategy=lambda: cell_case(backward=True),
    outputs=("dx", "dh_prev", "dc_prev", "dW", "db"),
    oracles=(
        Oracle("torch", _t_cell_backward, description="autograd of Σ dh⊙h + Σ dc⊙c through the rebuilt cell"),
        Oracle("torch:nn.LSTMCell", _t_nn_cell_backward, description="autograd through nn.LSTMCell; dW = [∇weight_hh | ∇weight_ih]"),
        Oracle("sympy", _s_cell_backward, strategy=lambda: cell_case(backward=True, h=1, d_max=2, regimes=_SYM),
               description="sympy.diff of dh·h_t + dc·c_t, scalar cell (H = 1)"),
    ),
    points=2, tol=_TOL,
    summary="random upstream gradients on both h and c",
))

register(Formula(
    id="lstm.lstm_cell_state_jacobian",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度 (LSTM 通过记忆单元 C 来缓解梯度消失问题)",
                  "∂C^(k)/∂C^(k-1) = C^(k-1)σ′W_f o^(k-1)tanh′(C^(k-1)) + a^(k)σ′W_i o^(k-1)tanh′(C^(k-1)) "
                  "+ i^(k)tanh′W_c o^(k-1)tanh′(C^(k-1)) + f",
                  "\\frac{\\partial C^{(k)}}{\\partial C^{(k-1)}}=C^{(k-1)} \\sigma^{\\prime}(\\cdot) W_{f} o^{(k-1)} "
                  "\\tanh ^{\\prime}\\left(C^{(k-1)}\\right)"),
    reference=ref.lstm_cell_state_jacobian,
    strategy=state_jacobian_case,
    outputs=("J",),
    oracles=(
        Oracle("torch:jacobian", _t_state_jacobian,
               description="torch.autograd.functional.jacobian of c_t(c_prev) with h_prev = o_prev⊙tanh(c_prev)"),
        Oracle("property:notes-four-term", _prop_four_terms, kind="property",
               description="equals the notes' four terms written out, one sample at a time"),
        Oracle("sympy", _s_state_jacobian, strategy=lambda: state_jacobian_case(h=1, d_max=2, regimes=_SYM),
               description="sympy.diff(C_t, C_prev) of the scalar cell with h_prev = o_prev tanh(C_prev)"),
    ),
    points=2, tol=_TOL,
    summary="J[n,i,j] = ∂c_t[n,i]/∂c_prev[n,j] through h_prev = o_prev⊙tanh(c_prev), o_prev fixed",
))

register(Formula(
    id="lstm.lstm_bptt",
    source=Source("001", "A6.3 推导LSTM网络中参数的梯度",
                  "Π_{k=t+1}^{T} ∂C^(k)/∂C^(k-1) = (f^(k) f^(k+1) … f^(T)) + other",
                  "\\prod_{k=t+1}^{T} \\frac{\\partial C^{(k)}}{\\partial C^{(k-1)}}=\\left(f^{(k)} f^{(k+1)} "
                  "\\ldots f^{(T)}\\right)+\\text { other }"),
    reference=ref.lstm_bptt,
    strategy=bptt_case,
    outputs=("grads",),
    oracles=(
        Oracle("torch:nn.LSTM", _t_nn_bptt, description="autograd of Σ dh⊙out through nn.LSTM with the mapped weights"),
        Oracle("torch", _t_bptt, description="autograd of Σ_t dh[t]⊙h_t through the rebuilt cell, unrolled"),
    ),
    points=3, tol=_TOL,
    summary="dict x, h0, c0, W, b of L = Σ dh[t,n,j] h_t[n,j]",
))
