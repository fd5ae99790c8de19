"""Value oracles of softmax.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import F, N, T, torch


def _t_softmax_rebuild(z):
    zt = T(z)
    e = torch().exp(zt - zt.max(dim=-1, keepdim=True).values)
    return N(e / e.sum(dim=-1, keepdim=True))


def _t_softmax_lib(z):
    return N(F().softmax(T(z), dim=-1))


def _t_jacobian(z):
    return N(torch().autograd.functional.jacobian(lambda t: F().softmax(t, dim=0), T(z)))


def _t_ce(z, y):
    return float(F().cross_entropy(T(z), torch().as_tensor(np.asarray(y, dtype=np.int64))))


def _t_ce_rebuild(z, y):
    zt, yt = T(z), torch().as_tensor(np.asarray(y, dtype=np.int64))
    return float((torch().logsumexp(zt, dim=1) - zt.gather(1, yt[:, None])[:, 0]).mean())


def _t_ce_backward(z, y):
    zt = T(z, grad=True)
    F().cross_entropy(zt, torch().as_tensor(np.asarray(y, dtype=np.int64))).backward()
    return N(zt.grad)


@sym.derivation
def _sym_softmax(k):
    import sympy

    z = sym.symbols("z", k)
    e = [sympy.exp(v) for v in z]
    y = sympy.Matrix([v / sum(e) for v in e])
    return sym.lambdify([z], y), sym.lambdify([z], y.jacobian(sympy.Matrix(z)))


@sym.derivation
def _sym_ce(k):
    """−log softmax(z)_l for each label l, and its gradient (by sympy.diff)."""
    import sympy

    z = sym.symbols("z", k)
    s = sum(sympy.exp(v) for v in z)
    losses = [sympy.log(s) - z[l] for l in range(k)]
    grads = [sympy.Matrix([sympy.diff(L, v) for v in z]) for L in losses]
    return [sym.lambdify([z], L) for L in losses], [sym.lambdify([z], g) for g in grads]


def _s_softmax(z):
    f = _sym_softmax(z.shape[1])[0]
    return np.array([np.asarray(f(row), dtype=np.float64).reshape(-1) for row in z])


def _s_jacobian(z):
    return np.asarray(_sym_softmax(z.shape[0])[1](z), dtype=np.float64).reshape(z.shape[0], z.shape[0])


def _s_ce(z, y):
    losses, _ = _sym_ce(z.shape[1])
    return float(np.mean([losses[int(l)](row) for row, l in zip(z, y)]))


def _s_ce_backward(z, y):
    _, grads = _sym_ce(z.shape[1])
    return np.array([np.asarray(grads[int(l)](row), dtype=np.float64).reshape(-1) for row, l in zip(z, y)]) / z.shape[0]
