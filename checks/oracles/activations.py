"""Value oracles of activations.*: torch / SymPy rebuilds and brute force (imported lazily by torchlib / sym)."""

from __future__ import annotations

import numpy as np

from checks.oracles import sym
from checks.oracles.torchlib import N, T, F, torch, vjp


def _t_sigmoid(x):
    return N(torch().sigmoid(T(x)))


def _t_backward(f):
    """dx of ``f`` (torch ops on one tensor) by autograd, with the drawn upstream gradient dy."""

    def oracle(x, dy):
        return vjp(f, dy, x)

    return oracle


def _t_leaky(x, a, dy):
    return vjp(lambda t: F().leaky_relu(t, negative_slope=float(a)), dy, x)


def _t_prelu(x, a, dy):
    return vjp(F().prelu, dy, x, a)


@sym.derivation
def _sym_unary(name):
    import sympy

    x = sympy.Symbol("x", real=True)
    f = {"sigmoid": 1 / (1 + sympy.exp(-x)), "tanh": sympy.tanh(x)}[name]
    return sym.lambdify([x], f), sym.lambdify([x], sympy.diff(f, x))


def _s_sigmoid(x):
    return np.asarray(_sym_unary("sigmoid")[0](np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _s_grad(name):
    def oracle(x, dy):
        return np.asarray(dy * _sym_unary(name)[1](np.asarray(x, dtype=np.float64)), dtype=np.float64)

    return oracle
