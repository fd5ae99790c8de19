"""Value oracles of norm.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import F, N, T, torch


def _t_norm(xt, g, b, eps, axes):
    """The notes' formula in torch: γ (x-μ)/√(σ²+eps) + β, biased σ² over ``axes``."""
    mu = xt.mean(dim=axes, keepdim=True)
    var = ((xt - mu) ** 2).mean(dim=axes, keepdim=True)
    return g * (xt - mu) / torch().sqrt(var + eps) + b


def _t_bn_forward(x, gamma, beta, eps):
    return N(_t_norm(T(x), T(gamma), T(beta), eps, (0,)))


def _t_bn_forward_lib(x, gamma, beta, eps):
    return N(F().batch_norm(T(x), None, None, T(gamma), T(beta), training=True, eps=eps))


def _t_ln_forward(x, gamma, beta, eps):
    return N(_t_norm(T(x), T(gamma), T(beta), eps, (1,)))


def _t_ln_forward_lib(x, gamma, beta, eps):
    return N(F().layer_norm(T(x), (np.shape(x)[1],), T(gamma), T(beta), eps=eps))


def _t_backward(forward):
    """(dx, dgamma, dbeta) by one autograd backward of ``forward(xt, gt, bt, eps)`` with upstream dy."""

    def oracle(x, gamma, beta, eps, dy):
        xt, gt, bt = T(x, grad=True), T(gamma, grad=True), T(beta, grad=True)
        forward(xt, gt, bt, eps).backward(T(dy))
        return N(xt.grad), N(gt.grad), N(bt.grad)

    return oracle


_t_bn_rebuild_bw = _t_backward(lambda x, g, b, e: _t_norm(x, g, b, e, (0,)))


_t_bn_lib_bw = _t_backward(lambda x, g, b, e: F().batch_norm(x, None, None, g, b, training=True, eps=e))


_t_bn2d_rebuild_bw = _t_backward(lambda x, g, b, e: _t_norm(x, g.reshape(1, -1, 1, 1), b.reshape(1, -1, 1, 1), e, (0, 2, 3)))


_t_bn2d_lib_bw = _t_bn_lib_bw  # F.batch_norm on (N,C,H,W): per channel over (N,H,W)


_t_ln_rebuild_bw = _t_backward(lambda x, g, b, e: _t_norm(x, g, b, e, (1,)))


_t_ln_lib_bw = _t_backward(lambda x, g, b, e: F().layer_norm(x, (x.shape[1],), g, b, eps=e))


def _t_running_lib(rm, rv, x, momentum):
    rmt, rvt = T(rm), T(rv)
    F().batch_norm(T(x), rmt, rvt, None, None, training=True, momentum=float(momentum), eps=1e-5)
    return N(rmt), N(rvt)


def _t_running_rebuild(rm, rv, x, momentum):
    xt, m = T(x), float(momentum)
    return N((1 - m) * T(rm) + m * xt.mean(dim=0)), N((1 - m) * T(rv) + m * xt.var(dim=0, unbiased=True))


@sym.derivation
def _sym_bn(n: int):
    """One BN column of n values, from the notes' x̂ = (x - E[x])/√(Var[x] (+eps)), y = γx̂ + β."""
    import sympy

    x, dy = sym.symbols("x", n), sym.symbols("dy", n)
    g, b = sympy.symbols("gamma beta", real=True)
    eps = sympy.Symbol("eps", positive=True)
    mu = sum(x) / n
    var = sum((xi - mu) ** 2 for xi in x) / n
    L = sum(dyi * (g * (xi - mu) / sympy.sqrt(var + eps) + b) for xi, dyi in zip(x, dy))
    grads = [sympy.diff(L, xi) for xi in x] + [sympy.diff(L, g), sympy.diff(L, b)]
    return sym.lambdify([*x, g, b, eps, *dy], grads)


@sym.derivation
def _sym_ln(d: int):
    """One LN row of d features: y_j = γ_j (x_j - μ)/√(σ² + eps) + β_j."""
    import sympy

    x, dy = sym.symbols("x", d), sym.symbols("dy", d)
    g, b = sym.symbols("gamma", d), sym.symbols("beta", d)
    eps = sympy.Symbol("eps", positive=True)
    mu = sum(x) / d
    var = sum((xi - mu) ** 2 for xi in x) / d
    L = sum(dy[j] * (g[j] * (x[j] - mu) / sympy.sqrt(var + eps) + b[j]) for j in range(d))
    grads = [sympy.diff(L, v) for v in (*x, *g, *b)]
    return sym.lambdify([*x, *g, *b, eps, *dy], grads)


def _vec(v, n):
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()


def _s_bn_backward(x, gamma, beta, eps, dy):
    n, d = x.shape
    out = _sym_bn(n)(*x, gamma, beta, eps, *dy)  # every symbol gets a (D,) vector: columns at once
    dx = np.stack([_vec(v, d) for v in out[:n]], axis=0)
    return dx, _vec(out[n], d), _vec(out[n + 1], d)


def _s_ln_backward(x, gamma, beta, eps, dy):
    n, d = x.shape
    out = _sym_ln(d)(*x.T, *gamma, *beta, eps, *dy.T)  # every x/dy symbol gets a (N,) vector: rows at once
    cols = [_vec(v, n) for v in out]
    dx = np.stack(cols[:d], axis=1)
    return dx, np.array([c.sum() for c in cols[d:2 * d]]), np.array([c.sum() for c in cols[2 * d:]])
