"""Value oracles of lstm.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import N, T, torch


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
