"""Value oracles of gru.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import N, T, torch


KEYS = ("Wu", "Wr", "Wh", "Uu", "Ur", "Uh", "bu", "br", "bh")


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
