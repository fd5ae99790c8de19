"""Value oracles of logistic.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import F, N, T, torch


def _t_ll_tensor(theta, X, y):
    a = X @ theta
    return (y * F().logsigmoid(a) + (1 - y) * F().logsigmoid(-a)).sum()


def _t_ll(theta, X, y):
    return float(_t_ll_tensor(T(theta), T(X), T(y)))


def _t_grad(theta, X, y):
    th, Xt = T(theta, grad=True), T(X, grad=True)
    _t_ll_tensor(th, Xt, T(y)).backward()
    return N(th.grad), N(Xt.grad)


def _t_hessian(theta, X, y):
    Xt, yt = T(X), T(y)
    return N(torch().autograd.functional.hessian(lambda th: _t_ll_tensor(th, Xt, yt), T(theta)))


@sym.derivation
def _sym_logistic(n, d):
    """The notes' L = Σ y log f(z) + (1−y) log(1−f(z)), f(z) = 1/(1+e^{−z}), z = θᵀx; diff'd twice."""
    import sympy

    th = sym.symbols("t", d)
    X = [sym.symbols(f"x{i}_", d) for i in range(n)]
    y = sym.symbols("y", n)
    L = 0
    for i in range(n):
        f = 1 / (1 + sympy.exp(-sum(t * x for t, x in zip(th, X[i]))))
        L += y[i] * sympy.log(f) + (1 - y[i]) * sympy.log(1 - f)
    flatX = [v for row in X for v in row]
    args = [th, flatX, y]
    dth = sympy.Matrix([sympy.diff(L, t) for t in th])
    dX = sympy.Matrix([sympy.diff(L, v) for v in flatX])
    H = sympy.hessian(L, th)
    return sym.lambdify(args, L), sym.lambdify(args, dth), sym.lambdify(args, dX), sym.lambdify(args, H)


def _s(which):
    def oracle(theta, X, y):
        n, d = X.shape
        fs = _sym_logistic(n, d)
        args = (list(theta), list(X.reshape(-1)), list(y))
        if which == "ll":
            return float(fs[0](*args))
        if which == "grad":
            return (np.asarray(fs[1](*args), dtype=np.float64).reshape(d),
                    np.asarray(fs[2](*args), dtype=np.float64).reshape(n, d))
        return np.asarray(fs[3](*args), dtype=np.float64).reshape(d, d)

    return oracle
